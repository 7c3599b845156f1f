package kallsyms

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func FuzzParse(f *testing.F) {
	fixtures, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range fixtures {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("ffffffff81000000 T a\nffffffff81000000 T __pfx_a\nffffffff81000000 T a\n"))
	f.Add([]byte("1 t x\t[m]\n1 t x\t[n]\n2 d y\t[m]\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := Parse(bytes.NewReader(data))
		// Resolve reads the same lines; its errors are Parse's, and its
		// answers Lookup's, at the first symbols' edges.
		var pcs []uint64
		if err == nil {
			pcs = edgePCs(tab, func(i int) bool { return i < 8 })
		}
		m, rerr := Resolve(bytes.NewReader(data), pcs...)
		if !errors.Is(rerr, err) {
			t.Fatalf("Resolve: error %v, Parse: %v", rerr, err)
		}
		// ResolveKernel's answers rely on the kernel's layout, which
		// fuzzed text need not have; its errors are still Parse's.
		if _, kerr := ResolveKernel(bytes.NewReader(data), pcs...); !errors.Is(kerr, err) {
			t.Fatalf("ResolveKernel: error %v, Parse: %v", kerr, err)
		}
		if err == nil {
			if diff := cmp.Diff(lookupAll(tab, pcs), m); diff != "" {
				t.Fatalf("Resolve differs from Lookup (-Lookup +Resolve):\n%s", diff)
			}
		}
		if err != nil {
			if tab != nil {
				t.Fatalf("Parse returned a table and error %v", err)
			}
			if !errors.Is(err, ErrNoSymbols) && !errors.Is(err, ErrRestricted) {
				t.Fatalf("Parse: unexpected error %v", err)
			}
			return
		}
		checkInvariants(t, tab)
		checkStarts(t, tab, data)
	})
}

// checkInvariants checks the table's internal structure and that Lookup
// agrees with it between symbol starts.
func checkInvariants(t *testing.T, tab *Table) {
	t.Helper()
	n := 0
	for i, e := range tab.syms {
		marker := e.nlen == 0
		switch {
		case e.addr == 0:
			t.Fatalf("entry %d at address 0", i)
		case i > 0 && tab.syms[i-1].addr >= e.addr:
			t.Fatalf("entries %d and %d not strictly sorted: %#x, %#x", i-1, i, tab.syms[i-1].addr, e.addr)
		case i == 0 && marker:
			t.Fatalf("table starts with an end marker")
		case i > 0 && marker && tab.syms[i-1].nlen == 0:
			t.Fatalf("entries %d and %d are both end markers", i-1, i)
		case int(e.mod) >= len(tab.modules):
			t.Fatalf("entry %d: module %d of %d", i, e.mod, len(tab.modules))
		case uint64(e.name)+uint64(e.nlen) > uint64(len(tab.names)):
			t.Fatalf("entry %d: name [%d:+%d] outside %d bytes", i, e.name, e.nlen, len(tab.names))
		}
		if marker {
			if s, ok := tab.Lookup(e.addr); ok {
				t.Fatalf("Lookup(%#x) = %v at an end marker", e.addr, s)
			}
			continue
		}
		n++
		want := Symbol{Name: tab.names[e.name : e.name+uint32(e.nlen)], Module: tab.modules[e.mod], Addr: e.addr}
		// The first and the last address the entry owns.
		last := e.addr + maxSymbolSize - 1
		if last < e.addr {
			last = ^uint64(0)
		}
		if i+1 < len(tab.syms) {
			last = min(last, tab.syms[i+1].addr-1)
		}
		for _, pc := range []uint64{e.addr, last} {
			want.Offset = pc - e.addr
			if got, ok := tab.Lookup(pc); !ok || got != want {
				t.Fatalf("Lookup(%#x) = %v, %v; want %v", pc, got, ok, want)
			}
		}
		if last != ^uint64(0) {
			if got, ok := tab.Lookup(last + 1); ok && got.Addr == e.addr {
				t.Fatalf("Lookup(%#x) = %v beyond the symbol", last+1, got)
			}
		}
	}
	if len(tab.syms) > 0 {
		if got, ok := tab.Lookup(tab.syms[0].addr - 1); ok {
			t.Fatalf("Lookup below the first symbol = %v", got)
		}
	}
	if n != tab.Len() {
		t.Fatalf("Len() = %d, table has %d text entries", tab.Len(), n)
	}
}

// FuzzSplitKernelLine checks that the fast path for the kernel's own line
// layout splits every line it accepts as the general splitter does.
func FuzzSplitKernelLine(f *testing.F) {
	for _, s := range []string{
		"ffffffff81000000 T _stext\n",
		"ffffffffc0a01000 t nft_do_chain\t[nf_tables]\n",
		"ffffffffc0a01000 t nft_do_chain\t[nf_tables]",
		"ffffffffc0a01000 t nft_do_chain\t[nf[tables]\n",
		"ffffffffc0a01000 t nft_do_chain \t[nf_tables]\n",
		"ffffffffc0a01000 t nft_do_chain\t[nf_tables]\r\n",
		"FFFFFFFFC0A0100g t x\n",
		"0000000000000000 T x\n",
		"ffffffff81000000 T \n",
		"ffffffff81000000 T [x]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		addr, typ, name, mod, ok := splitKernelLine(line)
		if !ok {
			return
		}
		waddr, wtyp, wname, wmod, wok := splitLine(line)
		type split struct {
			Addr      uint64
			Typ       byte
			Name, Mod string
			Mod0, OK  bool
		}
		got := split{addr, typ, string(name), string(mod), mod == nil, ok}
		want := split{waddr, wtyp, string(wname), string(wmod), wmod == nil, wok}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("splitKernelLine(%q) (-splitLine +splitKernelLine):\n%s", line, diff)
		}
	})
}
