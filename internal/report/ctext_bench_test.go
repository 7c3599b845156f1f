package report

import (
	"testing"
	"time"

	"github.com/dropwatch-go/dropwatch/internal/fixtures"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/kallsyms"
)

// oneSymbol is a resolver that knows one function, so that the summary
// benchmark measures the formatting, not a table lookup.
type oneSymbol struct{ sym kallsyms.Symbol }

func (o oneSymbol) Lookup(pc uint64) (kallsyms.Symbol, bool) {
	if pc < o.sym.Addr {
		return kallsyms.Symbol{}, false
	}
	s := o.sym
	s.Offset = pc - s.Addr
	return s, true
}

// BenchmarkSummaryLines renders a summary alert of one resolved location.
func BenchmarkSummaryLines(b *testing.B) {
	r := oneSymbol{kallsyms.Symbol{Name: "__udp4_lib_rcv", Addr: 0xffffffff878bc140}}
	a := &dropmon.Alert{Points: []dropmon.DropPoint{{PC: 0xffffffff878bcae2, Count: 108}}}
	b.ReportAllocs()
	for b.Loop() {
		summaryLines(a, r)
	}
}

// BenchmarkPacketBlock renders a software packet alert of the packet-mode
// transcript (a UDP datagram to a closed port on the loopback device) in
// local time (Berlin: a zone with summer time costs what the machine's
// own would).
func BenchmarkPacketBlock(b *testing.B) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	p := fixtures.UDPPacket(730595860)
	b.ReportAllocs()
	for b.Loop() {
		packetBlock(p, loc)
	}
}
