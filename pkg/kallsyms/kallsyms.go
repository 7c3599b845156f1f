package kallsyms

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// DefaultPath is the file Load reads.
const DefaultPath = "/proc/kallsyms"

// maxSymbolSize bounds how far past a symbol's start an address may be and
// still belong to it. The largest functions of a 6.18 x86_64 kernel are
// about 20 KiB; the bound only exists so that an address in the void above
// the last function of a module or BPF program is not reported as that
// function plus several megabytes (dropwatch issue #72).
const maxSymbolSize = 1 << 20

var (
	// ErrRestricted is returned when every address in the file is zero.
	// The kernel prints zeros instead of addresses when kernel.kptr_restrict
	// forbids the reader to see them (kallsyms_show_value in
	// kernel/kallsyms.c).
	ErrRestricted = errors.New("kernel symbol addresses are hidden (all zero): run as root or set kernel.kptr_restrict=0")

	// ErrNoSymbols is returned when the input holds no line that parses as
	// a kallsyms symbol.
	ErrNoSymbols = errors.New("no symbols found")
)

// Symbol is the result of a Lookup.
type Symbol struct {
	Name   string // raw name as in kallsyms (not demangled)
	Module string // "" for the core kernel, else the name inside [..]
	Addr   uint64 // symbol start
	Offset uint64 // pc - Addr
}

// String formats s like the kernel's %pS without the symbol size:
// "name+0xoff", followed by " [module]" for module symbols. The name is
// demangled (DisplayName).
func (s Symbol) String() string {
	if s.Module == "" {
		return fmt.Sprintf("%s+%#x", s.DisplayName(), s.Offset)
	}
	return fmt.Sprintf("%s+%#x [%s]", s.DisplayName(), s.Offset, s.Module)
}

// entry is one row of the sorted table. It holds no pointers, so the
// garbage collector never scans the table, and it is 16 bytes.
type entry struct {
	addr uint64
	name uint32 // offset of the name in Table.names
	nlen uint16 // length of the name; 0 marks an end marker (see doc.go)
	mod  uint16 // index into Table.modules
}

// Table is a symbol table sorted by address. It is immutable after loading
// and safe for concurrent use.
type Table struct {
	names string  // every name, concatenated
	syms  []entry // sorted by addr, one entry per address
	// top and offs index syms; see index.go.
	top     []uint64
	offs    []uint32
	modules []string // modules[0] is "" (the core kernel)
	n       int      // number of text symbols in syms
}

// Load reads /proc/kallsyms.
func Load() (*Table, error) {
	return LoadFile(DefaultPath)
}

// LoadFile reads a file in /proc/kallsyms format.
//
// A file that does not exist gives an error matching os.ErrNotExist, an
// unreadable one an error matching os.ErrPermission. See Parse for the
// other errors; every error names path.
func LoadFile(path string) (*Table, error) {
	return readFile(path, Parse)
}

// readFile opens path and reads it with read. Its errors name path.
func readFile[T any](path string, read func(io.Reader) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	v, err := read(f)
	if err != nil {
		var pe *fs.PathError
		if !errors.As(err, &pe) {
			err = fmt.Errorf("%s: %w", path, err)
		}
	}
	return v, err
}

// Parse reads symbols in /proc/kallsyms format from r. The input does not
// have to be sorted. Lines that do not parse are skipped.
//
// Parse returns ErrNoSymbols if no line parses, and ErrRestricted if every
// address is zero. Errors from r are returned as they are.
func Parse(r io.Reader) (*Table, error) {
	var p parser
	if err := p.parse(r); err != nil {
		return nil, err
	}
	switch {
	case p.lines == 0:
		return nil, ErrNoSymbols
	case !p.nonZero:
		return nil, ErrRestricted
	}
	return p.table(), nil
}

// Len returns the number of text symbols in the table, after symbols that
// share an address with an earlier one were dropped.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return t.n
}

// Lookup returns the text symbol with the largest start address not above
// pc. It reports false for pc 0, for a pc below the first symbol, and for a
// pc that lies after a data symbol or section end marker, or more than 1 MiB
// past the closest symbol (see the package documentation).
func (t *Table) Lookup(pc uint64) (Symbol, bool) {
	if t == nil || pc == 0 {
		return Symbol{}, false
	}
	i := t.find(pc)
	if i < 0 {
		return Symbol{}, false
	}
	e := &t.syms[i]
	off := pc - e.addr
	if e.nlen == 0 || off >= maxSymbolSize {
		return Symbol{}, false
	}
	return Symbol{
		Name:   t.names[e.name : e.name+uint32(e.nlen)],
		Module: t.modules[e.mod],
		Addr:   e.addr,
		Offset: off,
	}, true
}
