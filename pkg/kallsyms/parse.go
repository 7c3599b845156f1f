package kallsyms

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// Chunk sizes of the parser's temporary storage. Names and entries are
// collected in chunks and copied once into exactly sized final buffers, so
// loading allocates about twice the final table instead of the four to five
// times that growing one slice by append costs.
const (
	firstNameChunk  = 4 << 10
	maxNameChunk    = 256 << 10
	firstEntryChunk = 256
	maxEntryChunk   = 8 << 10
)

// symKind classifies a kallsyms type letter.
type symKind uint8

const (
	kindIgnore symKind = iota // absolute, undefined, debug or unknown
	kindText                  // code: may own an address
	kindData                  // data: ends the preceding function
)

// kindOf maps the type letters of nm(1), which scripts/kallsyms.c copies for
// vmlinux, and of elf_type in kernel/module/kallsyms.c for modules.
func kindOf(c byte) symKind {
	switch c {
	case 'T', 't', 'W', 'w':
		return kindText
	case 'B', 'b', 'D', 'd', 'R', 'r', 'G', 'g', 'S', 's', 'V', 'v':
		return kindData
	}
	return kindIgnore
}

// isTextEnd reports whether a vmlinux text symbol is a linker-script marker
// that closes a text section rather than a function: _etext (end of .text),
// _einittext (end of .init.text) and the __<name>_text_end symbols that
// include/asm-generic/vmlinux.lds.h and the arch linker scripts define
// around .sched.text, .irqentry.text, .entry.text and friends. What follows
// such a marker up to the next function is padding.
func isTextEnd(name []byte) bool {
	const suffix = "_text_end"
	// string(b) in a comparison does not allocate.
	return string(name) == "_etext" || string(name) == "_einittext" ||
		len(name) > len("__"+suffix) && string(name[:2]) == "__" &&
			string(name[len(name)-len(suffix):]) == suffix
}

// parser holds the state of one Parse call.
type parser struct {
	lines   int  // lines that parsed
	nonZero bool // some parsed line had a non-zero address

	// Names, in file order, in chunks that are never reallocated.
	nameChunks [][]byte
	names      []byte // current chunk
	namesBase  uint64 // offset of names[0] in the final buffer
	prevName   []byte // the last name stored, for suffix sharing
	prevOff    uint64
	prevMod    uint16
	lastOff    uint64 // offset given to the last text symbol

	entryChunks [][]entry
	entries     []entry // current chunk
	nEntries    int

	modules  []string
	modIndex map[string]uint16
	curMod   []byte // bytes of the module field of the previous line
	curModIx uint16
}

func (p *parser) parse(r io.Reader) error {
	p.modules = []string{""}
	return eachLine(r, p.line)
}

// eachLine calls fn with every line of r, newline included.
func eachLine(r io.Reader, fn func(line []byte) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// No kallsyms line is this long (KSYM_NAME_LEN is 512):
			// skip it as garbage.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			line = nil
		}
		if len(line) > 0 {
			if ferr := fn(line); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// record is one line of kallsyms text, classified.
type record struct {
	addr uint64
	kind symKind // kindIgnore for a line that is counted but owns nothing
	name []byte
	mod  []byte // without the brackets; nil for vmlinux
}

// parseLine reads one line. It reports false for a line that does not have
// the kallsyms shape, which is skipped and not counted. A counted line that
// cannot own an address (address zero, an ignored type, a mapping symbol)
// has kind kindIgnore. Parse and Resolve share it, so that both read a file
// the same way.
func parseLine(line []byte) (record, bool) {
	addr, typ, name, mod, ok := splitKernelLine(line)
	if !ok {
		var valid bool
		if addr, typ, name, mod, valid = splitLine(line); !valid {
			return record{}, false
		}
	}
	r := record{addr: addr, name: name, mod: mod}
	// An address of zero comes from kptr_restrict, or is an absolute or
	// undefined weak symbol. Mapping symbols ($x, $d, $a, $t and their
	// ".n" forms) mark instruction-set changes on ARM, arm64 and RISC-V.
	// scripts/kallsyms.c and is_mapping_symbol in
	// include/linux/module_symbol.h drop them on current kernels; older
	// kernels listed them for modules.
	if addr == 0 || name[0] == '$' {
		return r, true
	}
	r.kind = kindOf(typ)
	if r.kind == kindText && mod == nil && isTextEnd(name) {
		r.kind = kindData
	}
	return r, true
}

// splitKernelLine splits a line exactly as the kernel writes it on a 64-bit
// machine (s_show in kernel/kallsyms.c: "%px %c %s\n" or "%px %c
// %s\t[%s]\n", %px being 16 hex digits), checking each byte once. Every
// other line, and any doubt, it leaves to splitLine (ok false): whatever it
// accepts, splitLine splits the same way (FuzzSplitKernelLine).
func splitKernelLine(line []byte) (addr uint64, typ byte, name, mod []byte, ok bool) {
	if len(line) < 20 || line[16] != ' ' || line[18] != ' ' || !isLetter(line[17]) {
		return 0, 0, nil, nil, false
	}
	var bad byte
	for _, c := range line[:16] {
		d := hexDigit[c]
		bad |= d
		addr = addr<<4 | uint64(d)
	}
	if bad&0xf0 != 0 {
		return 0, 0, nil, nil, false
	}
	rest := line[19:]
	if rest[len(rest)-1] == '\n' {
		rest = rest[:len(rest)-1]
	}
	i := 0
	for i < len(rest) && rest[i] > ' ' {
		i++
	}
	name = rest[:i]
	if i == 0 || name[0] == '[' || i > math.MaxUint16 {
		return 0, 0, nil, nil, false
	}
	if i < len(rest) {
		// "\t[module]" and nothing after it.
		m := rest[i+1:]
		if rest[i] != '\t' || len(m) < 3 || m[0] != '[' || m[len(m)-1] != ']' {
			return 0, 0, nil, nil, false
		}
		mod = m[1 : len(m)-1]
		for _, c := range mod {
			if c <= ' ' || c == '[' || c == ']' {
				return 0, 0, nil, nil, false
			}
		}
	}
	return addr, line[17], name, mod, true
}

// hexDigit maps a hex digit of either case to its value and every other
// byte to 0xff.
var hexDigit = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c-'a') + 10
		t[c-'a'+'A'] = byte(c-'a') + 10
	}
	return t
}()

// splitLine splits any line with the kallsyms shape: an address of 1 to 16
// hex digits, a type letter, a name and an optional [module], separated by
// blanks.
func splitLine(line []byte) (addr uint64, typ byte, name, mod []byte, ok bool) {
	var f [4][]byte
	nf := 0
	for i := 0; i < len(line); {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		start := i
		for i < len(line) && !isSpace(line[i]) {
			i++
		}
		if i == start {
			break
		}
		if nf == len(f) {
			return 0, 0, nil, nil, false // too many fields
		}
		f[nf] = line[start:i]
		nf++
	}
	if nf < 3 {
		return 0, 0, nil, nil, false
	}
	addr, ok = parseHex(f[0])
	if !ok || len(f[1]) != 1 {
		return 0, 0, nil, nil, false
	}
	typ, name = f[1][0], f[2]
	if !isLetter(typ) || name[0] == '[' || len(name) > math.MaxUint16 {
		return 0, 0, nil, nil, false
	}
	if nf == 4 {
		m := f[3]
		if len(m) < 3 || m[0] != '[' || m[len(m)-1] != ']' {
			return 0, 0, nil, nil, false
		}
		mod = m[1 : len(m)-1]
		if bytes.ContainsAny(mod, "[]") {
			return 0, 0, nil, nil, false
		}
	}
	return addr, typ, name, mod, true
}

// line parses one line. Lines that do not have the kallsyms shape are
// skipped; the error is only for limits of the table's representation.
func (p *parser) line(line []byte) error {
	r, ok := parseLine(line)
	if !ok {
		return nil
	}
	p.lines++
	if r.addr == 0 {
		return nil
	}
	p.nonZero = true
	if r.kind == kindIgnore {
		return nil
	}
	mi, err := p.moduleIndex(r.mod)
	if err != nil {
		return err
	}
	e := entry{addr: r.addr, mod: mi}
	if r.kind == kindText {
		off, err := p.addName(r.name, mi)
		if err != nil {
			return err
		}
		e.name, e.nlen = uint32(off), uint16(len(r.name))
	} else {
		// An end marker has no name. Its offset still orders it in file
		// order among entries with the same address.
		e.name = uint32(min(p.namesBase+uint64(len(p.names)), math.MaxUint32))
	}
	p.addEntry(e)
	return nil
}

// moduleIndex returns the index of module name mod, adding it if needed.
// Modules come in runs, so the previous line's module is checked first.
func (p *parser) moduleIndex(mod []byte) (uint16, error) {
	if len(mod) == 0 {
		return 0, nil
	}
	if bytes.Equal(mod, p.curMod) {
		return p.curModIx, nil
	}
	ix, ok := p.modIndex[string(mod)]
	if !ok {
		if len(p.modules) > math.MaxUint16 {
			return 0, fmt.Errorf("more than %d modules", math.MaxUint16)
		}
		if p.modIndex == nil {
			p.modIndex = make(map[string]uint16)
		}
		s := string(mod)
		ix = uint16(len(p.modules))
		p.modules = append(p.modules, s)
		p.modIndex[s] = ix
	}
	p.curMod = append(p.curMod[:0], mod...)
	p.curModIx = ix
	return ix, nil
}

// addName stores name and returns its offset in the final name buffer.
//
// With CONFIG_FUNCTION_PADDING_ALIGNMENT (x86 call depth tracking, FineIBT)
// every function "foo" is preceded by its padding "__pfx_foo", and the two
// lines are adjacent: half of a current x86_64 kallsyms. When a name is a
// suffix of the previous name of the same module, the previous name's bytes
// are reused, which saves about a third of the name buffer.
//
// Offsets never decrease in file order, and two equal offsets always mean
// the same name, so sorting by offset breaks address ties by file order.
func (p *parser) addName(name []byte, mod uint16) (uint64, error) {
	if mod == p.prevMod && bytes.HasSuffix(p.prevName, name) {
		if off := p.prevOff + uint64(len(p.prevName)-len(name)); off >= p.lastOff {
			p.lastOff = off
			return off, nil
		}
	}
	if len(p.names)+len(name) > cap(p.names) {
		if len(p.names) > 0 {
			p.nameChunks = append(p.nameChunks, p.names)
			p.namesBase += uint64(len(p.names))
		}
		size := firstNameChunk
		if c := cap(p.names); c > 0 {
			size = min(2*c, maxNameChunk)
		}
		p.names = make([]byte, 0, max(size, len(name)))
	}
	off := p.namesBase + uint64(len(p.names))
	if off+uint64(len(name)) > math.MaxUint32 {
		return 0, errors.New("symbol names exceed 4 GiB")
	}
	p.names = append(p.names, name...)
	p.prevName = p.names[len(p.names)-len(name):]
	p.prevOff = off
	p.prevMod = mod
	p.lastOff = off
	return off, nil
}

func (p *parser) addEntry(e entry) {
	if len(p.entries) == cap(p.entries) {
		size := firstEntryChunk
		if c := cap(p.entries); c > 0 {
			p.entryChunks = append(p.entryChunks, p.entries)
			size = min(2*c, maxEntryChunk)
		}
		p.entries = make([]entry, 0, size)
	}
	p.entries = append(p.entries, e)
	p.nEntries++
}

// table sorts the collected entries and builds the final Table.
func (p *parser) table() *Table {
	syms := make([]entry, 0, p.nEntries)
	for _, c := range p.entryChunks {
		syms = append(syms, c...)
	}
	syms = append(syms, p.entries...)

	// Text before end markers at the same address, then file order: the
	// name offsets grow in file order.
	slices.SortFunc(syms, func(a, b entry) int {
		if c := cmp.Compare(a.addr, b.addr); c != 0 {
			return c
		}
		if am, bm := a.nlen == 0, b.nlen == 0; am != bm {
			if am {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.name, b.name)
	})

	out := syms[:0]
	n := 0
	for _, e := range syms {
		marker := e.nlen == 0
		if len(out) == 0 {
			if marker {
				continue // nothing to end
			}
		} else if last := out[len(out)-1]; last.addr == e.addr || marker && last.nlen == 0 {
			continue // a later alias, or a marker after a marker
		}
		if !marker {
			n++
		}
		out = append(out, e)
	}
	if len(out) < cap(out)*3/4 {
		out = slices.Clone(out)
	}

	var sb strings.Builder
	sb.Grow(int(p.namesBase) + len(p.names))
	for _, c := range p.nameChunks {
		sb.Write(c)
	}
	sb.Write(p.names)

	top, offs := buildIndex(out)
	return &Table{names: sb.String(), syms: out, top: top, offs: offs, modules: p.modules, n: n}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// parseHex parses 1 to 16 hex digits of either case.
func parseHex(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | uint64(d)
	}
	return v, true
}
