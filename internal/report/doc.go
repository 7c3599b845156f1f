// Package report aggregates, filters and renders the drops dropwatch
// receives: a text "top" table for people and JSON lines for programs.
//
// The package is pure: it writes only to the io.Writer it is given, and it
// does not depend on the operating system.
//
// # Text table
//
// WriteTable writes the biggest drop sites first, with their share of the
// total, then a totals line and a line that names every loss counter, zeros
// included:
//
//	#  DROPS  SHARE  LOCATION                        REASON          PROTO
//	1   1500  75.0%  __udp4_lib_rcv+0x9a2            NO_SOCKET       0x0800
//	2    400  20.0%  nft_do_chain+0x3c1 [nf_tables]  NETFILTER_DROP  0x86dd
//	total: 2000 drops in 4 rows (top 2 shown)
//	losses: kernel tail drops 0, socket overruns 0 (0 alerts lost), full summaries 0, malformed 0, tracepoint samples lost 0; filtered out 0
//
// # Filters
//
// Filter selects drops by reason, location (a regular expression), protocol
// and input interface, in user space: the kernel's drop monitor sends every
// drop to every listener. Summary alerts carry only locations, so a filter
// on anything else needs packet mode (Filter.NeedsPacketMode).
//
// # JSON lines
//
// JSONWriter writes one JSON object per line. Every object has a "type":
// "summary", "packet" or "final". The field names below are stable; new
// fields may be added, so a reader should ignore fields it does not know.
// JSON.md in this directory is the same reference in Markdown.
//
// Conventions:
//
//   - Times are RFC 3339 in UTC with exactly nine fractional digits
//     ("2025-11-25T12:38:38.730595860Z"), so that they sort as strings.
//   - Kernel addresses are strings of lower-case hex with "0x"
//     ("0xffffffff878bcae2"). JSON numbers are doubles for most readers,
//     exact only up to 2^53, and kernel addresses lie above 2^63.
//   - Counts, lengths, interface indexes and protocols are numbers. A count
//     is a 64-bit counter too, but one would need 2^53 (about 9*10^15)
//     drops to lose exactness.
//   - A location is "pc", "symbol", "module" and "origin". "symbol" is
//     "name+0xoffset" when resolved, the kernel's "%pS" text
//     ("name+0xoffset/0xsize") in packet mode, a devlink trap name when
//     "origin" is "hardware", and "" when unresolved. "module" is "" for the
//     core kernel. "pc" is "0x0" for a hardware trap and for a device's
//     rx_dropped counter (summary mode).
//   - "origin" is "software" (the network stack) or "hardware" (a device's
//     devlink trap); "unknown" if a kernel sends an origin this version does
//     not know.
//
// A "summary" object is one location of a summary alert; "time" is when the
// alert was received (summary alerts carry no time of their own):
//
//	{"type":"summary","time":"2025-11-25T12:38:38.730595860Z","pc":"0xffffffff878bcae2","symbol":"__udp4_lib_rcv+0x9a2","module":"","count":3,"origin":"software"}
//
// A "packet" object is one packet alert. Its attributes are written only
// when the kernel sent them, in this order: "timestamp" (the drop's
// wall-clock time), "origin" (always present: the kernel's, or else the
// location's), "pc", "symbol" (the kernel's own text), "hw_trap_group",
// "hw_trap", "reason" (the kernel's name of the drop reason, such as
// "NO_SOCKET"; Linux 5.18+), "location" (always present: the location object as
// dropwatch resolved it), "stack" (a list of "name+0xoffset", innermost
// first, when dropwatch has one), "in_port" ({"ifindex":N,"name":"eth0"},
// each present when sent), "protocol" (the EtherType: 2048 is IPv4, 34525
// IPv6, 2054 ARP), "length" (bytes of payload received), "orig_len" (the
// packet's length before truncation), "cookie" (the flow action cookie in
// lower-case hex), "payload" (the packet from its MAC header, possibly
// truncated, in standard base64 with padding, RFC 4648 section 4) and
// "flow" (the payload decoded: "ethertype", "vlan", "src", "dst",
// "ip_proto", "src_port", "dst_port", "tcp_flags", "icmp_type",
// "icmp_code", "arp_op", "fragment", "depth", "truncated", each left out
// when its header was not reached; JSON.md):
//
//	{"type":"packet","timestamp":"2025-11-25T12:38:38.730595860Z","origin":"software","pc":"0xffffffff878bcae2","symbol":"__udp4_lib_rcv+0x9a2/0xc30","reason":"NO_SOCKET","location":{"pc":"0xffffffff878bcae2","symbol":"__udp4_lib_rcv+0x9a2","module":"","origin":"software"},"in_port":{"ifindex":1},"protocol":2048,"length":4,"orig_len":74,"payload":"RQAASg==","flow":{"ethertype":2048,"depth":"link","truncated":true}}
//
// The "final" object ends a session: "duration_seconds" (a number with a
// fraction), "total" (the drops counted), "rows" (every row, biggest first:
// a location's fields, then "reason" and "protocol" when known, "count" and
// "share", the fraction 0..1 of "total") and "losses", whose counters are
// always all present: "kernel_tail_drops" (packet alerts the kernel
// discarded because its queue was full), "socket_overruns" (times our
// socket's receive buffer overflowed), "socket_drops" (alerts lost to those
// overflows), "full_summaries" (summary alerts that held the kernel's
// maximum of 64 locations, so that further ones may have been ignored),
// "malformed" (messages that could not be decoded), "filtered" (alerts the
// filters left out: not a loss) and "tracepoint_lost" (samples the perf
// ring buffer lost, tracepoint backend). Grouped by another key than the
// site (--top-by), it has "by" and rows of "flow", "reason", "interface"
// or "comm" with "count" and "share" (JSON.md):
//
//	{"type":"final","duration_seconds":10.5,"total":4,"rows":[{"pc":"0xffffffff878bcae2","symbol":"__udp4_lib_rcv+0x9a2","module":"","origin":"software","reason":"NO_SOCKET","protocol":2048,"count":4,"share":1}],"losses":{"kernel_tail_drops":0,"socket_overruns":0,"socket_drops":0,"full_summaries":0,"malformed":0,"filtered":0,"tracepoint_lost":0}}
package report
