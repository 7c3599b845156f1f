package main

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/dropwatch-go/dropwatch/pkg/kallsyms"
)

// resolver turns a summary alert's drop location into a symbol: a
// *lazySymbols, which loads a *kallsyms.Table once (the C tool rescans
// /proc/kallsyms for every location it has not seen before).
type resolver interface {
	Lookup(pc uint64) (kallsyms.Symbol, bool)
}

// lazySymbols is a symbol table loaded in the background from startup on.
// Parsing the 120,000 lines of /proc/kallsyms takes about 25 ms on bare
// metal and 2 s under emulation, which the C tool does not spend before
// monitoring starts: it reads the file at its first lookup. Only the
// first Lookup waits for the load. A table that cannot be used is
// reported then, once, and leaves raw addresses, as the C tool prints when
// its lookups fail. NET_DM's packet alerts carry the kernel's own symbol
// text, so without --stack packet mode never waits.
type lazySymbols struct {
	table func() resolver
}

// loadLazily starts load in a goroutine; report receives its error at the
// first Lookup.
func loadLazily(load func() (resolver, error), report func(error)) *lazySymbols {
	type result struct {
		r   resolver
		err error
	}
	loaded := make(chan result, 1)
	go func() {
		r, err := load()
		loaded <- result{r, err}
	}()
	return &lazySymbols{table: sync.OnceValue(func() resolver {
		res := <-loaded
		if res.err != nil {
			report(res.err)
			return nil
		}
		return res.r
	})}
}

func (l *lazySymbols) Lookup(pc uint64) (kallsyms.Symbol, bool) {
	t := l.table()
	if t == nil {
		return kallsyms.Symbol{}, false
	}
	return t.Lookup(pc)
}

// resolve returns the name and offset the summary line prints. As the C
// tool does, it drops the [module] tag, so that the line keeps its shape.
func resolve(r resolver, pc uint64) (name string, off uint64, ok bool) {
	if r == nil {
		return "", 0, false
	}
	sym, ok := r.Lookup(pc)
	if !ok {
		return "", 0, false
	}
	return sym.DisplayName(), sym.Offset, true
}

// symbolText stands in for the kernel's "%pS" text of a packet alert's
// location: "name+0xoff", with " [module]" for a module, or the address.
func symbolText(r resolver, pc uint64) string {
	if r != nil {
		if sym, ok := r.Lookup(pc); ok {
			return sym.String()
		}
	}
	return pointer(pc)
}

// loadKallsyms reads path, or /proc/kallsyms when path is empty.
func loadKallsyms(path string) (resolver, error) {
	if path == "" {
		path = kallsyms.DefaultPath
	}
	t, err := kallsyms.LoadFile(path)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// symbolsUnusable explains on stderr why the kallsyms method fell back to
// raw addresses.
func symbolsUnusable(path string, err error) string {
	if path == "" {
		path = kallsyms.DefaultPath
	}
	if errors.Is(err, kallsyms.ErrRestricted) {
		return fmt.Sprintf("dropwatch: every address in %s is zero (kernel.kptr_restrict, or not running as root), so drop locations are printed as raw addresses; run as root or set sysctl kernel.kptr_restrict=0", path)
	}
	return fmt.Sprintf("dropwatch: cannot use %s (%v), so drop locations are printed as raw addresses", path, err)
}

// stackText renders a drop's kernel call chain (--stack), innermost frame
// first, as perf script prints one: a tab, the address, then the symbol
// with its offset, or [unknown] as perf says when kallsyms has none.
func stackText(r resolver, stack []uint64) string {
	var b strings.Builder
	for _, pc := range stack {
		fmt.Fprintf(&b, "\t%016x %s\n", pc, frameName(r, pc))
	}
	return b.String()
}

// frameName is a stack frame's symbol and offset, or [unknown].
func frameName(r resolver, pc uint64) string {
	if r != nil {
		if sym, ok := r.Lookup(pc); ok {
			return sym.String()
		}
	}
	return "[unknown]"
}
