package kallsyms

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// realSizeFile is a copy of this machine's /proc/kallsyms, see
// testdata/README.md.
const realSizeFile = "kallsyms-6.18.44-fc-v782.gz"

var realSize struct {
	once sync.Once
	data []byte
	err  error
}

// realSizeData returns the uncompressed real-size fixture.
func realSizeData(tb testing.TB) []byte {
	tb.Helper()
	realSize.once.Do(func() {
		f, err := os.Open(filepath.Join("testdata", realSizeFile))
		if err != nil {
			realSize.err = err
			return
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			realSize.err = err
			return
		}
		realSize.data, realSize.err = io.ReadAll(zr)
	})
	if realSize.err != nil {
		tb.Fatal(realSize.err)
	}
	return realSize.data
}

// referenceStarts is a deliberately simple, allocation-heavy reading of
// kallsyms text, written from the format description and the rules in
// doc.go rather than from parse.go. For every address that starts a text
// symbol it gives the symbol Lookup must return there (the first in file
// order); other holds the addresses where only data symbols or vmlinux
// section end markers start, where Lookup must fail.
func referenceStarts(data []byte) (text map[uint64]Symbol, other map[uint64]bool) {
	text = make(map[uint64]Symbol)
	other = make(map[uint64]bool)
	sep := func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' }
	for _, line := range strings.Split(string(data), "\n") {
		if len(line) >= 64<<10 {
			continue // longer than the parser's read buffer
		}
		f := strings.FieldsFunc(line, sep)
		if len(f) != 3 && len(f) != 4 {
			continue
		}
		addr, err := strconv.ParseUint(f[0], 16, 64)
		if err != nil || len(f[0]) > 16 || addr == 0 || len(f[1]) != 1 {
			continue
		}
		name, mod := f[2], ""
		if name[0] == '[' || name[0] == '$' {
			continue
		}
		if len(f) == 4 {
			m := f[3]
			if len(m) < 3 || m[0] != '[' || m[len(m)-1] != ']' || strings.ContainsAny(m[1:len(m)-1], "[]") {
				continue
			}
			mod = m[1 : len(m)-1]
		}
		marker := mod == "" && (name == "_etext" || name == "_einittext" ||
			strings.HasPrefix(name, "__") && strings.HasSuffix(name, "_text_end"))
		switch typ := f[1]; {
		case strings.Contains("TtWw", typ) && !marker:
			if _, seen := text[addr]; !seen {
				text[addr] = Symbol{Name: name, Module: mod, Addr: addr}
			}
		case strings.Contains("TtWwBbDdRrGgSsVv", typ):
			other[addr] = true
		}
	}
	for addr := range text {
		delete(other, addr)
	}
	return text, other
}

// checkStarts compares Lookup at every symbol start with referenceStarts.
func checkStarts(t *testing.T, tab *Table, data []byte) {
	t.Helper()
	text, other := referenceStarts(data)
	got := make(map[uint64]Symbol, len(text))
	for addr := range text {
		s, _ := tab.Lookup(addr)
		got[addr] = s
	}
	if diff := cmp.Diff(text, got); diff != "" {
		t.Errorf("Lookup at text symbol starts (-want +got):\n%s", diff)
	}
	for addr := range other {
		if s, ok := tab.Lookup(addr); ok {
			t.Errorf("Lookup(%#x) = %v at a data symbol or end marker, want not found", addr, s)
		}
	}
	if diff := cmp.Diff(len(text), tab.Len()); diff != "" {
		t.Errorf("Len (-want +got):\n%s", diff)
	}
}

func TestRealSizeCopy(t *testing.T) {
	data := realSizeData(t)
	tab, err := Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	checkStarts(t, tab, data)

	// Addresses found by scanning the text, not through the table.
	addrOf := func(name string) uint64 {
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) == 3 && f[2] == name {
				a, err := strconv.ParseUint(f[0], 16, 64)
				if err != nil {
					t.Fatal(err)
				}
				return a
			}
		}
		t.Fatalf("%s not in %s", name, realSizeFile)
		return 0
	}
	udp := addrOf("__udp4_lib_rcv")
	stext := addrOf("_stext")
	etext := addrOf("_etext")
	tests := map[uint64]lookupResult{
		udp + 0x10:  sym("__udp4_lib_rcv", "", udp, 0x10),
		udp + 0x9a2: sym("__udp4_lib_rcv", "", udp, 0x9a2),
		udp - 1:     sym("__pfx___udp4_lib_rcv", "", udp-0x10, 0xf),
		// srso_alias_untrain_ret, _stext and _text share the address;
		// the kernel lists srso_alias_untrain_ret first.
		stext + 5: sym("srso_alias_untrain_ret", "", stext, 5),
		etext + 1: notFound,
	}
	checkLookups(t, tab, tests)
}

// TestFixturesAgainstReference checks Lookup at every symbol start of the
// small fixtures, and Resolve against Lookup at every edge.
func TestFixturesAgainstReference(t *testing.T) {
	for _, name := range []string{"modules.txt", "bpf.txt", "duplicates.txt", "rust.txt", "garbage.txt"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			tab, err := Parse(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			checkStarts(t, tab, data)
			checkResolve(t, data, tab, edgePCs(tab, func(int) bool { return true }))
		})
	}
}
