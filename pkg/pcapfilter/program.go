package pcapfilter

// The compiled form: a tree of boolean nodes over arithmetic nodes, the
// same shape as libpcap's blocks and statements before optimization. Each
// primitive is built from loads and comparisons at the offsets gencode.c
// uses for an Ethernet link (build.go).

type boolOp uint8

const (
	bTrue boolOp = iota
	bFalse
	bAnd
	bOr
	bNot
	bCmp
)

type relOp uint8

const (
	rEq relOp = iota
	rNe
	rLt
	rLe
	rGt
	rGe
)

type boolNode struct {
	op   boolOp
	l, r *boolNode // bAnd, bOr; bNot uses l
	rel  relOp     // bCmp
	x, y *arith    // bCmp
}

type arithOp uint8

const (
	aConst     arithOp = iota
	aLen               // the packet's length on the wire
	aLoad              // Size bytes, big-endian, at the offset idx gives
	aLoadTrans         // the same, from the IPv4 transport header (idx + 4*(IHL at net))
	aAdd
	aSub
	aMul
	aDiv
	aMod
	aAnd
	aOr
	aXor
	aShl
	aShr
	aNeg
)

type arith struct {
	op   arithOp
	k    uint32 // aConst; aLoadTrans: the network header's offset
	size uint8  // aLoad, aLoadTrans: 1, 2 or 4
	idx  *arith // aLoad, aLoadTrans: the offset; aNeg: the operand
	l, r *arith // binary operators
}

// result is a node's verdict under the BPF machine's rules: reject means
// a load went past the captured bytes (or a division by zero), which ends
// the whole program with "no match".
type result uint8

const (
	noMatch result = iota
	match
	reject
)

func evalBool(n *boolNode, p *packet) result {
	switch n.op {
	case bTrue:
		return match
	case bFalse:
		return noMatch
	case bAnd:
		if r := evalBool(n.l, p); r != match {
			return r
		}
		return evalBool(n.r, p)
	case bOr:
		if r := evalBool(n.l, p); r != noMatch {
			return r
		}
		return evalBool(n.r, p)
	case bNot:
		switch evalBool(n.l, p) {
		case match:
			return noMatch
		case noMatch:
			return match
		}
		return reject
	case bCmp:
		x, ok := evalArith(n.x, p)
		if !ok {
			return reject
		}
		y, ok := evalArith(n.y, p)
		if !ok {
			return reject
		}
		var t bool
		switch n.rel {
		case rEq:
			t = x == y
		case rNe:
			t = x != y
		case rLt:
			t = x < y
		case rLe:
			t = x <= y
		case rGt:
			t = x > y
		case rGe:
			t = x >= y
		}
		if t {
			return match
		}
		return noMatch
	}
	return reject
}

func evalArith(a *arith, p *packet) (uint32, bool) {
	switch a.op {
	case aConst:
		return a.k, true
	case aLen:
		return p.wireLen, true
	case aLoad, aLoadTrans:
		off, ok := evalArith(a.idx, p)
		if !ok {
			return 0, false
		}
		if a.op == aLoadTrans {
			ihl, ok := p.load(a.k, 1)
			if !ok {
				return 0, false
			}
			off += a.k + 4*(ihl&0x0f)
		}
		return p.load(off, a.size)
	case aNeg:
		v, ok := evalArith(a.idx, p)
		return -v, ok
	}
	x, ok := evalArith(a.l, p)
	if !ok {
		return 0, false
	}
	y, ok := evalArith(a.r, p)
	if !ok {
		return 0, false
	}
	switch a.op {
	case aAdd:
		return x + y, true
	case aSub:
		return x - y, true
	case aMul:
		return x * y, true
	case aDiv:
		if y == 0 {
			return 0, false
		}
		return x / y, true
	case aMod:
		if y == 0 {
			return 0, false
		}
		return x % y, true
	case aAnd:
		return x & y, true
	case aOr:
		return x | y, true
	case aXor:
		return x ^ y, true
	case aShl:
		if y >= 32 {
			return 0, true
		}
		return x << y, true
	case aShr:
		if y >= 32 {
			return 0, true
		}
		return x >> y, true
	}
	return 0, false
}

// packet is the bytes a Filter runs over: an optional 14-byte Ethernet
// header made up for a payload that starts at the network header, then
// the captured bytes.
type packet struct {
	hdr     [14]byte
	hdrLen  uint32 // 0 or 14
	data    []byte
	wireLen uint32
}

// load reads size bytes big-endian at off, or reports that they are not
// all there.
func (p *packet) load(off uint32, size uint8) (uint32, bool) {
	end := uint64(off) + uint64(size)
	if end > uint64(p.hdrLen)+uint64(len(p.data)) {
		return 0, false
	}
	if p.hdrLen == 0 {
		d := p.data[off:end]
		switch size {
		case 1:
			return uint32(d[0]), true
		case 2:
			return uint32(d[0])<<8 | uint32(d[1]), true
		default:
			return uint32(d[0])<<24 | uint32(d[1])<<16 | uint32(d[2])<<8 | uint32(d[3]), true
		}
	}
	var v uint32
	for i := uint64(off); i < end; i++ {
		var c byte
		if i < uint64(p.hdrLen) {
			c = p.hdr[i]
		} else {
			c = p.data[i-uint64(p.hdrLen)]
		}
		v = v<<8 | uint32(c)
	}
	return v, true
}
