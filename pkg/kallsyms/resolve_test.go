package kallsyms

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	data, tab, pcs := realSizePCs(t)
	checkResolve(t, data, tab, pcs)

	// One address at a time, as a session's first lookups go.
	udp := pcs[len(pcs)/2]
	checkResolve(t, data, tab, []uint64{udp})
}

// realSizePCs returns the real-size fixture, its table and the addresses
// TestResolveMatchesLookup checks.
func realSizePCs(t *testing.T) ([]byte, *Table, []uint64) {
	t.Helper()
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
	return data, tab, edgePCs(tab, func(i int) bool { return pick[i] })
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// TestResolveKernel: on a real kallsyms, ResolveKernel finds what Lookup
// finds, everywhere; for addresses in vmlinux alone it stops reading after
// the sorted vmlinux lines pass them, and for an address in a module it
// reads to the end.
func TestResolveKernel(t *testing.T) {
	data, tab, pcs := realSizePCs(t)
	got, err := ResolveKernel(bytes.NewReader(data), pcs...)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(lookupAll(tab, pcs), got); diff != "" {
		t.Errorf("ResolveKernel differs from Lookup (-Lookup +ResolveKernel):\n%s", diff)
	}

	// Addresses found by scanning the text, not through the table.
	addrOf := func(name string) uint64 {
		t.Helper()
		for line := range strings.Lines(string(data)) {
			if f := strings.Fields(line); len(f) >= 3 && f[2] == name {
				a, err := strconv.ParseUint(f[0], 16, 64)
				if err != nil {
					t.Fatal(err)
				}
				return a
			}
		}
		t.Fatalf("%s not in the fixture", name)
		return 0
	}
	modPC := uint64(0)
	for line := range strings.Lines(string(data)) {
		if f := strings.Fields(line); len(f) == 4 && (f[1] == "t" || f[1] == "T") {
			modPC, _ = strconv.ParseUint(f[0], 16, 64)
			modPC += 4
			break
		}
	}
	tests := []struct {
		name    string
		pcs     []uint64
		readAll bool
	}{
		{"__udp4_lib_rcv", []uint64{addrOf("__udp4_lib_rcv") + 0x9a2}, false},
		{"_stext and tcp_v4_rcv", []uint64{addrOf("_stext") + 5, addrOf("tcp_v4_rcv") + 0x1a3}, false},
		{"a module", []uint64{modPC}, true},
		{"vmlinux and a module", []uint64{addrOf("tcp_v4_rcv") + 0x1a3, modPC}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cr := &countingReader{r: bytes.NewReader(data)}
			got, err := ResolveKernel(cr, tt.pcs...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(lookupAll(tab, tt.pcs), got); diff != "" {
				t.Errorf("ResolveKernel differs from Lookup (-Lookup +ResolveKernel):\n%s", diff)
			}
			// Reads are 64 KiB at a time.
			if all := cr.n == len(data); all != tt.readAll {
				t.Errorf("read %d of %d bytes; reading all: %v, want %v", cr.n, len(data), all, tt.readAll)
			}
		})
	}
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
