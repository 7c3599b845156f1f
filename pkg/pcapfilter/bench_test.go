package pcapfilter_test

import (
	"testing"

	"github.com/dropwatch-go/dropwatch/pkg/flow"
	"github.com/dropwatch-go/dropwatch/pkg/pcapfilter"
)

var benchExprs = []string{
	"udp port 53",
	"host 192.0.2.1 and (tcp[tcpflags] & tcp-syn != 0 or udp port 53)",
	"ip6 net 2001:db8::/64 and not icmp6",
	// Five primitives (issue 15: at most 100 ns per alert).
	"ip and src host 192.0.2.1 and udp and dst port 53 and not vlan",
}

// BenchmarkMatch runs a filter over every corpus packet; ns/packet is the
// cost of one verdict.
func BenchmarkMatch(b *testing.B) {
	frames := readCorpus(b)
	for _, e := range benchExprs {
		f, err := pcapfilter.Compile(e)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(e, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, fr := range frames {
					f.Match(flow.LinkEthernet, 0, fr, uint32(len(fr)))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(frames)), "ns/packet")
		})
	}
}

// BenchmarkDecodeAndMatch is the per-alert work of a filtered --flows
// session: decode the flow, then run the filter.
func BenchmarkDecodeAndMatch(b *testing.B) {
	frames := readCorpus(b)
	f, err := pcapfilter.Compile(benchExprs[1])
	if err != nil {
		b.Fatal(err)
	}
	d := flow.NewDecoder()
	b.ReportAllocs()
	for b.Loop() {
		for _, fr := range frames {
			_, _ = d.Decode(flow.LinkEthernet, 0, fr)
			f.Match(flow.LinkEthernet, 0, fr, uint32(len(fr)))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(frames)), "ns/packet")
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pcapfilter.Compile(benchExprs[1]); err != nil {
			b.Fatal(err)
		}
	}
}
