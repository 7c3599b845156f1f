package kallsyms

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// referenceTable answers lookups with a plain sort.Search over the symbol
// starts of referenceStarts, which reads the text without parse.go.
type referenceTable struct {
	starts []uint64          // every address where a symbol starts, sorted
	text   map[uint64]Symbol // the text symbol that owns a start, if any
}

func newReferenceTable(data []byte) referenceTable {
	text, other := referenceStarts(data)
	r := referenceTable{text: text}
	for addr := range text {
		r.starts = append(r.starts, addr)
	}
	for addr := range other {
		r.starts = append(r.starts, addr)
	}
	slices.Sort(r.starts)
	return r
}

func (r referenceTable) lookup(pc uint64) lookupResult {
	i := sort.Search(len(r.starts), func(i int) bool { return r.starts[i] > pc }) - 1
	if pc == 0 || i < 0 {
		return notFound
	}
	s, ok := r.text[r.starts[i]]
	// doc.go: no symbol is larger than 1 MiB.
	if !ok || pc-s.Addr >= 1<<20 {
		return notFound
	}
	s.Offset = pc - s.Addr
	return lookupResult{Sym: s, OK: true}
}

// probes returns the addresses at the edges of every symbol: the byte
// before it, its first bytes, the last byte before the next symbol, the
// 1 MiB limit, and addresses below, at and far above the ends of the table
// and of the address space.
func (r referenceTable) probes() []uint64 {
	pcs := []uint64{0, 1, 2, math.MaxUint64 - 1, math.MaxUint64}
	for i, a := range r.starts {
		pcs = append(pcs, a-1, a, a+1, a+1<<20-1, a+1<<20)
		if i+1 < len(r.starts) {
			pcs = append(pcs, r.starts[i+1]-1)
		}
	}
	if len(r.starts) > 0 {
		last := r.starts[len(r.starts)-1]
		pcs = append(pcs, last+1<<32-1, last+1<<32, last+1<<33)
	}
	return pcs
}

// syntheticKallsyms returns n lines of kallsyms text, generated from seed,
// for symbols that start at start and follow each other at random gaps.
// Most gaps are short, as between functions, but some are 0 (aliases, and
// data at a function's address), some exceed the 1 MiB limit, and with
// wide about one in 32 is 4 GiB or more, so that a block of the index spans
// more than 32-bit offsets describe. Every type of symbol, vmlinux section
// end markers and module symbols occur, and the lines are shuffled.
func syntheticKallsyms(seed uint64, n int, start uint64, wide bool) []byte {
	rng := rand.New(rand.NewPCG(seed, 0))
	const types = "TTTtttWwDdRrBbA"
	lines := make([]string, 0, n)
	addr := start
	for i := range n {
		typ := types[rng.IntN(len(types))]
		name, mod := fmt.Sprintf("sym%d", i), ""
		switch rng.IntN(16) {
		case 0:
			mod = "\t[mod_a]"
		case 1:
			mod = "\t[mod_b]"
		case 2:
			name, typ = fmt.Sprintf("__sym%d_text_end", i), 'T'
		}
		lines = append(lines, fmt.Sprintf("%016x %c %s%s\n", addr, typ, name, mod))

		gap := 1 + rng.Uint64N(512)
		switch r := rng.IntN(32); {
		case r < 4:
			gap = 0
		case r == 4:
			gap = 1<<20 + rng.Uint64N(1<<20)
		case r == 5 && wide:
			gap = 1<<32 - 2 + rng.Uint64N(1<<34)
		}
		if addr+gap < addr {
			break // past the end of the address space
		}
		addr += gap
	}
	rng.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	return []byte(strings.Join(lines, ""))
}

// TestLookupMatchesReference checks Lookup against referenceTable, and the
// index behind it against a sort.Search over the table's entries, at the
// edges of every symbol: tables of a few symbols (one short line of syms),
// around the block sizes of the index, with blocks too wide for it, at the
// ends of the address space, the hand-written fixtures with their ties and
// modules, and the real-size table.
func TestLookupMatchesReference(t *testing.T) {
	type testCase struct {
		name string
		data []byte
		wide bool // some block of the index must be too wide for offs
	}
	tests := []testCase{
		{name: "one symbol", data: []byte("ffffffff81000000 T _stext\n")},
		{name: "address-space ends", data: []byte("0000000000000001 T a\n0000000000000002 T b\n" +
			"0000000000000003 T c\n0000000000000004 d d\n8000000000000000 T e\nffffffffffffffff T f\n"), wide: true},
		{name: "below the last symbol of the address space",
			data: syntheticKallsyms(1, 200, math.MaxUint64-200*512, false)},
	}
	for _, n := range []int{3, 4, 5, 63, 64, 65, 68, 127, 128, 129, 1000, 5000} {
		tests = append(tests, testCase{name: fmt.Sprintf("%d lines", n), data: syntheticKallsyms(uint64(n), n, 0xffffffff81000000, false)})
	}
	for _, n := range []int{100, 5000} {
		tests = append(tests, testCase{name: fmt.Sprintf("%d lines with wide gaps", n), data: syntheticKallsyms(uint64(n), n, 1, true), wide: true})
	}
	for _, name := range []string{"modules.txt", "bpf.txt", "duplicates.txt", "rust.txt", "garbage.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		tests = append(tests, testCase{name: name, data: data})
	}
	tests = append(tests, testCase{name: realSizeFile, data: realSizeData(t)})

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := Parse(bytes.NewReader(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if tt.wide && !hasWideBlock(tab) {
				t.Fatal("no block of the index is too wide for offs: findWide is not covered")
			}
			ref := newReferenceTable(tt.data)
			failures := 0
			for _, pc := range ref.probes() {
				// cmp.Diff only on a mismatch: the real-size table has
				// 700,000 probes.
				want := ref.lookup(pc)
				s, ok := tab.Lookup(pc)
				if got := (lookupResult{Sym: s, OK: ok}); got != want {
					t.Errorf("Lookup(%#x) mismatch (-want +got):\n%s", pc, cmp.Diff(want, got))
					failures++
				}
				wantIndex := sort.Search(len(tab.syms), func(i int) bool { return tab.syms[i].addr > pc }) - 1
				if got := tab.find(pc); got != wantIndex {
					t.Errorf("find(%#x) mismatch (-want +got):\n%s", pc, cmp.Diff(wantIndex, got))
					failures++
				}
				if failures >= 10 {
					t.Fatal("too many mismatches")
				}
			}
		})
	}
}

func hasWideBlock(tab *Table) bool {
	for b := range tab.top {
		if tab.offs[b*offsPerBlock] != 0 {
			return true
		}
	}
	return false
}
