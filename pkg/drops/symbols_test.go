package drops

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dropwatch-go/dropwatch/internal/fixtures"

	"github.com/dropwatch-go/dropwatch/pkg/kallsyms"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// fakeFile is a kallsyms file holding fixtures.Symbols that records how it
// is read: "resolve" with the addresses of a scan, or "load".
type fakeFile struct {
	err     error         // what Resolve and Load return instead, if set
	loadErr error         // what Load alone returns, if set
	release chan struct{} // Load waits for it when not nil
	hold    chan struct{} // Resolve waits for it when not nil

	mu    sync.Mutex
	calls []string
	read  chan string // each call, when it begins
}

func newFakeFile() *fakeFile { return &fakeFile{read: make(chan string, 10)} }

func (f *fakeFile) record(call string) {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	select {
	case f.read <- call:
	default: // nobody is waiting for this call
	}
}

func (f *fakeFile) recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeFile) Resolve(pcs []uint64) ([]kallsyms.Match, error) {
	call := "resolve"
	for _, pc := range pcs {
		call += fmt.Sprintf(" %#x", pc)
	}
	f.record(call)
	if f.hold != nil {
		<-f.hold
	}
	if f.err != nil {
		return nil, f.err
	}
	return kallsyms.Resolve(strings.NewReader(fixtures.Symbols), pcs...)
}

func (f *fakeFile) Load() (Resolver, error) {
	f.record("load")
	if f.release != nil {
		<-f.release
	}
	if f.err != nil {
		return nil, f.err
	}
	if f.loadErr != nil {
		return nil, f.loadErr
	}
	return testSymbols(), nil
}

// checkReads checks the calls made so far.
func (f *fakeFile) checkReads(t *testing.T, want ...string) {
	t.Helper()
	if diff := cmp.Diff(want, f.recorded(), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("reads of the file (-want +got):\n%s", diff)
	}
}

// loader returns f as the file at any path.
func (f *fakeFile) loader(string) (SymbolFile, error) { return f, nil }

// Addresses in fixtures.Symbols.
const (
	pcUDP   = fixtures.UDP
	pcTCP   = fixtures.TCP
	pcDemux = fixtures.Demux
	pcCold  = fixtures.Cold
)

// TestSymbols follows the reads of the kallsyms file through a session's
// lookups: the new addresses of the first alert in one scan, then the
// table, loaded once, for every address not scanned.
func TestSymbols(t *testing.T) {
	f := newFakeFile()
	s := NewSymbols(f, func(err error) { t.Errorf("reported %v", err) })
	if got := f.recorded(); len(got) != 0 {
		t.Fatalf("read before the first lookup: %q", got)
	}
	type step struct {
		prepare []uint64 // an alert's addresses, or a single Lookup
		lookup  uint64
		want    string // the symbol, or "" when not found
		reads   []string
	}
	steps := []step{
		{prepare: []uint64{pcUDP, pcTCP, pcUDP}, lookup: pcUDP, want: "__udp4_lib_rcv+0x9a2", reads: []string{"resolve 0xffffffff878bcae2 0xffffffff82094413"}},
		{lookup: pcTCP, want: "tcp_v4_rcv+0x1a3"},
		{prepare: []uint64{pcTCP, pcUDP}, lookup: pcUDP, want: "__udp4_lib_rcv+0x9a2"},
		{lookup: pcDemux, want: "udp_v4_early_demux+0x10", reads: []string{"load"}},
		{prepare: []uint64{pcCold, 0x1}, lookup: pcCold, want: "__udp4_lib_rcv.cold+0x10 [udp_mod]"},
		{lookup: 0x1},
		{lookup: pcUDP, want: "__udp4_lib_rcv+0x9a2"},
	}
	var reads []string
	for i, st := range steps {
		if st.prepare != nil {
			s.Prepare(st.prepare)
		}
		sym, ok := s.Lookup(st.lookup)
		got := ""
		if ok {
			got = sym.String()
		}
		reads = append(reads, st.reads...)
		if got != st.want {
			t.Errorf("step %d: Lookup(%#x) = %q, want %q", i, st.lookup, got, st.want)
		}
		if diff := cmp.Diff(reads, f.recorded()); diff != "" {
			t.Fatalf("step %d: reads of the file (-want +got):\n%s", i, diff)
		}
	}
}

// A file that fails its scan is reported once and leaves raw addresses,
// without another read; one that fails to load after a good scan is
// reported once, keeps the scanned answers and leaves the rest raw.
func TestSymbolsFail(t *testing.T) {
	var reports []string
	report := func(err error) { reports = append(reports, err.Error()) }

	f := newFakeFile()
	f.err = kallsyms.ErrRestricted
	s := NewSymbols(f, report)
	for _, pc := range []uint64{pcUDP, pcTCP, pcUDP} {
		if sym, ok := s.Lookup(pc); ok {
			t.Errorf("Lookup(%#x) = %v with a restricted file", pc, sym)
		}
	}
	f.checkReads(t, "resolve 0xffffffff878bcae2")
	if diff := cmp.Diff([]string{kallsyms.ErrRestricted.Error()}, reports); diff != "" {
		t.Errorf("reports (-want +got):\n%s", diff)
	}

	reports = nil
	f = newFakeFile()
	f.loadErr = os.ErrPermission
	s = NewSymbols(f, report)
	got := map[uint64]bool{}
	for _, pc := range []uint64{pcUDP, pcTCP, pcDemux, pcUDP} {
		_, got[pc] = s.Lookup(pc)
	}
	want := map[uint64]bool{pcUDP: true, pcTCP: false, pcDemux: false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("found (-want +got):\n%s", diff)
	}
	f.checkReads(t, "resolve 0xffffffff878bcae2", "load")
	if diff := cmp.Diff([]string{os.ErrPermission.Error()}, reports); diff != "" {
		t.Errorf("reports (-want +got):\n%s", diff)
	}
}

// The file opened at startup is what the first read reads, so a --kallsyms
// path checked at startup is the one used; later reads open the path again.
func TestKallsymsFileReads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kallsyms")
	if err := os.WriteFile(path, []byte(fixtures.Symbols), 0o644); err != nil {
		t.Fatal(err)
	}
	file, err := OpenKallsyms(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	m, err := file.Resolve([]uint64{pcUDP})
	if err != nil || !m[0].OK || m[0].String() != "__udp4_lib_rcv+0x9a2" {
		t.Fatalf("Resolve on the descriptor opened before the file was removed = %v, %v", m, err)
	}
	if _, err := file.Load(); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load after the file was removed: %v, want it to open the path again and fail", err)
	}
	if err := os.WriteFile(path, []byte(fixtures.Symbols), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := file.Load()
	if err != nil {
		t.Fatal(err)
	}
	if sym, ok := r.Lookup(pcTCP); !ok || sym.String() != "tcp_v4_rcv+0x1a3" {
		t.Errorf("Lookup in the loaded table = %v, %v", sym, ok)
	}
}

func testSymbols() Resolver { return fixtures.Table() }

// TestLoadSymbols: a file that opens resolves; one that does not is
// reported once, at once, and leaves raw addresses without more reports.
func TestLoadSymbols(t *testing.T) {
	var reports []string
	report := func(err error) { reports = append(reports, err.Error()) }
	f := newFakeFile()
	s := LoadSymbols("kallsyms", func(path string) (SymbolFile, error) { return f, nil }, report)
	if _, ok := s.Lookup(pcUDP); !ok || len(reports) != 0 {
		t.Errorf("Lookup with a good file: found %v, reports %q", ok, reports)
	}
	s = LoadSymbols("/nonexistent", func(path string) (SymbolFile, error) { return nil, os.ErrNotExist }, report)
	if diff := cmp.Diff([]string{os.ErrNotExist.Error()}, reports); diff != "" {
		t.Errorf("reports at load (-want +got):\n%s", diff)
	}
	if _, ok := s.Lookup(pcUDP); ok || len(reports) != 1 {
		t.Errorf("Lookup with an unusable file: found %v, reports %q", ok, reports)
	}
}
