package pcapfilter_test

import (
	"testing"

	"github.com/dropwatch-go/dropwatch/pkg/flow"
	"github.com/dropwatch-go/dropwatch/pkg/pcapfilter"
)

// FuzzCompile: any expression compiles or is refused with an *Error,
// without a panic or a hang, and what compiles runs over a packet.
func FuzzCompile(f *testing.F) {
	for _, e := range differentialExprs {
		f.Add(e)
	}
	for _, e := range rejectedExprs {
		f.Add(e)
	}
	frames := readCorpus(f)
	f.Fuzz(func(t *testing.T, expr string) {
		flt, err := pcapfilter.Compile(expr)
		if err != nil {
			if _, ok := err.(*pcapfilter.Error); !ok {
				t.Fatalf("Compile(%q): %T %v", expr, err, err)
			}
			return
		}
		for _, fr := range frames[:8] {
			flt.Match(flow.LinkEthernet, 0, fr, uint32(len(fr)))
			flt.Match(flow.LinkRaw, 0x86dd, fr[14:], 0)
		}
	})
}

// FuzzMatch: any bytes, any link, under expressions that read every
// layer, without a panic.
func FuzzMatch(f *testing.F) {
	var filters []*pcapfilter.Filter
	for _, e := range differentialExprs {
		flt, err := pcapfilter.Compile(e)
		if err != nil {
			f.Fatal(err)
		}
		filters = append(filters, flt)
	}
	for _, fr := range readCorpus(f) {
		f.Add(uint8(1), uint16(0), fr, uint32(len(fr)))
	}
	f.Fuzz(func(t *testing.T, link uint8, proto uint16, payload []byte, origLen uint32) {
		for _, flt := range filters {
			flt.Match(flow.Link(link%3), proto, payload, origLen)
		}
	})
}
