package pcapfilter

// Builders for the loads and tests gencode.c emits on an Ethernet link.
// net is the offset of the network header: 14, plus 4 for each vlan
// keyword already compiled (libpcap's off_linkpl and off_linktype).

const (
	etherIPv4 = 0x0800
	etherARP  = 0x0806
	etherRARP = 0x8035
	etherIPv6 = 0x86dd

	ipProtoICMP     = 1
	ipProtoIGMP     = 2
	ipProtoTCP      = 6
	ipProtoUDP      = 17
	ipProtoFragment = 44
	ipProtoICMPv6   = 58
	ipProtoSCTP     = 132
)

// The EtherTypes libpcap's vlan keyword accepts (gen_vlan_tpid_test).
var vlanTPIDs = []uint32{0x8100, 0x88a8, 0x9100}

func konst(k uint32) *arith { return &arith{op: aConst, k: k} }

func load(size uint8, off uint32) *arith {
	return &arith{op: aLoad, size: size, idx: konst(off)}
}

func binop(op arithOp, l, r *arith) *arith { return &arith{op: op, l: l, r: r} }

func cmpK(rel relOp, x *arith, k uint32) *boolNode {
	return &boolNode{op: bCmp, rel: rel, x: x, y: konst(k)}
}

func masked(x *arith, m uint32) *arith {
	if m == 0xffffffff {
		return x
	}
	return binop(aAnd, x, konst(m))
}

func and(a, b *boolNode) *boolNode { return &boolNode{op: bAnd, l: a, r: b} }
func or(a, b *boolNode) *boolNode  { return &boolNode{op: bOr, l: a, r: b} }
func not(a *boolNode) *boolNode    { return &boolNode{op: bNot, l: a} }

func anyOf(ns ...*boolNode) *boolNode {
	n := ns[0]
	for _, m := range ns[1:] {
		n = or(n, m)
	}
	return n
}

func allOf(ns ...*boolNode) *boolNode {
	n := ns[0]
	for _, m := range ns[1:] {
		n = and(n, m)
	}
	return n
}

// etherType tests the type field before the network header.
func etherType(net, t uint32) *boolNode { return cmpK(rEq, load(2, net-2), t) }

func vlanTest(net uint32) *boolNode {
	var ns []*boolNode
	for _, t := range vlanTPIDs {
		ns = append(ns, etherType(net, t))
	}
	return anyOf(ns...)
}

// ipProto is gen_proto for Q_IP: the protocol field of an IPv4 header.
func ipProto(net, p uint32) *boolNode {
	return and(etherType(net, etherIPv4), cmpK(rEq, load(1, net+9), p))
}

// ip6Proto is gen_proto for Q_IPV6: the next header of the fixed header,
// or of a fragment header right after it.
func ip6Proto(net, p uint32) *boolNode {
	return and(etherType(net, etherIPv6),
		or(cmpK(rEq, load(1, net+6), p),
			and(cmpK(rEq, load(1, net+6), ipProtoFragment), cmpK(rEq, load(1, net+40), p))))
}

// ipFirstFrag is gen_ipfrag: the fragment offset is 0.
func ipFirstFrag(net uint32) *boolNode {
	return cmpK(rEq, masked(load(2, net+6), 0x1fff), 0)
}

// dir is a direction qualifier.
type dir uint8

const (
	dirDefault dir = iota // src or dst
	dirSrc
	dirDst
	dirAnd // src and dst
)

func byDir(d dir, src, dst func() *boolNode) *boolNode {
	switch d {
	case dirSrc:
		return src()
	case dirDst:
		return dst()
	case dirAnd:
		return and(src(), dst())
	}
	return or(src(), dst())
}

// v4Addr tests the 4 bytes at off against addr under mask.
func v4Addr(off, addr, mask uint32) *boolNode {
	return cmpK(rEq, masked(load(4, off), mask), addr&mask)
}

// v6Addr tests the 16 bytes at off, a word at a time as gen_hostop6 does.
func v6Addr(off uint32, addr, mask [4]uint32) *boolNode {
	var ns []*boolNode
	for i := range 4 {
		ns = append(ns, cmpK(rEq, masked(load(4, off+4*uint32(i)), mask[i]), addr[i]&mask[i]))
	}
	return allOf(ns...)
}

// macAddr tests the 6 bytes at off: the last four, then the first two,
// as gen_bcmp does.
func macAddr(off uint32, mac [6]byte) *boolNode {
	w := uint32(mac[2])<<24 | uint32(mac[3])<<16 | uint32(mac[4])<<8 | uint32(mac[5])
	h := uint32(mac[0])<<8 | uint32(mac[1])
	return and(cmpK(rEq, load(4, off+2), w), cmpK(rEq, load(2, off), h))
}

// portTest is gen_portop / gen_portrangeop over the transport header at
// ports (an aLoadTrans-based or fixed-offset loader).
func portTest(d dir, lo, hi uint32, port func(off uint32) *arith) *boolNode {
	one := func(off uint32) func() *boolNode {
		return func() *boolNode {
			if lo == hi {
				return cmpK(rEq, port(off), lo)
			}
			return and(cmpK(rGe, port(off), lo), cmpK(rLe, port(off), hi))
		}
	}
	return byDir(d, one(0), one(2))
}

// ports is gen_port / gen_port6 for the given IP protocols: IPv6 (ports
// at the fixed 40-byte offset, no extension header walk) or IPv4 (first
// fragments only, after the IHL).
func ports(net uint32, v6 bool, protos []uint32, d dir, lo, hi uint32) *boolNode {
	var ps []*boolNode
	if v6 {
		for _, p := range protos {
			ps = append(ps, cmpK(rEq, load(1, net+6), p))
		}
		return allOf(etherType(net, etherIPv6), anyOf(ps...),
			portTest(d, lo, hi, func(off uint32) *arith { return load(2, net+40+off) }))
	}
	for _, p := range protos {
		ps = append(ps, cmpK(rEq, load(1, net+9), p))
	}
	return allOf(etherType(net, etherIPv4), anyOf(ps...), ipFirstFrag(net),
		portTest(d, lo, hi, func(off uint32) *arith {
			return &arith{op: aLoadTrans, size: 2, k: net, idx: konst(off)}
		}))
}
