package pcapfilter

import (
	"fmt"

	"github.com/dropwatch-go/dropwatch/pkg/flow"
)

// Error is why Compile refused an expression.
type Error struct {
	// Expr is the expression; Pos the byte offset of the part refused.
	Expr string
	Pos  int
	// Msg says what is wrong, naming the part.
	Msg string
	// Unsupported is set when the expression is valid pcap-filter syntax
	// (as far as this compiler knows) that it does not implement, rather
	// than an error tcpdump would report too.
	Unsupported bool
}

func (e *Error) Error() string {
	return fmt.Sprintf("pcapfilter: %s (at offset %d of %q)", e.Msg, e.Pos, e.Expr)
}

// A Filter is a compiled expression.
type Filter struct {
	expr string
	root *boolNode
}

// String returns the expression Compile was given.
func (f *Filter) String() string { return f.expr }

// Compile compiles a pcap-filter expression. An empty expression matches
// every packet, as in tcpdump. The error is an *Error.
func Compile(expr string) (*Filter, error) {
	p, err := newParser(expr)
	if err != nil {
		return nil, err
	}
	root, err := p.parse()
	if err != nil {
		return nil, err
	}
	return &Filter{expr: expr, root: root}, nil
}

// Match reports whether the filter accepts a packet alert's payload,
// which starts where link says (flow.LinkAuto guesses, as flow.Decode
// does), with EtherType proto and origLen bytes before truncation (0 when
// unknown: then the payload's length). It is tcpdump's verdict on the
// same frame captured with origLen on the wire; a raw payload is judged
// as the Ethernet frame with zero MAC addresses and type proto.
func (f *Filter) Match(link flow.Link, proto uint16, payload []byte, origLen uint32) bool {
	var p packet
	if link == flow.LinkAuto {
		link = flow.GuessLink(proto, payload)
	}
	p.data = payload
	if uint64(origLen) < uint64(len(payload)) {
		origLen = uint32(min(len(payload), 1<<32-1-14))
	}
	p.wireLen = origLen
	if link == flow.LinkRaw {
		p.hdrLen = 14
		p.hdr[12], p.hdr[13] = byte(proto>>8), byte(proto)
		p.wireLen += 14
	}
	return evalBool(f.root, &p) == match
}
