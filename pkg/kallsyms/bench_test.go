package kallsyms

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func BenchmarkParse(b *testing.B) {
	data := realSizeData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	tab, err := Parse(bytes.NewReader(realSizeData(b)))
	if err != nil {
		b.Fatal(err)
	}
	// Random addresses inside random functions, so the binary search does
	// not run on a warm path.
	rng := rand.New(rand.NewPCG(1, 2))
	pcs := make([]uint64, 1<<12)
	for i := range pcs {
		e := tab.syms[rng.IntN(len(tab.syms))]
		pcs[i] = e.addr + uint64(rng.IntN(16))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tab.Lookup(pcs[i&(len(pcs)-1)])
		i++
	}
}

func BenchmarkDisplayNameRust(b *testing.B) {
	s := Symbol{Name: "_RNvXs0_NtCs1p5UDGgVI4d_6kernel5errorNtB5_5ErrorNtNtCsbDqzXfLQacH_4core3fmt5Debug3fmt"}
	b.ReportAllocs()
	for b.Loop() {
		_ = s.DisplayName()
	}
}
