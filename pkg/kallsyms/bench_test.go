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

// BenchmarkLookup looks up addresses in random functions of the whole
// real-size table, so most of the 2 MB table is not in the CPU caches.
func BenchmarkLookup(b *testing.B) { benchmarkLookup(b, 1<<12) }

// BenchmarkLookupHot looks up 16 addresses over and over, like dropwatch
// resolving a steady set of drop locations.
func BenchmarkLookupHot(b *testing.B) { benchmarkLookup(b, 16) }

func benchmarkLookup(b *testing.B, n int) {
	tab, err := Parse(bytes.NewReader(realSizeData(b)))
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pcs := make([]uint64, n)
	for i := range pcs {
		e := tab.syms[rng.IntN(len(tab.syms))]
		pcs[i] = e.addr + uint64(rng.IntN(16))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tab.Lookup(pcs[i&(n-1)]) // n is a power of two
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
