package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/chzyer/readline"

	"github.com/dropwatch-go/dropwatch/internal/repl"
	"github.com/dropwatch-go/dropwatch/internal/report"
	"github.com/dropwatch-go/dropwatch/pkg/counters"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
)

// app is dropwatch with everything it takes from the outside world, so that
// tests can run it against fakes.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	terminal       bool // stdin is a terminal: read commands with readline
	sigs           <-chan os.Signal
	backends       drops.Backends
	fetchFamily    func(ctx context.Context) ([]byte, error) // -w's first record
	// loadSymbols opens a kallsyms file at once, so that a path that
	// cannot be opened is reported at startup.
	loadSymbols  func(path string) (drops.SymbolFile, error)
	clock        drops.Clock
	loc          *time.Location
	timing       drops.Timing
	tuneReadline func(*readline.Config)        // tests turn raw mode off
	newCounters  func() (counterReader, error) // nil: no counters section (tests of the C output)
}

// main runs dropwatch and returns its exit status.
func (a *app) main(args []string) int {
	opts, err := parseArgs(args)
	var ume unknownMethodError
	switch {
	case errors.As(err, &ume):
		fmt.Fprint(a.stdout, ume.Error())
		return 1
	case err != nil:
		fmt.Fprintln(a.stderr, err)
		return 2
	case opts.help:
		fmt.Fprint(a.stdout, usageText)
		return 0
	case opts.version:
		fmt.Fprint(a.stdout, versionText())
		return 0
	case opts.list:
		fmt.Fprint(a.stdout, lookupMethodsList)
		return 0
	case opts.completion != "":
		return printCompletion(a.stdout, opts.completion)
	case opts.ctr.explain:
		return explainMain(a.stdout, a.stderr, opts.ctr.explainName)
	case opts.ctr.counters:
		return a.countersMain(opts)
	}

	// The file is read when monitoring needs it (pkg/drops/symbols.go).
	var syms *drops.Symbols
	if opts.lookup == lookupKas {
		// A mistyped --kallsyms or an unreadable file is said at once.
		warnSymbols := func(err error) { fmt.Fprintln(a.stderr, report.SymbolsUnusable(opts.kallsyms, err)) }
		syms = drops.LoadSymbols(opts.kallsyms, a.loadSymbols, warnSymbols)
	}

	// As in the C tool, the kernel side comes first, then the lookup.
	eo := drops.Options{
		Backend: opts.backend, Stacks: opts.stack, KeepRaw: opts.write != "",
		Force: opts.force, Passive: opts.passive,
		Backends: a.backends, Timing: a.timing, Clock: a.clock,
	}
	if syms != nil {
		eo.Symbols = syms
	}
	eng, code := selectBackend(eo, a.stdout, a.stderr)
	if eng == nil {
		return code
	}
	defer eng.Close()
	tracepoint := eng.Backend() == backendTracepoint
	if opts.stack && !tracepoint {
		fmt.Fprintln(a.stderr, noteStackNeedsTracepoint)
	}
	if opts.write != "" && tracepoint {
		fmt.Fprintln(a.stderr, "dropwatch: -w writes NET_DM messages, and the skb:kfree_skb tracepoint backend, which runs here, has none")
		return 2
	}

	if tracepoint && (len(opts.filter.Reasons) > 0 || len(opts.filter.Protos) > 0) {
		// The tracepoint filters reasons and protocols in the kernel too;
		// the user-space filter stays, and counts nothing as filtered out
		// then.
		eng.FilterInKernel(opts.filter.Reasons, opts.filter.Protos)
	}
	if opts.filter.Expr != nil && tracepoint {
		fmt.Fprintln(a.stderr, "dropwatch: the pcap filters read packet payloads, and the skb:kfree_skb tracepoint backend, which runs here, has none")
		return 2
	}
	out := report.NewOutput(a.stdout)
	// Under --once the C tool's status lines go to standard error, and
	// standard output carries only alerts and the table.
	status := out
	if opts.once > 0 {
		status = report.NewOutput(a.stderr)
	}
	s := &session{
		eng: eng, cmds: commands, out: status, stderr: a.stderr, sigs: a.sigs,
		loc: a.loc, passive: opts.passive, terminal: a.terminal, tracepoint: tracepoint,
	}
	s.alerts, s.table, s.json = out, report.NewTable(), opts.json
	if r := a.sessionCounters(); r != nil {
		defer r.Close()
		s.ctr = counters.NewWindow(r)
	}
	if !opts.filter.Empty() {
		s.filter = &opts.filter
	}
	s.topBy, s.showFlows, s.notes.Flows.Links = opts.topBy, opts.flows, &report.LinkTypes{}
	// Flows are decoded for JSON and --flows; drops are grouped for
	// --top-by, and in the REPL, whose top --by may ask for any grouping.
	s.notes.Decode, s.notes.Group = opts.json || opts.flows, opts.once == 0 || opts.topBy != report.BySite
	if syms == nil {
		s.say(msgNullLookup)
	} else {
		s.say(msgKallsymsLookup)
	}
	// A panic must not leave the kernel monitoring for nobody.
	defer func() {
		if p := recover(); p != nil {
			s.cleanup()
			panic(p)
		}
	}()
	if opts.once > 0 {
		defer s.cleanup()
		return a.once(s, opts)
	}
	// The REPL's counters command counts from here until the first start.
	_ = s.ctr.Start(context.Background())
	in, err := a.lineReader(out)
	if err != nil {
		fmt.Fprintf(a.stderr, "dropwatch: %v\n", err)
		return 1
	}
	defer in.Close()
	return s.repl(in)
}

func (a *app) lineReader(out *report.Output) (repl.Reader, error) {
	if !a.terminal {
		return repl.NewPipe(a.stdin, prompt, out.Print), nil
	}
	return repl.NewTTY(prompt, repl.Completer(commands), a.stdin, a.stdout, a.stderr, a.tuneReadline)
}
