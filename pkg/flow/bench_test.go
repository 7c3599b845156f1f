package flow_test

import (
	"testing"

	"github.com/dropwatch-go/dropwatch/pkg/flow"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// BenchmarkDecode decodes every corpus packet once per iteration; ns/op
// divided by the packet count is the cost of one packet.
func BenchmarkDecode(b *testing.B) {
	frames := readCorpus(b)
	d := flow.NewDecoder()
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range frames {
			_, _ = d.Decode(flow.LinkEthernet, 0, f)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(frames)), "ns/packet")
}

// BenchmarkAppendText formats every corpus flow into a reused buffer.
func BenchmarkAppendText(b *testing.B) {
	frames := readCorpus(b)
	d := flow.NewDecoder()
	flows := make([]flow.Flow, len(frames))
	for i, f := range frames {
		flows[i], _ = d.Decode(flow.LinkEthernet, 0, f)
	}
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range flows {
			buf = f.AppendText(buf[:0])
		}
	}
}

// BenchmarkGopacketIPv6HopByHop is why decodeIPv6 reads the fixed IPv6
// header itself: gopacket's IPv6 DecodingLayer allocates for each
// hop-by-hop option (corpus packet 3, an MLDv2 report with a router alert
// and a PadN option), where Decode allocates nothing.
func BenchmarkGopacketIPv6HopByHop(b *testing.B) {
	frame := readCorpus(b)[2]
	b.Run("gopacket", func(b *testing.B) {
		var ip6 layers.IPv6
		b.ReportAllocs()
		for b.Loop() {
			if err := ip6.DecodeFromBytes(frame[14:], gopacket.NilDecodeFeedback); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("flow", func(b *testing.B) {
		d := flow.NewDecoder()
		b.ReportAllocs()
		for b.Loop() {
			_, _ = d.Decode(flow.LinkRaw, flow.EtherTypeIPv6, frame[14:])
		}
	})
}

func TestDecodeAllocs(t *testing.T) {
	frames := readCorpus(t)
	d := flow.NewDecoder()
	buf := make([]byte, 0, 128)
	for _, f := range frames { // warm the layers' reused slices
		_, _ = d.Decode(flow.LinkEthernet, 0, f)
	}
	allocs := testing.AllocsPerRun(10, func() {
		for _, f := range frames {
			fl, _ := d.Decode(flow.LinkEthernet, 0, f)
			buf = fl.AppendText(buf[:0])
			for n := 0; n < len(f); n += 7 {
				_, _ = d.Decode(flow.LinkEthernet, 0, f[:n])
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations decoding the corpus, want 0", allocs)
	}
}

// BenchmarkDecodeTruncated decodes every corpus packet cut at every 7th
// byte: the alerts of a small truncation length.
func BenchmarkDecodeTruncated(b *testing.B) {
	frames := readCorpus(b)
	d := flow.NewDecoder()
	n := 0
	for _, f := range frames {
		n += (len(f) + 6) / 7
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range frames {
			for c := 0; c < len(f); c += 7 {
				_, _ = d.Decode(flow.LinkEthernet, 0, f[:c])
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/packet")
}
