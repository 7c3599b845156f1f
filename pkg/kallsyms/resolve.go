package kallsyms

import (
	"errors"
	"io"
)

// Match is what Resolve found for one address: the Symbol and true where
// Lookup would return them, else the zero Symbol and false.
type Match struct {
	Symbol
	OK bool
}

// Resolve looks a few addresses up in kallsyms text read from r, in one
// pass and without building a Table, and returns one Match per pc in the
// same order. For every input that Parse accepts, each Match is what
// Parse(r) followed by Lookup(pc) returns; the errors are Parse's.
//
// Loading a Table costs a read of the file plus parsing, sorting and
// indexing all of it (about 8 MB of memory for a real kernel); Resolve
// costs the read and a comparison per line and address, and allocates
// only the names it returns. A program that resolves the few locations of
// a drop monitor session can use Resolve until it has seen enough distinct
// addresses to make a Table pay, which is what the C dropwatch does on
// every new address.
func Resolve(r io.Reader, pcs ...uint64) ([]Match, error) {
	return resolve(r, pcs, false)
}

// ResolveKernel is Resolve for the kernel's own kallsyms text, which it
// reads only as far as it needs to. The kernel lists vmlinux's symbols
// first, sorted by address (scripts/kallsyms.c sorts them at build time),
// then those of modules, BPF programs and trampolines, which live outside
// the kernel image (the module area, MODULES_VADDR in
// arch/x86/include/asm/pgtable_64_types.h; mm/execmem.c). So once the
// sorted vmlinux lines have passed an address that one of them precedes,
// no later line can come closer to it, and an address in vmlinux is found
// in the lines up to it, as the C dropwatch stops there. An address in a
// module means reading to the end, as Resolve does. On text that breaks
// these rules (vmlinux lines out of order, a module symbol inside
// vmlinux's range) the answers may differ from Lookup's, where Resolve's
// do not.
func ResolveKernel(r io.Reader, pcs ...uint64) ([]Match, error) {
	return resolve(r, pcs, true)
}

// errSettled ends a ResolveKernel scan that has its answers.
var errSettled = errors.New("every address settled")

func resolve(r io.Reader, pcs []uint64, kernel bool) ([]Match, error) {
	best := make([]candidate, len(pcs))
	lines, nonZero := 0, false
	// sorted: still in the leading run of vmlinux lines in ascending
	// order; settled[i]: one of those lines came after best[i] and above
	// pcs[i], so no later line can improve best[i].
	sorted, last := kernel, uint64(0)
	settled, open := make([]bool, len(pcs)), len(pcs)
	err := eachLine(r, func(line []byte) error {
		rec, ok := parseLine(line)
		if !ok {
			return nil
		}
		lines++
		if rec.addr == 0 {
			return nil
		}
		nonZero = true
		if rec.kind == kindIgnore {
			return nil
		}
		if sorted && (rec.mod != nil || rec.addr < last) {
			sorted = false
		}
		last = rec.addr
		for i, pc := range pcs {
			switch {
			case rec.addr <= pc:
				best[i].offer(&rec)
			case sorted && !settled[i] && best[i].kind != kindIgnore:
				settled[i] = true
				open--
			}
		}
		if sorted && open == 0 {
			return errSettled
		}
		return nil
	})
	switch {
	case errors.Is(err, errSettled):
	case err != nil:
		return nil, err
	case lines == 0:
		return nil, ErrNoSymbols
	case !nonZero:
		return nil, ErrRestricted
	}
	out := make([]Match, len(pcs))
	for i, pc := range pcs {
		c := &best[i]
		if pc == 0 || c.kind != kindText || pc-c.addr >= maxSymbolSize {
			continue
		}
		out[i] = Match{Symbol: Symbol{Name: string(c.name), Module: string(c.mod), Addr: c.addr, Offset: pc - c.addr}, OK: true}
	}
	return out, nil
}

// ResolveFile is Resolve on the file at path, with LoadFile's errors for a
// file that cannot be opened.
func ResolveFile(path string, pcs ...uint64) ([]Match, error) {
	return readFile(path, func(r io.Reader) ([]Match, error) { return Resolve(r, pcs...) })
}

// candidate is the entry a Table would find for one pc among the lines
// read so far: the highest address not above it, where a text symbol beats
// an end marker at the same address and the first text symbol in file
// order beats the later ones, as the Table's sort and deduplication order
// them (parser.table).
type candidate struct {
	addr uint64
	kind symKind // kindIgnore until a line at or below the pc is seen
	name []byte
	mod  []byte
}

func (c *candidate) offer(r *record) {
	if c.kind != kindIgnore && (r.addr < c.addr || r.addr == c.addr && (c.kind == kindText || r.kind != kindText)) {
		return
	}
	c.addr, c.kind = r.addr, r.kind
	if r.kind == kindText {
		c.name = append(c.name[:0], r.name...)
		c.mod = append(c.mod[:0], r.mod...)
	}
}
