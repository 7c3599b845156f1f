package flow

import "strconv"

// AppendText appends the key's text to b and returns it: the flow line's
// text (Flow.AppendText) without what a Key leaves out (TCP flags, ICMP
// type and code, the ARP operation, fragment, truncated):
//
//	udp 192.0.2.1:40000 > 192.0.2.2:53
//	vlan 100 tcp [2001:db8::1]:50682 > [2001:db8::2]:8080
//
// Ports are shown for TCP and UDP when either is set (a fragment has
// none); the zero Key (no payload) is "unknown".
func (k Key) AppendText(b []byte) []byte {
	if k.Tagged {
		b = append(b, "vlan "...)
		b = strconv.AppendUint(b, uint64(k.VLAN), 10)
		b = append(b, ' ')
	}
	switch k.EtherType {
	case 0:
		return append(b, "unknown"...)
	case EtherTypeIPv4, EtherTypeIPv6:
	case EtherTypeARP:
		b = append(b, "arp"...)
		return k.appendAddrs(b, false)
	default:
		b = append(b, "ethertype 0x"...)
		return appendHex16(b, k.EtherType)
	}
	if !k.Src.IsValid() {
		return append(b, ipName(k.EtherType)...)
	}
	ports := false
	switch {
	case k.Proto == ProtoTCP:
		b = append(b, "tcp"...)
		ports = k.SrcPort != 0 || k.DstPort != 0
	case k.Proto == ProtoUDP:
		b = append(b, "udp"...)
		ports = k.SrcPort != 0 || k.DstPort != 0
	case k.Proto == ProtoICMP && k.EtherType == EtherTypeIPv4:
		b = append(b, "icmp"...)
	case k.Proto == ProtoICMPv6 && k.EtherType == EtherTypeIPv6:
		b = append(b, "icmp6"...)
	default:
		b = append(b, ipName(k.EtherType)...)
		b = append(b, " proto "...)
		b = strconv.AppendUint(b, uint64(k.Proto), 10)
	}
	return k.appendAddrs(b, ports)
}

func (k Key) appendAddrs(b []byte, ports bool) []byte {
	if !k.Src.IsValid() {
		return b
	}
	b = append(b, ' ')
	b = appendAddr(b, k.Src, k.SrcPort, ports)
	b = append(b, " > "...)
	return appendAddr(b, k.Dst, k.DstPort, ports)
}

// String returns the key's text; see AppendText.
func (k Key) String() string {
	var b [128]byte
	return string(k.AppendText(b[:0]))
}
