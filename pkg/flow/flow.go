package flow

import (
	"net/netip"
	"strconv"
)

// Link says where a payload starts.
type Link uint8

const (
	// LinkAuto guesses the start from the payload and the EtherType: see
	// GuessLink.
	LinkAuto Link = iota
	// LinkEthernet: the payload starts at an Ethernet header (Ethernet and
	// loopback devices: ARPHRD_ETHER, ARPHRD_LOOPBACK).
	LinkEthernet
	// LinkRaw: the payload starts at the network header, and the EtherType
	// (NET_DM_ATTR_PROTO) says which one (tun and other ARPHRD_NONE
	// devices).
	LinkRaw
)

// String returns "auto", "ethernet" or "raw".
func (l Link) String() string {
	switch l {
	case LinkAuto:
		return "auto"
	case LinkEthernet:
		return "ethernet"
	case LinkRaw:
		return "raw"
	}
	return "link(" + strconv.Itoa(int(l)) + ")"
}

// EtherTypes Decode knows.
const (
	EtherTypeIPv4  = 0x0800
	EtherTypeARP   = 0x0806
	EtherTypeIPv6  = 0x86dd
	EtherTypeDot1Q = 0x8100 // 802.1Q VLAN tag
	EtherTypeQinQ  = 0x88a8 // 802.1ad service tag
)

// IP protocol numbers Decode reads the header of.
const (
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoICMPv6 = 58
)

// Depth is the deepest layer a Decode read in full.
type Depth uint8

const (
	// DepthNone: not even the link-layer header.
	DepthNone Depth = iota
	// DepthLink: the Ethernet header and VLAN tags; EtherType is set.
	DepthLink
	// DepthNetwork: the ARP, IPv4 or IPv6 header (with IPv6 extension
	// headers); addresses and Proto are set.
	DepthNetwork
	// DepthTransport: the TCP, UDP, ICMP or ICMPv6 header.
	DepthTransport
)

// String returns "none", "link", "network" or "transport".
func (d Depth) String() string {
	switch d {
	case DepthNone:
		return "none"
	case DepthLink:
		return "link"
	case DepthNetwork:
		return "network"
	case DepthTransport:
		return "transport"
	}
	return "depth(" + strconv.Itoa(int(d)) + ")"
}

// TCP flag bits, as in the TCP header's 13th byte.
const (
	TCPFin = 0x01
	TCPSyn = 0x02
	TCPRst = 0x04
	TCPPsh = 0x08
	TCPAck = 0x10
	TCPUrg = 0x20
	TCPEce = 0x40
	TCPCwr = 0x80
)

// ARP operations.
const (
	ARPRequest = 1
	ARPReply   = 2
)

// Flow is what Decode read from one payload. Fields of layers it did not
// reach are zero; Depth says how far it got.
type Flow struct {
	// EtherType is the network protocol: the Ethernet header's type after
	// any VLAN tags, or the EtherType given for a raw payload.
	EtherType uint16
	// VLAN is the VLAN identifier of the outermost 802.1Q/802.1ad tag, when
	// Tagged. A tag the kernel moved out of the frame (VLAN offload) is not
	// in the payload and so not seen.
	VLAN   uint16
	Tagged bool

	// Src and Dst are the IPv4 or IPv6 addresses; for ARP over IPv4, the
	// sender's and the target's protocol addresses.
	Src, Dst netip.Addr
	// Proto is the IP protocol of the upper-layer header: for IPv6, the
	// one after the extension headers (or the last next-header reached,
	// when the payload ends among them).
	Proto uint8
	// Fragment is set for a non-first IPv4 or IPv6 fragment: it carries no
	// transport header, so ports and flags are zero.
	Fragment bool

	// SrcPort and DstPort are the TCP or UDP ports.
	SrcPort, DstPort uint16
	// TCPFlags is the TCP header's flag byte (TCPFin ... TCPCwr).
	TCPFlags uint8
	// ICMPType and ICMPCode are the ICMP or ICMPv6 type and code.
	ICMPType, ICMPCode uint8
	// ARPOp is the ARP operation (ARPRequest, ARPReply, ...).
	ARPOp uint16

	// Depth is the deepest layer read in full.
	Depth Depth
	// Truncated is set when the payload ended before the end of a header
	// it announced (the alert was cut by the truncation length): the
	// fields of that header are set as far as its bytes go (ports from a
	// partial TCP or UDP header, type and code from a partial ICMP one).
	Truncated bool
}

// String returns the flow line's text (without "flow: "); see AppendText.
func (f Flow) String() string {
	var b [128]byte
	return string(f.AppendText(b[:0]))
}

// AppendText appends the flow's text to b and returns it. The format, kept
// stable for scripts (docs/flows.md):
//
//	[vlan VID ]KIND SRC > DST[ EXTRA...]
//
// KIND is tcp, udp, icmp, icmp6, arp, "ip proto N" / "ip6 proto N" for
// other upper layers, ip / ip6 when the upper layer was not reached, or
// "ethertype 0xNNNN" (then no addresses) for other network protocols. SRC
// and DST are addresses, with ":port" for TCP and UDP (IPv6 in brackets:
// "[2001:db8::1]:53"). EXTRA: "[S.]" TCP flags (tcpdump's letters F S R P
// . U E W, "none" for no flag), "type T code C" for ICMP, "request",
// "reply" or "op N" for ARP (before the addresses), "fragment", and
// "truncated" last. An empty payload gives "unknown".
func (f Flow) AppendText(b []byte) []byte {
	if f.Tagged {
		b = append(b, "vlan "...)
		b = strconv.AppendUint(b, uint64(f.VLAN), 10)
		b = append(b, ' ')
	}
	if f.Depth == DepthNone {
		b = append(b, "unknown"...)
		return appendTrunc(b, f)
	}
	switch f.EtherType {
	case EtherTypeIPv4, EtherTypeIPv6, EtherTypeARP:
	default:
		b = append(b, "ethertype 0x"...)
		b = appendHex16(b, f.EtherType)
		return appendTrunc(b, f)
	}
	if f.EtherType == EtherTypeARP {
		b = append(b, "arp"...)
		switch f.ARPOp {
		case 0:
		case ARPRequest:
			b = append(b, " request"...)
		case ARPReply:
			b = append(b, " reply"...)
		default:
			b = append(b, " op "...)
			b = strconv.AppendUint(b, uint64(f.ARPOp), 10)
		}
		if f.Src.IsValid() {
			b = append(b, ' ')
			b = f.Src.AppendTo(b)
			b = append(b, " > "...)
			b = f.Dst.AppendTo(b)
		}
		return appendTrunc(b, f)
	}
	if f.Depth < DepthNetwork {
		b = append(b, ipName(f.EtherType)...)
		return appendTrunc(b, f)
	}
	ports := false
	switch {
	case f.Depth < DepthTransport && !f.Truncated && !f.Fragment:
		// The upper layer is one Decode does not read.
		b = append(b, ipName(f.EtherType)...)
		b = append(b, " proto "...)
		b = strconv.AppendUint(b, uint64(f.Proto), 10)
	case f.Proto == ProtoTCP, f.Proto == ProtoUDP:
		if f.Proto == ProtoTCP {
			b = append(b, "tcp"...)
		} else {
			b = append(b, "udp"...)
		}
		ports = f.SrcPort != 0 || f.DstPort != 0 || f.Depth == DepthTransport
	case f.Proto == ProtoICMP && f.EtherType == EtherTypeIPv4:
		b = append(b, "icmp"...)
	case f.Proto == ProtoICMPv6 && f.EtherType == EtherTypeIPv6:
		b = append(b, "icmp6"...)
	default:
		b = append(b, ipName(f.EtherType)...)
		b = append(b, " proto "...)
		b = strconv.AppendUint(b, uint64(f.Proto), 10)
	}
	b = append(b, ' ')
	b = appendAddr(b, f.Src, f.SrcPort, ports)
	b = append(b, " > "...)
	b = appendAddr(b, f.Dst, f.DstPort, ports)
	if f.Depth == DepthTransport || f.Truncated {
		switch {
		case f.Proto == ProtoTCP && f.Depth == DepthTransport:
			b = append(b, " ["...)
			b = appendTCPFlags(b, f.TCPFlags)
			b = append(b, ']')
		case (f.Proto == ProtoICMP || f.Proto == ProtoICMPv6) && (f.Depth == DepthTransport || f.ICMPType != 0 || f.ICMPCode != 0):
			b = append(b, " type "...)
			b = strconv.AppendUint(b, uint64(f.ICMPType), 10)
			b = append(b, " code "...)
			b = strconv.AppendUint(b, uint64(f.ICMPCode), 10)
		}
	}
	if f.Fragment {
		b = append(b, " fragment"...)
	}
	return appendTrunc(b, f)
}

func ipName(etherType uint16) string {
	if etherType == EtherTypeIPv6 {
		return "ip6"
	}
	return "ip"
}

func appendTrunc(b []byte, f Flow) []byte {
	if f.Truncated {
		b = append(b, " truncated"...)
	}
	return b
}

func appendAddr(b []byte, a netip.Addr, port uint16, withPort bool) []byte {
	if !withPort {
		return a.AppendTo(b)
	}
	if a.Is6() {
		b = append(b, '[')
		b = a.AppendTo(b)
		b = append(b, ']')
	} else {
		b = a.AppendTo(b)
	}
	b = append(b, ':')
	return strconv.AppendUint(b, uint64(port), 10)
}

// tcpdump's flag letters (print-tcp.c tcp_flag_values), in its order.
var tcpFlagLetters = [8]struct {
	bit    uint8
	letter byte
}{
	{TCPFin, 'F'}, {TCPSyn, 'S'}, {TCPRst, 'R'}, {TCPPsh, 'P'},
	{TCPAck, '.'}, {TCPUrg, 'U'}, {TCPEce, 'E'}, {TCPCwr, 'W'},
}

// AppendTCPFlags appends TCP flags in tcpdump's letters and order, as the
// flow line writes them ("S.", "none" for no flag).
func AppendTCPFlags(b []byte, flags uint8) []byte { return appendTCPFlags(b, flags) }

func appendTCPFlags(b []byte, flags uint8) []byte {
	if flags == 0 {
		return append(b, "none"...)
	}
	for _, l := range tcpFlagLetters {
		if flags&l.bit != 0 {
			b = append(b, l.letter)
		}
	}
	return b
}

func appendHex16(b []byte, v uint16) []byte {
	const digits = "0123456789abcdef"
	return append(b, digits[v>>12], digits[v>>8&0xf], digits[v>>4&0xf], digits[v&0xf])
}

// Key is the part of a Flow that names a conversation in one direction,
// for grouping drops by flow (a comparable map key): no flags, ICMP
// type, depth or truncation.
type Key struct {
	EtherType        uint16
	VLAN             uint16
	Tagged           bool
	Src, Dst         netip.Addr
	Proto            uint8
	SrcPort, DstPort uint16
}

// Key returns the flow's Key.
func (f Flow) Key() Key {
	return Key{
		EtherType: f.EtherType, VLAN: f.VLAN, Tagged: f.Tagged,
		Src: f.Src, Dst: f.Dst, Proto: f.Proto, SrcPort: f.SrcPort, DstPort: f.DstPort,
	}
}
