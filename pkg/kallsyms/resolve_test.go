package kallsyms

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// edgePCs returns, for the table's entries picked by keep, the addresses
// where Lookup changes its answer or is about to: each entry's start, the
// byte before and after it, and the last byte within maxSymbolSize; plus
// 0, 1 and the highest address.
func edgePCs(tab *Table, keep func(i int) bool) []uint64 {
	pcs := []uint64{0, 1, ^uint64(0)}
	for i, e := range tab.syms {
		if keep(i) {
			pcs = append(pcs, e.addr-1, e.addr, e.addr+1, e.addr+maxSymbolSize-1, e.addr+maxSymbolSize)
		}
	}
	return pcs
}

// lookupAll is Lookup for each pc, as Resolve reports it.
func lookupAll(tab *Table, pcs []uint64) []Match {
	want := make([]Match, len(pcs))
	for i, pc := range pcs {
		s, ok := tab.Lookup(pc)
		want[i] = Match{Symbol: s, OK: ok}
	}
	return want
}

// checkResolve compares Resolve with the table's Lookup for every pc.
func checkResolve(t *testing.T, data []byte, tab *Table, pcs []uint64) {
	t.Helper()
	got, err := Resolve(bytes.NewReader(data), pcs...)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if diff := cmp.Diff(lookupAll(tab, pcs), got); diff != "" {
		t.Errorf("Resolve differs from Lookup (-Lookup +Resolve):\n%s", diff)
	}
}

// TestResolveMatchesLookup checks, on the real-size kallsyms, that one
// pass of Resolve finds what the sorted table finds: at 60 entries
// spread over the table (vmlinux, modules, BPF), the first ten end markers
// (data symbols and text section ends that follow a function) and the
// functions before them, and their edges. It reads the whole table once per
// address, so more would only slow the race-enabled run.
func TestResolveMatchesLookup(t *testing.T) {
	data := realSizeData(t)
	tab, err := Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	pick := make(map[int]bool)
	for range 60 {
		pick[rng.IntN(len(tab.syms))] = true
	}
	pick[0], pick[len(tab.syms)-1] = true, true
	markers := 0
	for i, e := range tab.syms {
		if e.nlen == 0 && markers < 10 {
			pick[i], pick[i-1] = true, true
			markers++
		}
	}
	if markers == 0 {
		t.Fatal("no end marker in the real-size table")
	}
	pcs := edgePCs(tab, func(i int) bool { return pick[i] })
	checkResolve(t, data, tab, pcs)

	// One address at a time, as a session's first lookups go.
	udp := pcs[len(pcs)/2]
	checkResolve(t, data, tab, []uint64{udp})
}

func TestResolveErrors(t *testing.T) {
	tests := map[string]error{
		"empty.txt":        ErrNoSymbols,
		"garbage-only.txt": ErrNoSymbols,
		"restricted.txt":   ErrRestricted,
		"missing.txt":      os.ErrNotExist,
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", name)
			m, err := ResolveFile(path, 0xffffffff81000000)
			if !errors.Is(err, want) || m != nil {
				t.Fatalf("ResolveFile(%s) = %v, %v; want nil, %v", name, m, err, want)
			}
			_, lerr := LoadFile(path)
			if diff := cmp.Diff(lerr.Error(), err.Error()); diff != "" {
				t.Errorf("ResolveFile's error differs from LoadFile's (-LoadFile +ResolveFile):\n%s", diff)
			}
		})
	}
}

// BenchmarkResolve resolves one address in the real-size table, as the
// first lookup of a session does.
func BenchmarkResolve(b *testing.B) {
	data := realSizeData(b)
	tab, err := Parse(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	pc := tab.syms[len(tab.syms)/2].addr + 4
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Resolve(bytes.NewReader(data), pc); err != nil {
			b.Fatal(err)
		}
	}
}
