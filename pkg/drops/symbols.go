package drops

import (
	"os"
	"slices"
	"sync"

	"github.com/dropwatch-go/dropwatch/pkg/kallsyms"
)

// Resolver turns a drop location into a symbol: a *Symbols, or a
// *kallsyms.Table.
type Resolver interface {
	Lookup(pc uint64) (kallsyms.Symbol, bool)
}

// preparer is a Resolver that answers best when it is given all the new
// locations of an alert at once (symbols.Prepare).
type preparer interface {
	Prepare(pcs []uint64)
}

// SymbolFile is the kallsyms file of a session, opened at startup
// (OpenKallsyms).
type SymbolFile interface {
	// Resolve reads the file once and answers for pcs only
	// (kallsyms.Resolve).
	Resolve(pcs []uint64) ([]kallsyms.Match, error)
	// Load reads the file into a table.
	Load() (Resolver, error)
}

// scansBeforeTable is how many times a session scans the kallsyms file for
// new drop locations before it loads the whole table instead.
//
// Reading /proc/kallsyms is the kernel formatting 120,000-160,000 lines:
// about 50 ms on bare metal, 0.3-0.7 s of CPU under emulation. Scanning
// the text for a few addresses costs little more than that read, and for
// addresses in vmlinux the scan stops once the sorted vmlinux lines have
// passed them, as the C tool's does (kallsyms.ResolveKernel); a table
// costs the read of the whole file plus parsing, sorting and indexing all
// of it, and 8 MB. A summary session often has one or a few drop
// locations, all in its first alert, so the first alert's locations are
// found by one scan, as the C tool finds each new location (it rescans
// for every one), and a session that goes on to show new locations loads
// the table once, at the first of them (docs/benchmarks.md).
const scansBeforeTable = 1

// Symbols resolves drop locations from a kallsyms file: the first new
// locations by scanning the file, the rest through a table loaded once.
// NET_DM's packet alerts carry the kernel's own symbol text, so a packet
// session never reads the file (the C tool does not either). A session
// that will look up many addresses (stacks) starts loading the table in
// the background once monitoring is on (loadTable). A file that cannot
// be used is reported once and leaves raw addresses, as the C tool prints
// when its lookups fail. A Symbols is safe for concurrent use.
type Symbols struct {
	file   SymbolFile
	report func(error)

	// prefetch starts loading the table; table waits for it and returns
	// nil if it failed (reported).
	prefetch func()
	table    func() Resolver

	mu      sync.Mutex
	scanned map[uint64]kallsyms.Match
	scans   int
	useTab  bool // the table answers every address not scanned
	failed  bool // a scan failed (reported): raw addresses
}

// NewSymbols returns the resolver of file. report is called, at most once
// for a scan and once for the table, with the error that leaves addresses
// unresolved; the file is read at the first lookup, not before.
func NewSymbols(file SymbolFile, report func(error)) *Symbols {
	type result struct {
		r   Resolver
		err error
	}
	loaded := make(chan result, 1)
	s := &Symbols{file: file, report: report, scanned: make(map[uint64]kallsyms.Match)}
	s.prefetch = sync.OnceFunc(func() {
		go func() {
			r, err := file.Load()
			loaded <- result{r, err}
		}()
	})
	s.table = sync.OnceValue(func() Resolver {
		s.prefetch()
		res := <-loaded
		if res.err != nil {
			report(res.err)
			return nil
		}
		return res.r
	})
	return s
}

// loadTable starts loading the table in the background; every address
// not yet scanned is then looked up in it.
func (s *Symbols) loadTable() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.useTab = true
	s.prefetch()
}

// Prepare resolves the addresses among pcs that have not been seen yet,
// with one scan of the file while scans are left, else by loading the
// table.
func (s *Symbols) Prepare(pcs []uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prepare(pcs)
}

func (s *Symbols) prepare(pcs []uint64) {
	if s.useTab || s.failed {
		return
	}
	var buf [8]uint64
	fresh := buf[:0]
	for _, pc := range pcs {
		if _, ok := s.scanned[pc]; !ok && !slices.Contains(fresh, pc) {
			fresh = append(fresh, pc)
		}
	}
	switch {
	case len(fresh) == 0:
	case s.scans >= scansBeforeTable:
		s.useTab = true
		s.prefetch()
	default:
		s.scans++
		m, err := s.file.Resolve(fresh)
		if err != nil {
			s.report(err)
			s.failed = true
			return
		}
		for i, pc := range fresh {
			s.scanned[pc] = m[i]
		}
	}
}

// Lookup returns the symbol pc lies in, if the file has one.
func (s *Symbols) Lookup(pc uint64) (kallsyms.Symbol, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.scanned[pc]
	if !ok {
		s.prepare([]uint64{pc})
		m, ok = s.scanned[pc]
	}
	switch {
	case ok:
		return m.Symbol, m.OK
	case s.useTab:
		if t := s.table(); t != nil {
			return t.Lookup(pc)
		}
	}
	return kallsyms.Symbol{}, false
}

// lookupSymbol looks pc up in r, which may be nil.
func lookupSymbol(r Resolver, pc uint64) (kallsyms.Symbol, bool) {
	if r == nil {
		return kallsyms.Symbol{}, false
	}
	return r.Lookup(pc)
}

// kallsymsFile is a kallsyms file opened at startup: its first reader reads
// that descriptor, later ones open the path again.
type kallsymsFile struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

// OpenKallsyms opens path, or /proc/kallsyms when path is empty, at once, so
// that a path that cannot be opened is known at startup.
func OpenKallsyms(path string) (SymbolFile, error) {
	if path == "" {
		path = kallsyms.DefaultPath
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &kallsymsFile{path: path, f: f}, nil
}

func (k *kallsymsFile) open() (*os.File, error) {
	k.mu.Lock()
	f := k.f
	k.f = nil
	k.mu.Unlock()
	if f != nil {
		return f, nil
	}
	return os.Open(k.path)
}

func (k *kallsymsFile) Resolve(pcs []uint64) ([]kallsyms.Match, error) {
	f, err := k.open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return kallsyms.ResolveKernel(f, pcs...)
}

func (k *kallsymsFile) Load() (Resolver, error) {
	f, err := k.open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := kallsyms.Parse(f)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// LoadSymbols opens path with open (OpenKallsyms, or a test's fake) at
// once and returns its resolver (NewSymbols). A file that cannot be opened
// is reported now, through report, even if no lookup ever happens, and
// leaves raw addresses.
func LoadSymbols(path string, open func(string) (SymbolFile, error), report func(error)) *Symbols {
	file, err := open(path)
	if err != nil {
		report(err)
		file = UnusableFile{}
	}
	return NewSymbols(file, report)
}

// UnusableFile stands for a kallsyms file that could not be opened, which
// the caller has reported: it leaves raw addresses without another report.
type UnusableFile struct{}

func (UnusableFile) Resolve(pcs []uint64) ([]kallsyms.Match, error) {
	return make([]kallsyms.Match, len(pcs)), nil
}

func (UnusableFile) Load() (Resolver, error) { return nil, nil }
