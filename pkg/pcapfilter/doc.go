// Package pcapfilter compiles tcpdump filter expressions (pcap-filter(7))
// without libpcap or cgo, and runs them over NET_DM packet-alert payloads.
//
// A Filter gives the verdict tcpdump gives on the same bytes: each
// primitive is compiled to the loads and comparisons libpcap 1.10's code
// generator (gencode.c) emits for an Ethernet link, including its quirks
// (ports are read only right after a fixed IPv6 header, "tcp" looks
// through one IPv6 fragment header, "host" also matches ARP and RARP
// addresses), and evaluated in its order with the BPF machine's rules: a
// load past the end of the captured bytes rejects the packet outright,
// whatever the rest of the expression (so "not port 53" does not match a
// packet cut before its UDP header, as in tcpdump).
//
// That is the meaning of libpcap's program before its optimizer runs
// (tcpdump -O). On whole packets the optimized program (plain tcpdump)
// agrees; on a cut packet it can skip or reorder a load past the end and
// so match where the unoptimized one rejects ("host A or B" on a packet cut
// inside the destination address). The differential test checks Match
// against both on a corpus of real packets, whole and cut.
//
// Payloads that start at the network header (flow.LinkRaw) are evaluated
// as the Ethernet frame they would be: a header with zero MAC addresses
// and the alert's EtherType, and a wire length 14 bytes longer.
//
// Supported: host, net (A.B.C.D/len, "mask M", and classful A, A.B,
// A.B.C), port, portrange, each with src/dst/"src or dst"/"src and dst" and
// the protocol qualifiers ether, ip, ip6, arp, rarp, tcp, udp, sctp; ether
// host/src/dst MAC, ether proto N (N > 1500, or \ip, \ip6, \arp, \rarp),
// ip/ip6 proto N (or \tcp, \udp, \icmp, \igmp, \sctp), proto N; ip, ip6,
// arp, rarp, tcp, udp, sctp, icmp, icmp6, igmp; vlan [ID] (which, as in
// libpcap, moves the network layer 4 bytes on for everything after it);
// less, greater; broadcast and multicast (Ethernet), ip multicast, ip6
// multicast; and relations over packet data, proto[expr] and
// proto[expr:size] for ether, ip, ip6, arp, rarp, tcp, udp, sctp, icmp,
// igmp, icmp6, with
// + - * / % & | ^ << >>, len, and the named offsets and values of
// pcap-filter(7) (tcpflags, tcp-syn, icmptype, icmp-echo, ...); not/!,
// and/&&, or/|| (and and or of equal precedence, left to right) and
// parentheses; a value after and/or inherits the qualifiers before it
// ("host A or B", "port 53 or 5353").
//
// Everything else is refused by Compile with an *Error naming the part it
// cannot compile, with Error.Unsupported set: host, network and port
// names (no resolver is consulted), a bare number as a host ("src 53"),
// gateway, protochain, mpls, pppoed/pppoes, geneve, vxlan, inbound and
// outbound, the keywords of other link types (802.11, FDDI, ATM, SS7,
// pflog) and of other protocol families (DECnet, ISO, AppleTalk, IPX,
// STP, ...), ip broadcast (it needs a netmask), 802.3 length values in
// ether proto, non-contiguous masks. Errors tcpdump reports too (a bad
// qualifier, non-network bits, a data size other than 1, 2 or 4, a
// constant division by zero) are Errors without Unsupported. Nothing is
// ignored.
//
// A Filter is safe for concurrent use, and Match allocates nothing.
package pcapfilter
