package counters

import (
	"strings"
)

// Entry explains a counter, or a kernel drop reason, in a line or two.
type Entry struct {
	// Source is the counter's source, or DropReason.
	Source Source
	// Name is the counter's name as its source names it, or the drop
	// reason without its SKB_DROP_REASON_ prefix (NO_SOCKET).
	Name  string
	Class Class
	// Meaning says what made the counter move.
	Meaning string
	// Remedy is what usually fixes it.
	Remedy string
}

// Explain returns the explanations of a name: a counter name of any
// source (rx_missed_errors, time_squeeze, UdpRcvbufErrors, drops), a drop
// reason with or without its SKB_DROP_REASON_ prefix (NO_SOCKET), or a
// name qualified by its source ("softnet/dropped", "qdisc/drops",
// "reason/NO_SOCKET"). Case does not matter. A name several sources use
// gives one entry each; an unknown name gives nil.
func Explain(name string) []Entry {
	name = strings.TrimSpace(name)
	src := Source(0)
	if i := strings.IndexAny(name, "/."); i > 0 {
		for _, s := range [...]Source{Link, Ethtool, Softnet, SNMP, Qdisc, DropReason} {
			if strings.EqualFold(name[:i], s.String()) {
				src, name = s, name[i+1:]
				break
			}
		}
	}
	if len(name) > len("SKB_DROP_REASON_") && strings.EqualFold(name[:len("SKB_DROP_REASON_")], "SKB_DROP_REASON_") {
		src, name = DropReason, name[len("SKB_DROP_REASON_"):]
	}
	var out []Entry
	for _, e := range table {
		if (src == 0 || e.Source == src) && strings.EqualFold(e.Name, name) {
			out = append(out, e)
		}
	}
	return out
}

// ExplainCounter returns the explanation of a counter: its own entry, or
// for a driver statistic without one (drivers name theirs freely) a
// general entry chosen by the words in its name.
func ExplainCounter(c Counter) (Entry, bool) {
	if e, ok := byKey[entryKey{c.Source, c.Name}]; ok {
		return e, true
	}
	if c.Source == Ethtool {
		// Drivers often export the standard names too (rx_missed_errors,
		// rx_fifo_errors, rx_crc_errors).
		if e, ok := byKey[entryKey{Link, c.Name}]; ok {
			e.Source, e.Name = Ethtool, c.Name
			return e, true
		}
		class := guessClass(c.Name)
		switch class {
		case ClassDrop:
			return Entry{Source: Ethtool, Name: c.Name, Class: class,
				Meaning: "the driver or NIC counted packets it dropped (its name says which queue and why); such drops happen before the kernel's stack sees the packet",
				Remedy:  "look the name up in the driver's documentation (Documentation/networking/device_drivers/); ring or buffer drops usually call for bigger rings (ethtool -G), more queues (ethtool -L) or faster processing of them"}, true
		case ClassError:
			return Entry{Source: Ethtool, Name: c.Name, Class: class,
				Meaning: "the driver or NIC counted an error (bad frames, failed allocations or DMA, timeouts); the packets involved are usually lost",
				Remedy:  "look the name up in the driver's documentation; frame errors point at cabling, optics or the link partner, allocation errors at memory pressure"}, true
		}
	}
	return Entry{}, false
}

// Classify tells how a counter relates to drops: its entry's class, or a
// guess from the words in its name.
func Classify(src Source, name string) Class {
	if e, ok := byKey[entryKey{src, name}]; ok {
		return e.Class
	}
	switch src {
	case Link:
		return ClassTraffic
	case Softnet, Qdisc:
		return ClassOther
	}
	return guessClass(name)
}

var (
	dropWords  = []string{"drop", "discard", "miss", "nobuf", "no_buf", "nodesc", "no_desc", "overrun", "overflow", "prune", "noport", "queuefull", "ringfull", "fullring", "rcvbuf", "sndbuf", "noroute"}
	errorWords = []string{"err", "crc", "fail", "invalid", "timeout", "bad", "abort", "reset", "trunc", "collision", "squeeze"}
	trafWords  = []string{"packets", "bytes", "pkts", "octets", "datagrams", "segs", "msgs", "receives", "delivers", "requests", "frames"}
)

func guessClass(name string) Class {
	n := strings.ToLower(strings.ReplaceAll(name, "_", ""))
	for _, w := range dropWords {
		if strings.Contains(n, strings.ReplaceAll(w, "_", "")) {
			return ClassDrop
		}
	}
	for _, w := range errorWords {
		if strings.Contains(n, w) {
			return ClassError
		}
	}
	for _, w := range trafWords {
		if strings.Contains(n, w) {
			return ClassTraffic
		}
	}
	return ClassOther
}

// Entries returns every explanation, in the table's order: interface,
// softnet, qdisc and SNMP counters, then drop reasons.
func Entries() []Entry { return append([]Entry(nil), table...) }

type entryKey struct {
	src  Source
	name string
}

var byKey = func() map[entryKey]Entry {
	m := make(map[entryKey]Entry, len(table))
	for _, e := range table {
		m[entryKey{e.Source, e.Name}] = e
	}
	return m
}()

const (
	fixRing    = "enlarge the NIC's receive ring (ethtool -g to see, ethtool -G DEV rx N), spread the load over more queues and CPUs (ethtool -L, RSS, irqbalance), and check that the receiving CPUs are not saturated"
	fixRcvbuf  = "make the application read faster, or give the socket a bigger receive buffer (SO_RCVBUF, capped by net.core.rmem_max; for TCP net.ipv4.tcp_rmem)"
	fixSndbuf  = "the sender outpaces its socket buffer: raise SO_SNDBUF (capped by net.core.wmem_max) or pace the sender"
	fixNoPort  = "start the service, or fix the port the sender uses; a firewall REJECT would answer instead of counting here"
	fixCsum    = "look for corruption on the path (NIC, cable, a buggy offload: try ethtool -K DEV rx off to compare)"
	fixMem     = "the protocol's memory limit was reached (net.ipv4.udp_mem or tcp_mem in pages): raise it, or find the sockets that hold the memory (ss -m)"
	fixRoute   = "check the routing table (ip route get ADDR) and the address configuration"
	fixBug     = "this is rare; if it keeps growing, capture the traffic (tcpdump) and check the sender"
	fixNetfilt = "find the rule (nft list ruleset, iptables-save, with counters) and fix it or the traffic it matches"
)

var table = []Entry{
	// Interface statistics: struct rtnl_link_stats64's fields, whose
	// meanings include/uapi/linux/if_link.h documents.
	{Link, "rx_packets", ClassTraffic, "packets received by the interface", ""},
	{Link, "tx_packets", ClassTraffic, "packets sent by the interface", ""},
	{Link, "rx_bytes", ClassTraffic, "bytes received by the interface", ""},
	{Link, "tx_bytes", ClassTraffic, "bytes sent by the interface", ""},
	{Link, "multicast", ClassTraffic, "multicast packets received", ""},
	{Link, "rx_compressed", ClassTraffic, "compressed packets received (CSLIP, PPP)", ""},
	{Link, "tx_compressed", ClassTraffic, "compressed packets sent (CSLIP, PPP)", ""},
	{Link, "rx_errors", ClassError, "received packets with errors: the sum of the rx_*_errors the driver counts, and more", "look at which rx_*_errors counter grows with it"},
	{Link, "tx_errors", ClassError, "packets the interface failed to send: the sum of the tx_*_errors the driver counts, and more", "look at which tx_*_errors counter grows with it, and at the link state"},
	{Link, "rx_dropped", ClassDrop, "received packets the device or the stack dropped without an error in them: no memory or a protocol nothing handles; on some hardware also frames the MAC address filter discarded", "compare with rx_missed_errors and ethtool -S; drops for unknown protocols (LLDP, STP on a host) are harmless; otherwise see the drop reasons dropwatch shows"},
	{Link, "tx_dropped", ClassDrop, "packets the device or its driver dropped on the way out: no memory or ring space, the device or (for veth) its peer down, an XDP or BPF program; a qdisc's own drops are not counted here", "look at the device's state and its peer's (ip link), its driver statistics (ethtool -S), and separately at its qdisc's drops (tc -s qdisc)"},
	{Link, "collisions", ClassError, "collisions on a half-duplex medium", "check speed and duplex settings on both ends (ethtool DEV); a full-duplex link has none"},
	{Link, "rx_length_errors", ClassError, "frames whose length was wrong (too short, too long, or not the length the header says)", "check the MTU on both ends and the link partner"},
	{Link, "rx_over_errors", ClassDrop, "the NIC's receive ring overflowed (on drivers that count this apart from rx_fifo_errors and rx_missed_errors)", fixRing},
	{Link, "rx_crc_errors", ClassError, "frames that arrived with a bad checksum (FCS): damaged on the wire", "check the cable, the optics, the switch port; a duplex mismatch also causes them"},
	{Link, "rx_frame_errors", ClassError, "misaligned frames (bit count not a multiple of 8)", "a physical layer problem: cable, optics or the link partner"},
	{Link, "rx_fifo_errors", ClassDrop, "the NIC's receive FIFO or ring overflowed: packets arrived faster than the host took them", fixRing},
	{Link, "rx_missed_errors", ClassDrop, "packets the NIC dropped because it had no free receive buffer in host memory: the ring was full", fixRing},
	{Link, "tx_aborted_errors", ClassError, "sends the NIC gave up (too many collisions, or a link partner that stopped)", "check the link and the link partner"},
	{Link, "tx_carrier_errors", ClassError, "sends that failed because the link had no carrier", "check the cable and that the link stays up (ip -s link shows carrier changes)"},
	{Link, "tx_fifo_errors", ClassDrop, "the NIC's transmit FIFO ran empty or overflowed", "a driver or bus problem; update the driver or firmware"},
	{Link, "tx_heartbeat_errors", ClassError, "the heartbeat (SQE) test failed on an old half-duplex Ethernet transceiver", "a physical layer problem, on old hardware"},
	{Link, "tx_window_errors", ClassError, "late collisions (after the first 64 bytes) on half duplex", "a duplex mismatch or a too-long segment; set both ends to the same duplex"},
	{Link, "rx_nohandler", ClassDrop, "packets the stack dropped because the device was not set to receive them: a bond or team member that is not active", "usually harmless on inactive bond members; otherwise check the bonding mode"},
	{Link, "rx_otherhost_dropped", ClassDrop, "packets dropped because their destination MAC address was another host's (the NIC was promiscuous or the switch flooded them)", "usually harmless; a lot of them means the switch floods unicast (full MAC table) or the NIC is promiscuous"},

	// /proc/net/softnet_stat (net/core/net-procfs.c).
	{Softnet, "processed", ClassTraffic, "packets this CPU took off its backlog queues (non-NAPI devices, RPS, loopback, veth)", ""},
	{Softnet, "dropped", ClassDrop, "packets dropped because this CPU's backlog queue was full (or by the RPS flow limit)", "raise net.core.netdev_max_backlog, and spread the work over more CPUs (RPS, RSS) so that each backlog drains faster"},
	{Softnet, "time_squeeze", ClassError, "the receive softirq ran out of its budget or time with packets still waiting; they wait for the next run (and may then overflow a ring)", "raise net.core.netdev_budget and net.core.netdev_budget_usecs, or spread the interrupts and RPS over more CPUs"},
	{Softnet, "received_rps", ClassTraffic, "times another CPU woke this one to process packets it steered here with RPS or RFS", ""},
	{Softnet, "flow_limit_count", ClassDrop, "packets dropped by the RPS flow limit, which keeps one big flow from filling a backlog", "expected under a single heavy flow; tune net.core.flow_limit_table_len and flow_limit_cpu_bitmap, or net.core.netdev_max_backlog"},
	{Softnet, "backlog_len", ClassOther, "packets waiting in this CPU's backlog queues now (a gauge)", "a backlog that stays near net.core.netdev_max_backlog is about to drop"},

	// tc qdisc statistics (struct gnet_stats_queue, gnet_stats_basic).
	{Qdisc, "bytes", ClassTraffic, "bytes the qdisc sent", ""},
	{Qdisc, "packets", ClassTraffic, "packets the qdisc sent", ""},
	{Qdisc, "drops", ClassDrop, "packets the qdisc dropped: its queue was full (limit), its policy dropped them (RED, CoDel, netem loss, policing), or a tc filter did", "find which qdisc and why (tc -s qdisc show dev DEV); raise its limit or the txqueuelen, or shape the traffic before it gets here"},
	{Qdisc, "overlimits", ClassError, "times the qdisc held or dropped packets because a rate limit was reached (shapers such as tbf, htb)", "expected for a shaper doing its job; drops follow only if the queue also fills"},
	{Qdisc, "requeues", ClassError, "times the driver refused a packet (its ring was full) and the qdisc had to queue it again", "a transmit ring that fills: enlarge it (ethtool -G DEV tx N) or check the link's speed"},
	{Qdisc, "backlog", ClassOther, "bytes waiting in the qdisc now (a gauge)", "a backlog that stays high means the link is the bottleneck; the queue will drop when it reaches its limit"},
	{Qdisc, "qlen", ClassOther, "packets waiting in the qdisc now (a gauge)", "as for backlog"},

	// The standard ethtool groups' error counters (IEEE 802.3 clause 30
	// and RMON, RFC 2819; names from the kernel's string sets,
	// net/ethtool/common.c), as "<group>-<name>".
	{Ethtool, "eth-phy-SymbolErrorDuringCarrier", ClassError, "the PHY received invalid symbols while a frame was being received: a bad signal", "check the cable, the optics and their cleanliness, and the link partner's port"},
	{Ethtool, "eth-mac-FrameCheckSequenceErrors", ClassError, "frames received with a bad checksum (FCS): damaged on the wire", "check the cable, the optics, the switch port; a duplex mismatch also causes them"},
	{Ethtool, "eth-mac-AlignmentErrors", ClassError, "frames received with a bad FCS and a length that is not whole bytes", "a physical layer problem: cable, optics or the link partner"},
	{Ethtool, "eth-mac-LateCollisions", ClassError, "collisions after the first 64 bytes of a frame (half duplex)", "a duplex mismatch: set both ends to the same duplex"},
	{Ethtool, "eth-mac-FramesAbortedDueToXSColls", ClassDrop, "frames not sent after too many collisions (half duplex)", "a duplex mismatch or an overloaded shared segment"},
	{Ethtool, "eth-mac-FramesLostDueToIntMACXmitError", ClassDrop, "frames the MAC failed to send for an internal error (underrun)", "a driver, firmware or bus problem; update them"},
	{Ethtool, "eth-mac-CarrierSenseErrors", ClassError, "the carrier was lost or never seen while sending", "check the cable and the link partner"},
	{Ethtool, "eth-mac-FramesLostDueToIntMACRcvError", ClassDrop, "frames the MAC dropped on receive for an internal error, mostly its receive FIFO overflowing", fixRing},
	{Ethtool, "eth-mac-FramesWithExcessiveDeferral", ClassError, "frames that waited too long for the medium (half duplex)", "an overloaded shared segment or a duplex mismatch"},
	{Ethtool, "eth-mac-InRangeLengthErrors", ClassError, "frames whose length field disagreed with their real length", "a broken sender or a damaged link"},
	{Ethtool, "eth-mac-OutOfRangeLengthField", ClassError, "frames with a length field beyond the allowed range", "usually harmless (some protocols use such values); else a broken sender"},
	{Ethtool, "eth-mac-FrameTooLongErrors", ClassDrop, "frames longer than the largest the port accepts: an MTU mismatch", "set the same MTU on both ends (ip link set DEV mtu N) and on the path"},
	{Ethtool, "eth-ctrl-UnsupportedOpcodesReceived", ClassError, "MAC control frames with an opcode the NIC does not support", "usually harmless: the link partner speaks a control protocol this NIC does not"},
	{Ethtool, "rmon-etherStatsUndersizePkts", ClassError, "well-formed frames shorter than 64 bytes", "a broken sender"},
	{Ethtool, "rmon-etherStatsOversizePkts", ClassError, "well-formed frames longer than the maximum", "an MTU mismatch with the sender"},
	{Ethtool, "rmon-etherStatsFragments", ClassError, "frames shorter than 64 bytes with a bad FCS: collision fragments or noise", "a duplex mismatch or a bad link"},
	{Ethtool, "rmon-etherStatsJabbers", ClassError, "frames longer than the maximum with a bad FCS", "a faulty transmitter on the link partner"},
	{Ethtool, "phydev-RxErrors", ClassError, "receive errors the PHY counted", "check the cable, the optics and the link partner"},
	{Ethtool, "phydev-TxErrors", ClassError, "transmit errors the PHY counted", "check the cable, the optics and the link partner"},

	// SNMP and netstat MIBs (include/uapi/linux/snmp.h; names as nstat
	// prints them).
	{SNMP, "IpInHdrErrors", ClassDrop, "IPv4 packets dropped for a bad header: wrong version, checksum, length, or TTL exceeded", fixCsum},
	{SNMP, "IpInAddrErrors", ClassDrop, "IPv4 packets dropped because their destination address was invalid for this host (and forwarding was off)", fixRoute},
	{SNMP, "IpInUnknownProtos", ClassDrop, "IPv4 packets for a protocol nothing on the host handles", "harmless unless the protocol should be handled (load its module, e.g. sctp or gre)"},
	{SNMP, "IpInDiscards", ClassDrop, "IPv4 packets dropped on input for no error in them, mostly for lack of memory", "look for memory pressure and the drop reasons dropwatch shows"},
	{SNMP, "IpOutDiscards", ClassDrop, "IPv4 packets dropped on output for no error in them: no memory, a full queue, or netfilter", "look at qdisc drops and the drop reasons (NETFILTER_DROP, QDISC_DROP)"},
	{SNMP, "IpOutNoRoutes", ClassDrop, "IPv4 packets dropped because there was no route to their destination", fixRoute},
	{SNMP, "IpReasmTimeout", ClassDrop, "IPv4 fragment reassemblies that timed out: some fragments never came", "fragments are being lost on the way; avoid fragmentation (path MTU, smaller datagrams) or raise net.ipv4.ipfrag_time"},
	{SNMP, "IpReasmFails", ClassDrop, "IPv4 reassemblies that failed (timeouts, overlaps, memory limit)", "raise net.ipv4.ipfrag_high_thresh if the reassembly memory is full; better, avoid fragmentation"},
	{SNMP, "IpFragFails", ClassDrop, "IPv4 packets that needed fragmenting but could not be (Don't Fragment was set)", "expected with path MTU discovery; if it persists, check for ICMP 'fragmentation needed' being blocked"},
	{SNMP, "IpExtInNoRoutes", ClassDrop, "IPv4 packets received with no route to forward them", fixRoute},
	{SNMP, "IpExtInTruncatedPkts", ClassDrop, "IPv4 packets shorter than their header said", fixBug},
	{SNMP, "IpExtInCsumErrors", ClassDrop, "IPv4 packets with a bad header checksum", fixCsum},
	{SNMP, "IcmpInErrors", ClassError, "ICMP messages received with errors (bad checksum, too short)", fixBug},
	{SNMP, "IcmpInCsumErrors", ClassDrop, "ICMP messages with a bad checksum", fixCsum},
	{SNMP, "IcmpOutErrors", ClassError, "ICMP messages the host could not send (no memory, no route)", fixRoute},
	{SNMP, "IcmpOutRateLimitGlobal", ClassDrop, "ICMP messages not sent because of the host-wide ICMP rate limit (net.ipv4.icmp_msgs_per_sec)", "usually intended; raise the limit only if replies must not be lost"},
	{SNMP, "IcmpOutRateLimitHost", ClassDrop, "ICMP messages not sent because of the per-destination rate limit (net.ipv4.icmp_ratelimit)", "usually intended (a port scan or traffic to closed ports triggers it)"},
	{SNMP, "TcpAttemptFails", ClassError, "TCP connection attempts that failed (reset or timed out in SYN states)", "check that the peer listens and is reachable; see TcpExtListenDrops on the server"},
	{SNMP, "TcpEstabResets", ClassError, "established TCP connections reset", "a peer or middlebox closing connections abruptly; application-level cause"},
	{SNMP, "TcpInErrs", ClassDrop, "TCP segments received in error (mostly bad checksums)", fixCsum},
	{SNMP, "TcpInCsumErrors", ClassDrop, "TCP segments with a bad checksum", fixCsum},
	{SNMP, "TcpRetransSegs", ClassError, "TCP segments sent again: an earlier copy was lost (or thought lost)", "loss somewhere on the path: look for drops on both hosts and in between"},
	{SNMP, "TcpOutRsts", ClassError, "TCP resets sent (to closed ports, or to abort connections)", "resets to closed ports mean clients connect to a port nothing listens on"},
	{SNMP, "UdpNoPorts", ClassDrop, "UDP datagrams for a port nothing listens on", fixNoPort},
	{SNMP, "UdpInErrors", ClassDrop, "UDP datagrams that could not be delivered: a full receive buffer (also counted in UdpRcvbufErrors), no memory, a bad checksum", "see UdpRcvbufErrors, UdpMemErrors and UdpInCsumErrors, which tell these apart"},
	{SNMP, "UdpRcvbufErrors", ClassDrop, "UDP datagrams dropped because a socket's receive buffer was full: the application reads too slowly or its buffer is too small", fixRcvbuf},
	{SNMP, "UdpSndbufErrors", ClassDrop, "UDP datagrams dropped on sending because the socket's send buffer was full (or no memory)", fixSndbuf},
	{SNMP, "UdpInCsumErrors", ClassDrop, "UDP datagrams with a bad checksum", fixCsum},
	{SNMP, "UdpMemErrors", ClassDrop, "UDP datagrams dropped because UDP's memory limit was reached", fixMem},
	{SNMP, "UdpIgnoredMulti", ClassOther, "multicast or broadcast UDP datagrams no socket wanted", "harmless"},
	{SNMP, "UdpLiteNoPorts", ClassDrop, "UDP-Lite datagrams for a port nothing listens on", fixNoPort},
	{SNMP, "UdpLiteInErrors", ClassDrop, "UDP-Lite datagrams that could not be delivered", "see UdpLiteRcvbufErrors and UdpLiteInCsumErrors"},
	{SNMP, "UdpLiteRcvbufErrors", ClassDrop, "UDP-Lite datagrams dropped because a socket's receive buffer was full", fixRcvbuf},
	{SNMP, "UdpLiteSndbufErrors", ClassDrop, "UDP-Lite datagrams dropped because a send buffer was full", fixSndbuf},
	{SNMP, "UdpLiteInCsumErrors", ClassDrop, "UDP-Lite datagrams with a bad checksum", fixCsum},
	{SNMP, "UdpLiteMemErrors", ClassDrop, "UDP-Lite datagrams dropped at the memory limit", fixMem},
	{SNMP, "TcpExtListenOverflows", ClassDrop, "connections a listening socket could not accept because its accept queue was full", "the application calls accept() too slowly, or its backlog is small: raise listen()'s backlog and net.core.somaxconn"},
	{SNMP, "TcpExtListenDrops", ClassDrop, "SYNs and handshake ACKs dropped at a listening socket, for any reason (an overflowing accept queue among them)", "compare with TcpExtListenOverflows and TcpExtTCPReqQFullDrop; raise the backlog and net.core.somaxconn, net.ipv4.tcp_max_syn_backlog"},
	{SNMP, "TcpExtTCPReqQFullDrop", ClassDrop, "SYNs dropped because the SYN queue was full and syncookies were off", "raise net.ipv4.tcp_max_syn_backlog, or enable net.ipv4.tcp_syncookies (a SYN flood also causes this)"},
	{SNMP, "TcpExtTCPReqQFullDoCookies", ClassOther, "SYN queue full: answered with a syncookie instead of dropping", "a burst of connections or a SYN flood; raise the backlog if it is legitimate"},
	{SNMP, "TcpExtSyncookiesSent", ClassOther, "syncookies sent because a SYN queue was full", "as for TcpExtTCPReqQFullDoCookies"},
	{SNMP, "TcpExtSyncookiesFailed", ClassDrop, "ACKs with a syncookie that did not check out", "stale or forged handshakes; usually harmless"},
	{SNMP, "TcpExtPruneCalled", ClassError, "times a TCP socket's receive queue was over its memory and had to be collapsed or pruned", "the application reads too slowly: read faster or raise net.ipv4.tcp_rmem"},
	{SNMP, "TcpExtRcvPruned", ClassDrop, "TCP segments dropped from a receive queue because pruning could not free enough memory", "as for TcpExtPruneCalled; also check net.ipv4.tcp_mem"},
	{SNMP, "TcpExtOfoPruned", ClassDrop, "out-of-order TCP segments dropped to free memory", "as for TcpExtPruneCalled"},
	{SNMP, "TcpExtTCPOFODrop", ClassDrop, "out-of-order TCP segments dropped because the socket was over its receive memory", "read faster or raise net.ipv4.tcp_rmem"},
	{SNMP, "TcpExtTCPRcvQDrop", ClassDrop, "TCP segments dropped because the socket's receive queue was over its memory", "read faster or raise net.ipv4.tcp_rmem"},
	{SNMP, "TcpExtTCPZeroWindowDrop", ClassDrop, "TCP segments dropped because they arrived while this host's receive window was zero", "the application does not read; read faster or give it a bigger buffer"},
	{SNMP, "TcpExtTCPBacklogDrop", ClassDrop, "TCP segments dropped because the socket's backlog (used while a user task holds the socket) was full", "the application holds the socket lock too long, or its buffers are small: raise net.ipv4.tcp_rmem"},
	{SNMP, "TcpExtPFMemallocDrop", ClassDrop, "TCP segments in emergency memory dropped for a socket not allowed to use it", "the host is critically short of memory"},
	{SNMP, "TcpExtTCPMinTTLDrop", ClassDrop, "TCP segments dropped for a TTL below the socket's IP_MINTTL", "intended protection (GTSM); check the peer's hop count"},
	{SNMP, "TcpExtTCPDeferAcceptDrop", ClassDrop, "handshake ACKs without data dropped by TCP_DEFER_ACCEPT", "intended; clients that send nothing are dropped after the timeout"},
	{SNMP, "TcpExtLockDroppedIcmps", ClassDrop, "ICMP errors for TCP dropped because the socket was locked by its user", "harmless unless it is frequent"},
	{SNMP, "TcpExtOutOfWindowIcmps", ClassDrop, "ICMP errors for TCP dropped because they referred to data outside the window", "harmless (stale or forged ICMP)"},
	{SNMP, "TcpExtTCPAbortOnMemory", ClassDrop, "TCP connections aborted because TCP ran out of memory (or orphans)", fixMem},
	{SNMP, "TcpExtTCPAbortOnTimeout", ClassError, "TCP connections aborted after retransmitting in vain", "the peer or the path went away; look for drops on the path"},
	{SNMP, "TcpExtTCPMemoryPressures", ClassError, "times TCP entered memory pressure (net.ipv4.tcp_mem)", "raise net.ipv4.tcp_mem or find the sockets holding memory (ss -tm)"},
	{SNMP, "TcpExtTCPTimeouts", ClassError, "TCP retransmission timeouts", "loss on the path (or an unresponsive peer)"},
	{SNMP, "TcpExtTCPSynRetrans", ClassError, "SYNs sent again: the first got no answer", "the peer does not answer: a listen queue drop there, a firewall, or loss"},
	{SNMP, "TcpExtTCPRetransFail", ClassDrop, "retransmissions that could not be sent (no memory, a full qdisc)", "look at qdisc drops and memory"},
	{SNMP, "TcpExtTCPFastOpenListenOverflow", ClassDrop, "TFO requests refused because the Fast Open queue was full", "raise the TCP_FASTOPEN queue length"},
	{SNMP, "TcpExtTCPMD5NotFound", ClassDrop, "segments dropped: TCP-MD5 was expected but missing", "configure the same MD5 key on both ends (BGP peers)"},
	{SNMP, "TcpExtTCPMD5Unexpected", ClassDrop, "segments dropped: they carried an MD5 signature this socket does not use", "configure MD5 on both ends or none"},
	{SNMP, "TcpExtTCPMD5Failure", ClassDrop, "segments dropped: the MD5 signature was wrong", "the keys differ: fix them"},
	{SNMP, "TcpExtTCPAOBad", ClassDrop, "segments dropped: the TCP-AO signature was wrong", "the keys differ: fix them"},
	{SNMP, "TcpExtTCPAOKeyNotFound", ClassDrop, "segments dropped: no TCP-AO key matches", "configure matching TCP-AO keys"},
	{SNMP, "TcpExtTCPAORequired", ClassDrop, "segments dropped: TCP-AO was required but missing", "configure TCP-AO on the peer"},
	{SNMP, "TcpExtTCPAODroppedIcmps", ClassDrop, "ICMP errors ignored on TCP-AO connections", "intended protection"},
	{SNMP, "TcpExtPAWSEstab", ClassDrop, "segments dropped by PAWS: their timestamp was older than the last one seen", "usually retransmitted duplicates; a NAT that mixes hosts' timestamps causes many"},
	{SNMP, "TcpExtPAWSActive", ClassDrop, "SYN-ACKs dropped by PAWS", "as for TcpExtPAWSEstab"},
	{SNMP, "TcpExtTCPSACKDiscard", ClassDrop, "SACK blocks ignored as invalid", "a buggy peer or middlebox"},
	{SNMP, "TcpExtTCPWqueueTooBig", ClassDrop, "sends refused because the socket's write queue was too big to split", "rare; check SO_SNDBUF and the application's write sizes"},
	{SNMP, "TcpExtTCPMigrateReqFailure", ClassDrop, "connection requests lost while moving them to another listener (SO_REUSEPORT)", "check net.ipv4.tcp_migrate_req and the listeners' lifetime"},
	{SNMP, "TcpExtTCPTimeWaitOverflow", ClassOther, "TIME-WAIT sockets not kept because net.ipv4.tcp_max_tw_buckets was reached", "raise the limit, or reuse connections"},
	{SNMP, "TcpExtIPReversePathFilter", ClassDrop, "packets dropped by the reverse path filter (rp_filter): they came in on an interface their source is not routed through", "expected with asymmetric routing: set net.ipv4.conf.*.rp_filter to 2 (loose) or fix the routes"},
	{SNMP, "TcpExtEmbryonicRsts", ClassError, "resets received for connections still in SYN-RECV (half open)", "clients giving up on a slow handshake, or scans"},
	{SNMP, "TcpExtTCPAbortOnClose", ClassError, "connections reset because the application closed them with unread data", "application behaviour: it closes before reading everything"},
	{SNMP, "TcpExtTCPAbortOnData", ClassError, "connections reset because data arrived after the application had closed its end", "application behaviour, or a peer that keeps sending after a close"},
	{SNMP, "TcpExtTCPAbortOnLinger", ClassError, "connections reset when the SO_LINGER or FIN-WAIT-2 timeout ran out", "the peer never finished closing; usually harmless"},
	{SNMP, "TcpExtTCPAbortFailed", ClassError, "resets TCP wanted to send but could not (no memory)", "memory pressure: see TcpExtTCPMemoryPressures"},
	{SNMP, "TcpExtTCPFastOpenActiveFail", ClassError, "TCP Fast Open attempts that fell back to a normal handshake", "a middlebox drops SYNs with data; harmless, TFO backs off by itself"},
	{SNMP, "TcpExtTCPFastOpenPassiveFail", ClassError, "TCP Fast Open SYNs whose cookie was refused", "expected after a key change; many point at forged cookies"},
	{SNMP, "TcpExtTCPLossFailures", ClassError, "loss recoveries that needed a timeout (RTO) after all", "heavy loss on the path"},
	{SNMP, "TcpExtTCPRenoFailures", ClassError, "Reno recoveries that needed a timeout after all", "heavy loss on the path"},
	{SNMP, "TcpExtTCPSackFailures", ClassError, "SACK recoveries that needed a timeout after all", "heavy loss on the path"},
	{SNMP, "TcpExtTCPRenoRecoveryFail", ClassError, "Reno fast recoveries that failed: a retransmission was lost again", "heavy loss on the path"},
	{SNMP, "TcpExtTCPSackRecoveryFail", ClassError, "SACK fast recoveries that failed: a retransmission was lost again", "heavy loss on the path"},
	{SNMP, "TcpExtTCPMTUPFail", ClassError, "path MTU probes (tcp_mtu_probing) that were lost", "the path's MTU is smaller than probed; usually harmless"},
	{SNMP, "TcpExtTcpTimeoutRehash", ClassError, "retransmission timeouts after which TCP picked another path (a new flow label or hash)", "loss on one path of several (ECMP); look for the lossy link"},
	{SNMP, "MPTcpExtAddAddrDrop", ClassDrop, "MPTCP ADD_ADDR announcements received and dropped (the path manager's limits were reached, or it could not take them)", "raise the limits (ip mptcp limits set add_addr_accepted N subflows N) if more paths are wanted"},
	{SNMP, "MPTcpExtAddAddrTxDrop", ClassDrop, "MPTCP ADD_ADDR announcements that could not be sent", "check the MPTCP endpoints (ip mptcp endpoint show); usually transient"},
	{SNMP, "MPTcpExtEchoAddTxDrop", ClassDrop, "echoes of MPTCP ADD_ADDR announcements that could not be sent", "usually transient"},
	{SNMP, "MPTcpExtRmAddrDrop", ClassDrop, "MPTCP RM_ADDR messages received and dropped", "usually transient"},
	{SNMP, "MPTcpExtRmAddrTxDrop", ClassDrop, "MPTCP RM_ADDR messages that could not be sent", "usually transient"},
	{SNMP, "MPTcpExtRcvPruned", ClassDrop, "MPTCP data dropped because the MPTCP socket could not get receive memory for it (net/mptcp/protocol.c, MPTCP_MIB_RCVPRUNED; in Debian's 6.1 and 6.12, not in 6.18's list)", fixRcvbuf},
	{SNMP, "MPTcpExtMPCapableSYNTXDrop", ClassDrop, "MPTCP SYNs with MP_CAPABLE that were dropped on the way out", "look for drops on the way out (qdisc, netfilter)"},
	{SNMP, "MPTcpExtDSSCorruptionReset", ClassError, "MPTCP connections reset because their data sequence mapping was corrupt", "a middlebox rewriting the payload or options"},
	{SNMP, "MPTcpExtDataCsumErr", ClassError, "MPTCP data with a bad DSS checksum", "a middlebox rewriting the payload"},
	{SNMP, "MPTcpExtFallbackFailed", ClassError, "MPTCP connections that needed to fall back to plain TCP but could not, and were reset", "a middlebox interfering with MPTCP options"},
	{SNMP, "MPTcpExtMPFailRx", ClassError, "MP_FAIL options received: the peer found a bad checksum", "a middlebox rewriting the payload"},
	{SNMP, "MPTcpExtMPFailTx", ClassError, "MP_FAIL options sent: this host found a bad checksum", "a middlebox rewriting the payload"},
	{SNMP, "MPTcpExtMPJoinAckHMacFailure", ClassError, "MPTCP joins refused: the ACK's HMAC was wrong", "forged or broken join attempts"},
	{SNMP, "MPTcpExtMPJoinSynAckHMacFailure", ClassError, "MPTCP joins refused: the SYN-ACK's HMAC was wrong", "forged or broken join attempts"},
	{SNMP, "MPTcpExtMPJoinSynTxBindErr", ClassError, "MPTCP subflows not opened: the local address could not be bound", "check the MPTCP endpoints' addresses"},
	{SNMP, "MPTcpExtMPJoinSynTxConnectErr", ClassError, "MPTCP subflows not opened: connect failed", "check routes to the peer's addresses"},
	{SNMP, "MPTcpExtMPJoinSynTxCreatSkErr", ClassError, "MPTCP subflows not opened: no socket could be created", "memory or limits; usually transient"},
	{SNMP, "Ip6InHdrErrors", ClassDrop, "IPv6 packets dropped for a bad header (version, hop limit exceeded, length)", fixCsum},
	{SNMP, "Ip6InTooBigErrors", ClassDrop, "IPv6 packets that could not be forwarded because they exceed the next link's MTU", "path MTU discovery should fix it; check that ICMPv6 Packet Too Big is not blocked"},
	{SNMP, "Ip6InNoRoutes", ClassDrop, "IPv6 packets dropped with no route to forward them", fixRoute},
	{SNMP, "Ip6InAddrErrors", ClassDrop, "IPv6 packets for an address that is not valid here", fixRoute},
	{SNMP, "Ip6InUnknownProtos", ClassDrop, "IPv6 packets for a next header nothing handles", "harmless unless the protocol should be handled"},
	{SNMP, "Ip6InTruncatedPkts", ClassDrop, "IPv6 packets shorter than their header said", fixBug},
	{SNMP, "Ip6InDiscards", ClassDrop, "IPv6 packets dropped on input for no error in them (memory, IPv6 disabled on the interface)", "look at the drop reasons dropwatch shows"},
	{SNMP, "Ip6OutDiscards", ClassDrop, "IPv6 packets dropped on output for no error in them (memory, netfilter, full queues)", "look at qdisc drops and the drop reasons"},
	{SNMP, "Ip6OutNoRoutes", ClassDrop, "IPv6 packets dropped with no route to their destination", fixRoute},
	{SNMP, "Ip6ReasmTimeout", ClassDrop, "IPv6 reassemblies that timed out", "fragments are lost on the way; avoid fragmentation or raise net.ipv6.ip6frag_time"},
	{SNMP, "Ip6ReasmFails", ClassDrop, "IPv6 reassemblies that failed", "raise net.ipv6.ip6frag_high_thresh if memory is the limit; avoid fragmentation"},
	{SNMP, "Ip6FragFails", ClassDrop, "IPv6 packets that had to be fragmented but could not be", "check the MTU and path MTU discovery"},
	{SNMP, "Icmp6InErrors", ClassError, "ICMPv6 messages received with errors", fixBug},
	{SNMP, "Icmp6InCsumErrors", ClassDrop, "ICMPv6 messages with a bad checksum", fixCsum},
	{SNMP, "Icmp6OutErrors", ClassError, "ICMPv6 messages the host could not send", fixRoute},
	{SNMP, "Icmp6OutRateLimitHost", ClassDrop, "ICMPv6 messages not sent because of the per-destination rate limit (net.ipv6.icmp.ratelimit)", "usually intended"},
	{SNMP, "Udp6NoPorts", ClassDrop, "UDP/IPv6 datagrams for a port nothing listens on", fixNoPort},
	{SNMP, "Udp6InErrors", ClassDrop, "UDP/IPv6 datagrams that could not be delivered (full receive buffer, no memory, bad checksum)", "see Udp6RcvbufErrors, Udp6MemErrors and Udp6InCsumErrors"},
	{SNMP, "Udp6RcvbufErrors", ClassDrop, "UDP/IPv6 datagrams dropped because a socket's receive buffer was full", fixRcvbuf},
	{SNMP, "Udp6SndbufErrors", ClassDrop, "UDP/IPv6 datagrams dropped because a send buffer was full", fixSndbuf},
	{SNMP, "Udp6InCsumErrors", ClassDrop, "UDP/IPv6 datagrams with a bad checksum", fixCsum},
	{SNMP, "Udp6MemErrors", ClassDrop, "UDP/IPv6 datagrams dropped at UDP's memory limit", fixMem},
	{SNMP, "Udp6IgnoredMulti", ClassOther, "multicast UDP/IPv6 datagrams no socket wanted", "harmless"},
	{SNMP, "UdpLite6NoPorts", ClassDrop, "UDP-Lite/IPv6 datagrams for a port nothing listens on", fixNoPort},
	{SNMP, "UdpLite6InErrors", ClassDrop, "UDP-Lite/IPv6 datagrams that could not be delivered", "see UdpLite6RcvbufErrors and UdpLite6InCsumErrors"},
	{SNMP, "UdpLite6RcvbufErrors", ClassDrop, "UDP-Lite/IPv6 datagrams dropped because a receive buffer was full", fixRcvbuf},
	{SNMP, "UdpLite6SndbufErrors", ClassDrop, "UDP-Lite/IPv6 datagrams dropped because a send buffer was full", fixSndbuf},
	{SNMP, "UdpLite6InCsumErrors", ClassDrop, "UDP-Lite/IPv6 datagrams with a bad checksum", fixCsum},
	{SNMP, "UdpLite6MemErrors", ClassDrop, "UDP-Lite/IPv6 datagrams dropped at the memory limit", fixMem},
}
