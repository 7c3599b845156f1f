package pcapfilter

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// maxDepth bounds nesting (parentheses, not, brackets), so that a hostile
// expression cannot exhaust the stack.
const maxDepth = 100

type parser struct {
	expr  string
	toks  []token
	i     int
	depth int
	// net is the network header's offset: 14, plus 4 for each vlan
	// keyword parsed so far, as libpcap shifts every later primitive.
	net uint32
	// last is the previous primitive's qualifiers, which a bare value
	// after and/or inherits ("host A or B").
	last quals
}

type quals struct {
	proto string // "" or ether, ip, ip6, arp, rarp, tcp, udp, sctp
	dir   dir
	typ   string // "" or host, net, port, portrange
}

func newParser(expr string) (*parser, error) {
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	return &parser{expr: expr, toks: toks, net: 14}, nil
}

func (p *parser) peek() token        { return p.toks[p.i] }
func (p *parser) peekAt(n int) token { return p.toks[min(p.i+n, len(p.toks)-1)] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

func (p *parser) errAt(t token, format string, args ...any) *Error {
	return &Error{Expr: p.expr, Pos: t.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) unsupported(t token, format string, args ...any) *Error {
	e := p.errAt(t, format, args...)
	e.Unsupported = true
	return e
}

func (p *parser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tWord && t.text == w
}

func (p *parser) isOp(o string) bool {
	t := p.peek()
	return t.kind == tOp && t.text == o
}

func (p *parser) parse() (*boolNode, error) {
	if p.peek().kind == tEOF {
		return &boolNode{op: bTrue}, nil
	}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errAt(t, "unexpected %q", t.text)
	}
	return n, nil
}

func isAnd(t token) bool {
	return t.text == "and" && t.kind == tWord || t.text == "&&" && t.kind == tOp
}
func isOr(t token) bool { return t.text == "or" && t.kind == tWord || t.text == "||" && t.kind == tOp }

// parseOr: and and or have equal precedence and group left to right
// (pcap-filter(7)).
func (p *parser) parseOr() (*boolNode, error) {
	n, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		switch {
		case isAnd(t):
			p.next()
			m, err := p.parseUnary()
			if err != nil {
				return nil, err
			}
			n = and(n, m)
		case isOr(t):
			p.next()
			m, err := p.parseUnary()
			if err != nil {
				return nil, err
			}
			n = or(n, m)
		default:
			return n, nil
		}
	}
}

func (p *parser) enter(t token) error {
	p.depth++
	if p.depth > maxDepth {
		return p.errAt(t, "expression nested more than %d deep", maxDepth)
	}
	return nil
}

func (p *parser) parseUnary() (*boolNode, error) {
	t := p.peek()
	if err := p.enter(t); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	if t.kind == tWord && t.text == "not" || t.kind == tOp && t.text == "!" {
		p.next()
		n, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return not(n), nil
	}
	if p.startsArith() {
		// A relation, or (for "(") maybe a parenthesized expression:
		// try the relation first and go back if it is not one.
		save, saveNet, saveLast := p.i, p.net, p.last
		n, err, committed := p.parseRelation()
		if err == nil || committed || !p.isOpAt(save, "(") && !p.isNumberAt(save) {
			return n, err
		}
		p.i, p.net, p.last = save, saveNet, saveLast
	}
	if p.isOp("(") {
		p.next()
		n, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if !p.isOp(")") {
			return nil, p.errAt(p.peek(), "missing )")
		}
		p.next()
		return n, nil
	}
	return p.parsePrimitive()
}

func (p *parser) isOpAt(i int, o string) bool {
	return p.toks[i].kind == tOp && p.toks[i].text == o
}

func (p *parser) isNumberAt(i int) bool {
	_, ok := number(p.toks[i].text)
	return p.toks[i].kind == tWord && ok
}

// accessors are the protocols proto[expr] can read.
var accessors = map[string]bool{
	"ether": true, "link": true, "ip": true, "ip6": true, "arp": true, "rarp": true,
	"tcp": true, "udp": true, "icmp": true, "icmp6": true, "sctp": true, "igmp": true,
}

// startsArith reports whether the next token can begin an arithmetic
// expression.
func (p *parser) startsArith() bool {
	t := p.peek()
	if t.kind == tOp {
		return t.text == "(" || t.text == "-"
	}
	if t.kind != tWord {
		return false
	}
	if _, ok := number(t.text); ok {
		return true
	}
	if _, ok := namedConst[t.text]; ok {
		return true
	}
	if t.text == "len" || t.text == "length" {
		return true
	}
	n := p.peekAt(1)
	return accessors[t.text] && n.kind == tOp && n.text == "["
}

var relOps = map[string]relOp{
	"=": rEq, "==": rEq, "!=": rNe, "<": rLt, "<=": rLe, ">": rGt, ">=": rGe,
}

// parseRelation parses "arith relop arith". committed is set once the
// relational operator was seen, when a failure is the relation's own.
func (p *parser) parseRelation() (n *boolNode, err error, committed bool) {
	var conds []*boolNode
	x, err := p.parseArith(0, &conds)
	if err != nil {
		return nil, err, false
	}
	t := p.peek()
	rel, ok := relOps[t.text]
	if t.kind != tOp || !ok {
		return nil, p.errAt(t, "expected a comparison (=, !=, <, <=, >, >=) after an arithmetic expression"), false
	}
	p.next()
	y, err := p.parseArith(0, &conds)
	if err != nil {
		return nil, err, true
	}
	n = &boolNode{op: bCmp, rel: rel, x: x, y: y}
	if len(conds) > 0 {
		// libpcap tests the protocols of the loads before the comparison.
		n = and(allOf(conds...), n)
	}
	return n, nil, true
}

// Arithmetic precedence, loosest first (libpcap's grammar.y).
var arithLevels = []map[string]arithOp{
	{"|": aOr, "^": aXor},
	{"&": aAnd},
	{"<<": aShl, ">>": aShr},
	{"+": aAdd, "-": aSub},
	{"*": aMul, "/": aDiv, "%": aMod},
}

func (p *parser) parseArith(level int, conds *[]*boolNode) (*arith, error) {
	if level == len(arithLevels) {
		return p.parseArithUnary(conds)
	}
	x, err := p.parseArith(level+1, conds)
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		op, ok := arithLevels[level][t.text]
		if t.kind != tOp || !ok {
			return x, nil
		}
		p.next()
		y, err := p.parseArith(level+1, conds)
		if err != nil {
			return nil, err
		}
		if y.op == aConst {
			switch {
			case (op == aDiv || op == aMod) && y.k == 0:
				return nil, p.errAt(t, "division by zero")
			case (op == aShl || op == aShr) && y.k > 31:
				return nil, p.errAt(t, "shift by more than 31 bits")
			}
		}
		x = binop(op, x, y)
	}
}

// namedConst are pcap-filter(7)'s named offsets and values.
var namedConst = map[string]uint32{
	"icmptype": 0, "icmpcode": 1,
	"icmp-echoreply": 0, "icmp-unreach": 3, "icmp-sourcequench": 4, "icmp-redirect": 5,
	"icmp-echo": 8, "icmp-routeradvert": 9, "icmp-routersolicit": 10, "icmp-timxceed": 11,
	"icmp-paramprob": 12, "icmp-tstamp": 13, "icmp-tstampreply": 14, "icmp-ireq": 15,
	"icmp-ireqreply": 16, "icmp-maskreq": 17, "icmp-maskreply": 18,
	"tcpflags": 13, "tcp-fin": 0x01, "tcp-syn": 0x02, "tcp-rst": 0x04, "tcp-push": 0x08,
	"tcp-ack": 0x10, "tcp-urg": 0x20, "tcp-ece": 0x40, "tcp-cwr": 0x80,
}

func (p *parser) parseArithUnary(conds *[]*boolNode) (*arith, error) {
	t := p.peek()
	if err := p.enter(t); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	switch {
	case t.kind == tOp && t.text == "-":
		p.next()
		x, err := p.parseArithUnary(conds)
		if err != nil {
			return nil, err
		}
		if x.op == aConst {
			return konst(-x.k), nil
		}
		return &arith{op: aNeg, idx: x}, nil
	case t.kind == tOp && t.text == "(":
		p.next()
		x, err := p.parseArith(0, conds)
		if err != nil {
			return nil, err
		}
		if !p.isOp(")") {
			return nil, p.errAt(p.peek(), "missing ) in arithmetic")
		}
		p.next()
		return x, nil
	case t.kind != tWord:
		return nil, p.errAt(t, "expected a number, len or proto[offset], not %q", t.text)
	}
	p.next()
	if v, ok := number(t.text); ok {
		return konst(v), nil
	}
	if v, ok := namedConst[t.text]; ok {
		return konst(v), nil
	}
	if t.text == "len" || t.text == "length" {
		return &arith{op: aLen}, nil
	}
	if !accessors[t.text] || !p.isOp("[") {
		return nil, p.errAt(t, "expected a number, len or proto[offset], not %q", t.text)
	}
	p.next()
	idx, err := p.parseArith(0, conds)
	if err != nil {
		return nil, err
	}
	size := uint32(1)
	if p.isOp(":") {
		p.next()
		st := p.next()
		v, ok := number(st.text)
		if !ok || (v != 1 && v != 2 && v != 4) {
			return nil, p.errAt(st, "data size must be 1, 2, or 4")
		}
		size = v
	}
	if !p.isOp("]") {
		return nil, p.errAt(p.peek(), "missing ] after %s[", t.text)
	}
	p.next()
	return p.accessor(t, idx, uint8(size), conds)
}

// accessor is gen_load: the load and the protocol test in front of it.
func (p *parser) accessor(t token, idx *arith, size uint8, conds *[]*boolNode) (*arith, error) {
	net := p.net
	ld := &arith{op: aLoad, size: size}
	switch t.text {
	case "ether", "link":
		ld.idx = idx
		return ld, nil
	case "ip":
		*conds = append(*conds, etherType(net, etherIPv4))
	case "ip6":
		*conds = append(*conds, etherType(net, etherIPv6))
	case "arp":
		*conds = append(*conds, etherType(net, etherARP))
	case "rarp":
		*conds = append(*conds, etherType(net, etherRARP))
	case "icmp6":
		// libpcap reads ICMPv6 at the fixed header's end.
		*conds = append(*conds, ip6Proto(net, ipProtoICMPv6))
		ld.idx = binop(aAdd, idx, konst(net+40))
		return ld, nil
	default:
		// tcp, udp, sctp, icmp, igmp: IPv4 only (libpcap also tests
		// the protocol over IPv6, but then its fragment test, which reads
		// the IPv4 field's place, always fails), first fragments, after
		// the IHL.
		proto := transportProtos[t.text]
		*conds = append(*conds, and(ipProto(net, proto), ipFirstFrag(net)))
		return &arith{op: aLoadTrans, size: size, k: net, idx: idx}, nil
	}
	ld.idx = binop(aAdd, idx, konst(net))
	return ld, nil
}

// transportProtos are the accessors read after the IPv4 header.
var transportProtos = map[string]uint32{
	"tcp": ipProtoTCP, "udp": ipProtoUDP, "sctp": ipProtoSCTP, "icmp": ipProtoICMP, "igmp": ipProtoIGMP,
}

func number(s string) (uint32, bool) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 0, 32)
	if err != nil || strings.ContainsAny(s, "_") || strings.HasPrefix(s, "0b") || strings.HasPrefix(s, "0o") {
		return 0, false
	}
	return uint32(v), true
}

var protoQuals = map[string]bool{
	"ether": true, "link": true, "ip": true, "ip6": true, "arp": true, "rarp": true,
	"tcp": true, "udp": true, "sctp": true,
}

// standalone are the protocol primitives that need no value.
var standalone = map[string]bool{
	"ip": true, "ip6": true, "arp": true, "rarp": true, "tcp": true, "udp": true,
	"sctp": true, "icmp": true, "icmp6": true, "igmp": true,
}

// refused are pcap-filter keywords this compiler does not implement.
var refused = map[string]string{
	"gateway":    "gateway (needs host name lookups)",
	"protochain": "protochain",
	"mpls":       "mpls",
	"pppoed":     "pppoed",
	"pppoes":     "pppoes",
	"geneve":     "geneve",
	"vxlan":      "vxlan",
	"inbound":    "inbound/outbound (not in the packet's bytes)",
	"outbound":   "inbound/outbound (not in the packet's bytes)",
	"ifname":     "ifname (pflog only)",
	"on":         "on (pflog only)",
	"decnet":     "decnet", "iso": "iso", "esis": "esis", "es-is": "esis", "isis": "isis",
	"is-is": "isis", "clnp": "clnp", "lat": "lat", "sca": "sca", "moprc": "moprc",
	"mopdl": "mopdl", "atalk": "atalk", "aarp": "aarp", "stp": "stp", "ipx": "ipx",
	"netbeui": "netbeui", "llc": "llc", "wlan": "wlan", "fddi": "fddi", "tr": "tr",
	"ppp": "ppp", "slip": "slip", "radio": "radio", "carp": "carp", "vrrp": "vrrp",
	"pim": "pim", "ah": "ah", "esp": "esp", "lane": "lane", "type": "type",
	"subtype": "subtype", "dir": "dir", "ra": "ra", "ta": "ta", "addr1": "addr1",
	"addr2": "addr2", "addr3": "addr3", "addr4": "addr4", "atm": "atm",
	"rnr": "pflog rnr", "rulenum": "pflog rulenum", "reason": "pflog reason",
	"rset": "pflog rset", "ruleset": "pflog ruleset", "srnr": "pflog srnr",
	"subrulenum": "pflog subrulenum", "action": "pflog action",
	"hfisu": "hfisu", "fisu": "fisu", "lssu": "lssu", "msu": "msu",
	"vpi": "vpi", "vci": "vci", "metac": "metac", "bcc": "bcc", "oamf4": "oamf4",
	"oam": "oam", "sc": "sc", "ilmic": "ilmic", "connectmsg": "connectmsg",
	"metaconnect": "metaconnect", "sio": "sio", "opc": "opc", "dpc": "dpc", "sls": "sls",
	"hsio": "hsio", "hopc": "hopc", "hdpc": "hdpc", "hsls": "hsls",
	"icmp6type": "icmp6type", "icmp6code": "icmp6code",
}

func (p *parser) parsePrimitive() (*boolNode, error) {
	start := p.peek()
	if start.kind != tWord {
		if start.kind == tEOF {
			return nil, p.errAt(start, "expression ends where a primitive was expected")
		}
		return nil, p.errAt(start, "unexpected %q", start.text)
	}
	if why, ok := refused[start.text]; ok {
		return nil, p.unsupported(start, "%q: %s is not supported", start.text, why)
	}
	switch start.text {
	case "vlan":
		return p.parseVLAN()
	case "less", "greater":
		p.next()
		t := p.next()
		v, ok := number(t.text)
		if !ok {
			return nil, p.errAt(t, "%s needs a number", start.text)
		}
		if start.text == "less" {
			return not(cmpK(rGt, &arith{op: aLen}, v)), nil
		}
		return cmpK(rGe, &arith{op: aLen}, v), nil
	}

	var q quals
	explicit := false
	if protoQuals[start.text] || standalone[start.text] {
		q.proto = start.text
		if q.proto == "link" {
			q.proto = "ether"
		}
		p.next()
		explicit = true
	}
	// broadcast, multicast, proto.
	if t := p.peek(); t.kind == tWord {
		switch t.text {
		case "broadcast", "multicast":
			p.next()
			return p.castPrimitive(t, q.proto)
		case "proto":
			p.next()
			return p.protoPrimitive(t, q.proto)
		}
	}
	if d, ok := p.parseDir(); ok {
		q.dir = d
		explicit = true
	}
	if t := p.peek(); t.kind == tWord {
		switch t.text {
		case "host", "net", "port", "portrange":
			q.typ = t.text
			p.next()
			explicit = true
		}
	}
	if t := p.peek(); t.kind == tWord {
		if why, ok := refused[t.text]; ok {
			return nil, p.unsupported(t, "%q: %s is not supported", t.text, why)
		}
	}
	if q.proto != "" && q.dir == dirDefault && q.typ == "" {
		if standalone[q.proto] && !p.valueNext() {
			p.last = quals{proto: q.proto}
			return p.protoAbbrev(start, q.proto)
		}
	}
	if !explicit {
		// A bare value: the previous primitive's qualifiers.
		q = p.last
	}
	v := p.peek()
	if v.kind != tWord {
		return nil, p.errAt(v, "expected a value after %q", p.expr[start.pos:v.pos])
	}
	if why, ok := refused[v.text]; ok {
		return nil, p.unsupported(v, "%q: %s is not supported", v.text, why)
	}
	p.next()
	p.last = q
	return p.valuePrimitive(q, v)
}

// valueNext reports whether the next token is a value for a qualifier
// (an address, a number), not the start of the next primitive.
func (p *parser) valueNext() bool {
	t := p.peek()
	if t.kind != tWord {
		return false
	}
	if _, ok := number(t.text); ok {
		return true
	}
	if _, err := netip.ParseAddr(t.text); err == nil {
		return true
	}
	return isColonAddr(t.text)
}

func (p *parser) parseDir() (dir, bool) {
	t := p.peek()
	if t.kind != tWord || (t.text != "src" && t.text != "dst") {
		return dirDefault, false
	}
	p.next()
	d := dirSrc
	if t.text == "dst" {
		d = dirDst
	}
	// "src or dst", "src and dst".
	if c, o := p.peek(), p.peekAt(1); (c.text == "or" || c.text == "and") && c.kind == tWord &&
		o.kind == tWord && (o.text == "src" || o.text == "dst") && o.text != t.text {
		p.next()
		p.next()
		if c.text == "or" {
			return dirDefault, true
		}
		return dirAnd, true
	}
	return d, true
}

func (p *parser) parseVLAN() (*boolNode, error) {
	p.next()
	n := vlanTest(p.net)
	if t := p.peek(); t.kind == tWord {
		if v, ok := number(t.text); ok {
			p.next()
			if v > 4095 {
				return nil, p.errAt(t, "VLAN tag %d greater than maximum 4095", v)
			}
			n = and(n, cmpK(rEq, masked(load(2, p.net), 0x0fff), v))
		}
	}
	// Everything after vlan reads 4 bytes further on (gen_vlan).
	p.net += 4
	p.last = quals{}
	return n, nil
}

// protoAbbrev is gen_proto_abbrev: ip, ip6, arp, rarp, tcp, udp, sctp,
// icmp, icmp6, igmp alone.
func (p *parser) protoAbbrev(t token, proto string) (*boolNode, error) {
	net := p.net
	switch proto {
	case "ip":
		return etherType(net, etherIPv4), nil
	case "ip6":
		return etherType(net, etherIPv6), nil
	case "arp":
		return etherType(net, etherARP), nil
	case "rarp":
		return etherType(net, etherRARP), nil
	case "tcp":
		return or(ipProto(net, ipProtoTCP), ip6Proto(net, ipProtoTCP)), nil
	case "udp":
		return or(ipProto(net, ipProtoUDP), ip6Proto(net, ipProtoUDP)), nil
	case "sctp":
		return or(ipProto(net, ipProtoSCTP), ip6Proto(net, ipProtoSCTP)), nil
	case "icmp":
		return ipProto(net, ipProtoICMP), nil
	case "igmp":
		return ipProto(net, ipProtoIGMP), nil
	case "icmp6":
		return ip6Proto(net, ipProtoICMPv6), nil
	}
	return nil, p.errAt(t, "%q needs a qualifier or value", proto) // not reached: standalone's keys
}

func (p *parser) castPrimitive(t token, proto string) (*boolNode, error) {
	net := p.net
	p.last = quals{}
	switch {
	case (proto == "" || proto == "ether") && t.text == "broadcast":
		return macAddr(0, [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), nil
	case (proto == "" || proto == "ether") && t.text == "multicast":
		return cmpK(rNe, masked(load(1, 0), 1), 0), nil
	case proto == "ip" && t.text == "multicast":
		return and(etherType(net, etherIPv4), cmpK(rGe, load(1, net+16), 224)), nil
	case proto == "ip6" && t.text == "multicast":
		return and(etherType(net, etherIPv6), cmpK(rEq, load(1, net+24), 255)), nil
	case proto == "ip" && t.text == "broadcast":
		return nil, p.unsupported(t, "\"ip broadcast\" is not supported (it needs the capture interface's netmask)")
	}
	return nil, p.errAt(t, "%q is not valid after %q", t.text, proto)
}

var protoNames = map[string]uint32{
	`\tcp`: ipProtoTCP, `\udp`: ipProtoUDP, `\icmp`: ipProtoICMP,
	`\igmp`: ipProtoIGMP, `\sctp`: ipProtoSCTP,
}

var etherNames = map[string]uint32{
	`\ip`: etherIPv4, `\ip6`: etherIPv6, `\arp`: etherARP, `\rarp`: etherRARP,
}

// protoPrimitive: "ether proto N", "ip proto N", "ip6 proto N", "proto N".
func (p *parser) protoPrimitive(kw token, proto string) (*boolNode, error) {
	t := p.next()
	net := p.net
	p.last = quals{}
	if proto == "ether" {
		v, ok := number(t.text)
		if n, named := etherNames[t.text]; named {
			v, ok = n, true
		}
		if !ok || v > 0xffff {
			return nil, p.errAt(t, "ether proto needs an EtherType number (or \\ip, \\ip6, \\arp, \\rarp), not %q", t.text)
		}
		if v <= 1500 {
			return nil, p.unsupported(t, "ether proto %d: 802.3 length values (LLC/SAP tests) are not supported", v)
		}
		return etherType(net, v), nil
	}
	v, ok := number(t.text)
	if n, named := protoNames[t.text]; named {
		v, ok = n, true
	}
	if !ok || v > 255 {
		return nil, p.errAt(t, "proto needs an IP protocol number (or \\tcp, \\udp, ...), not %q", t.text)
	}
	switch proto {
	case "":
		return or(ipProto(net, v), ip6Proto(net, v)), nil
	case "ip":
		return ipProto(net, v), nil
	case "ip6":
		return ip6Proto(net, v), nil
	}
	return nil, p.errAt(kw, "\"proto\" is not valid after %q", proto)
}

// valuePrimitive compiles host, net, port and portrange values (typ ""
// means host, or net for a value with a mask).
func (p *parser) valuePrimitive(q quals, v token) (*boolNode, error) {
	switch q.typ {
	case "port", "portrange":
		return p.portPrimitive(q, v)
	case "net":
		return p.netPrimitive(q, v)
	}
	if p.isOp("/") || p.isWord("mask") {
		return p.netPrimitive(q, v)
	}
	return p.hostPrimitive(q, v)
}

func (p *parser) portPrimitive(q quals, v token) (*boolNode, error) {
	var protos []uint32
	switch q.proto {
	case "":
		protos = []uint32{ipProtoTCP, ipProtoUDP, ipProtoSCTP}
	case "tcp":
		protos = []uint32{ipProtoTCP}
	case "udp":
		protos = []uint32{ipProtoUDP}
	case "sctp":
		protos = []uint32{ipProtoSCTP}
	default:
		return nil, p.errAt(v, "illegal qualifier of '%s': %q", q.typ, q.proto)
	}
	port := func(s string) (uint32, error) {
		n, ok := number(s)
		if !ok {
			return 0, p.unsupported(v, "port %q: port names are not looked up; give the number", s)
		}
		if n > 65535 {
			return 0, p.errAt(v, "port %d > 65535", n)
		}
		return n, nil
	}
	var lo, hi uint32
	var err error
	if q.typ == "portrange" {
		a, b, ok := strings.Cut(v.text, "-")
		if !ok {
			return nil, p.errAt(v, "portrange needs LOW-HIGH, not %q", v.text)
		}
		if lo, err = port(a); err != nil {
			return nil, err
		}
		if hi, err = port(b); err != nil {
			return nil, err
		}
		if lo > hi {
			lo, hi = hi, lo
		}
	} else {
		if lo, err = port(v.text); err != nil {
			return nil, err
		}
		hi = lo
	}
	// gen_port6 first, then gen_port, as libpcap ORs them.
	return or(ports(p.net, true, protos, q.dir, lo, hi), ports(p.net, false, protos, q.dir, lo, hi)), nil
}

func (p *parser) hostPrimitive(q quals, v token) (*boolNode, error) {
	if hw, err := net.ParseMAC(v.text); err == nil && len(hw) == 6 && strings.ContainsAny(v.text, ":-.") {
		if q.proto != "ether" {
			return nil, p.errAt(v, "ethernet address used in non-ether expression (write ether host)")
		}
		mac := [6]byte(hw)
		return byDir(q.dir, func() *boolNode { return macAddr(6, mac) }, func() *boolNode { return macAddr(0, mac) }), nil
	}
	if q.proto == "ether" {
		return nil, p.errAt(v, "ether host needs a MAC address, not %q", v.text)
	}
	a, err := netip.ParseAddr(v.text)
	if err != nil || a.Zone() != "" {
		if _, ok := number(v.text); ok {
			return nil, p.unsupported(v, "host %q: a number as a host address is not supported; give A.B.C.D", v.text)
		}
		return nil, p.unsupported(v, "host %q: host names are not resolved; give an address", v.text)
	}
	return p.addrTest(q, v, a, 128)
}

func (p *parser) netPrimitive(q quals, v token) (*boolNode, error) {
	var addr netip.Addr
	bits := -1
	if a, err := netip.ParseAddr(v.text); err == nil && a.Zone() == "" {
		addr = a
		bits = a.BitLen()
	} else if a, n, ok := partialV4(v.text); ok {
		addr, bits = a, n
	} else {
		return nil, p.unsupported(v, "net %q: network names are not resolved; give an address", v.text)
	}
	full := bits == addr.BitLen()
	switch {
	case p.isOp("/"):
		p.next()
		t := p.next()
		n, ok := number(t.text)
		if !ok || int(n) > addr.BitLen() {
			return nil, p.errAt(t, "mask length %q", t.text)
		}
		if !full {
			return nil, p.errAt(t, "%q/%s: give the whole address with a mask length", v.text, t.text)
		}
		bits = int(n)
		if pfx, _ := addr.Prefix(bits); pfx.Addr() != addr {
			return nil, p.errAt(v, "non-network bits set in \"%s/%d\"", v.text, bits)
		}
	case p.isWord("mask"):
		p.next()
		t := p.next()
		m, err := netip.ParseAddr(t.text)
		if err != nil || !m.Is4() || !addr.Is4() {
			return nil, p.errAt(t, "mask %q: give an IPv4 mask for an IPv4 net", t.text)
		}
		mv := v4Word(m)
		if mv&^addr4Mask(onesCount(mv)) != 0 {
			return nil, p.unsupported(t, "mask %q: a non-contiguous mask is not supported", t.text)
		}
		bits = onesCount(mv)
		if v4Word(addr)&^mv != 0 {
			return nil, p.errAt(v, "non-network bits set in \"%s mask %s\"", v.text, t.text)
		}
	}
	return p.addrTest(q, v, addr, bits)
}

// addrTest is gen_host / gen_host6 for addr/bits (bits 128 for a v6 or 32
// and above for a v4 host).
func (p *parser) addrTest(q quals, v token, a netip.Addr, bits int) (*boolNode, error) {
	net := p.net
	if a.Is4() {
		bits = min(bits, 32)
		addr, mask := v4Word(a), addr4Mask(bits)
		ipB := func() *boolNode {
			return and(etherType(net, etherIPv4), byDir(q.dir,
				func() *boolNode { return v4Addr(net+12, addr, mask) },
				func() *boolNode { return v4Addr(net+16, addr, mask) }))
		}
		arpB := func(t uint32) *boolNode {
			return and(etherType(net, t), byDir(q.dir,
				func() *boolNode { return v4Addr(net+14, addr, mask) },
				func() *boolNode { return v4Addr(net+24, addr, mask) }))
		}
		switch q.proto {
		case "":
			return or(or(ipB(), arpB(etherARP)), arpB(etherRARP)), nil
		case "ip":
			return ipB(), nil
		case "arp":
			return arpB(etherARP), nil
		case "rarp":
			return arpB(etherRARP), nil
		}
		return nil, p.errAt(v, "an IPv4 address is not valid after %q", q.proto)
	}
	if q.proto != "" && q.proto != "ip6" {
		return nil, p.errAt(v, "an IPv6 address is not valid after %q", q.proto)
	}
	b := a.As16()
	var addr, mask [4]uint32
	for i := range 4 {
		addr[i] = uint32(b[4*i])<<24 | uint32(b[4*i+1])<<16 | uint32(b[4*i+2])<<8 | uint32(b[4*i+3])
		mask[i] = addr4Mask(max(0, min(32, bits-32*i)))
	}
	return and(etherType(net, etherIPv6), byDir(q.dir,
		func() *boolNode { return v6Addr(net+8, addr, mask) },
		func() *boolNode { return v6Addr(net+24, addr, mask) })), nil
}

// partialV4 parses libpcap's short network numbers: "10" is 10.0.0.0/8,
// "10.1" 10.1.0.0/16, "10.1.2" 10.1.2.0/24.
func partialV4(s string) (netip.Addr, int, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 3 {
		return netip.Addr{}, 0, false
	}
	var b [4]byte
	for i, part := range parts {
		n, err := strconv.ParseUint(part, 10, 8)
		if err != nil {
			return netip.Addr{}, 0, false
		}
		b[i] = byte(n)
	}
	return netip.AddrFrom4(b), 8 * len(parts), true
}

func v4Word(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func addr4Mask(bits int) uint32 {
	if bits <= 0 {
		return 0
	}
	return ^uint32(0) << (32 - bits)
}

func onesCount(m uint32) int {
	n := 0
	for ; m != 0; m &= m - 1 {
		n++
	}
	return n
}
