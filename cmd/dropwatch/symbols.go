package main

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/dropwatch-go/dropwatch/pkg/kallsyms"
)

// resolver turns a summary alert's drop location into a symbol: a
// *lazySymbols, which loads a *kallsyms.Table once (the C tool rescans
// /proc/kallsyms for every location it has not seen before).
type resolver interface {
	Lookup(pc uint64) (kallsyms.Symbol, bool)
}

// lazySymbols is a symbol table loaded when it is first needed. Parsing
// the 120,000 lines of /proc/kallsyms takes about 25 ms on bare metal and
// 2 s of CPU under emulation, most of it the kernel formatting the file.
// NET_DM's packet alerts carry the kernel's own symbol text, so packet
// mode never needs the table (the C tool does not read the file then
// either), and loading it at startup cost a packet-mode session those
// 2 s and slowed its start (docs/benchmarks.md). A session that will look
// addresses up (summary mode, the tracepoint, --stack) starts the load in
// the background once monitoring is on, with prefetch; otherwise the
// first Lookup loads it. A table that cannot be used is reported then,
// once, and leaves raw addresses, as the C tool prints when its lookups
// fail.
type lazySymbols struct {
	prefetch func()
	table    func() resolver
}

// loadLazily returns a lazySymbols that runs load, in a goroutine, at its
// first prefetch or Lookup; report receives load's error at the first
// Lookup. A nil resolver without an error (a file that could not be
// opened, already reported) leaves raw addresses silently.
func loadLazily(load func() (resolver, error), report func(error)) *lazySymbols {
	type result struct {
		r   resolver
		err error
	}
	loaded := make(chan result, 1)
	prefetch := sync.OnceFunc(func() {
		go func() {
			r, err := load()
			loaded <- result{r, err}
		}()
	})
	return &lazySymbols{prefetch: prefetch, table: sync.OnceValue(func() resolver {
		prefetch()
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

// lookupSymbol looks pc up in r, which may be nil.
func lookupSymbol(r resolver, pc uint64) (kallsyms.Symbol, bool) {
	if r == nil {
		return kallsyms.Symbol{}, false
	}
	return r.Lookup(pc)
}

// symbolLoader opens a kallsyms file at once, so that a path that cannot be
// opened is reported at startup, and returns the parse, which loadLazily
// runs in the background.
type symbolLoader func(path string) (parse func() (resolver, error), err error)

// openKallsyms opens path, or /proc/kallsyms when path is empty.
func openKallsyms(path string) (func() (resolver, error), error) {
	if path == "" {
		path = kallsyms.DefaultPath
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return func() (resolver, error) {
		defer f.Close()
		t, err := kallsyms.Parse(f)
		if err != nil {
			return nil, err
		}
		return t, nil
	}, nil
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

// appendStack appends a drop's kernel call chain (--stack), innermost
// frame first, as perf script prints one: a tab, the address in 16 hex
// digits, then the symbol with its offset, or [unknown] as perf says when
// kallsyms has none.
func appendStack(b []byte, r resolver, stack []uint64) []byte {
	for _, pc := range stack {
		b = append(b, '\t')
		b = appendPadded(b, pc, 16, 16)
		b = append(b, ' ')
		b = append(b, frameName(r, pc)...)
		b = append(b, '\n')
	}
	return b
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
