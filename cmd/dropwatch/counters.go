package main

// --counters, --explain and the counters of the REPL and of --once: which
// of the kernel's drop and error counters grew (pkg/counters), printed by
// internal/report.

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dropwatch-go/dropwatch/internal/report"
	"github.com/dropwatch-go/dropwatch/pkg/counters"
)

// counterOptions are the options of --counters and --explain.
type counterOptions struct {
	counters    bool          // --counters
	interval    time.Duration // --interval, 1 s by default
	all         bool          // --all: every counter that moved
	explain     bool          // --explain [NAME]
	explainName string
	given       []string // --interval and --all, which need --counters
}

// counterFlags are the rows of longOptions for counters.
var counterFlags = []longOption{
	{name: "counters", set: func(o *options, _ string) error { o.ctr.counters = true; return nil }},
	{name: "interval", hasArg: true, set: setInterval, values: "a duration such as 1s"},
	{name: "all", set: func(o *options, _ string) error {
		o.ctr.all = true
		o.ctr.given = append(o.ctr.given, "all")
		return nil
	}},
	{name: "explain", hasArg: true, optArg: true, set: func(o *options, arg string) error {
		o.ctr.explain, o.ctr.explainName = true, arg
		return nil
	}},
}

func setInterval(o *options, arg string) error {
	d, err := time.ParseDuration(arg)
	if err != nil || d < 10*time.Millisecond {
		return usageErrorf("invalid --interval '%s': want a Go duration of 10ms or more (1s, 500ms)", arg)
	}
	o.ctr.interval = d
	o.ctr.given = append(o.ctr.given, "interval")
	return nil
}

// checkCounters refuses the options that --counters and --explain cannot
// take, and --interval and --all without --counters.
func (o options) checkCounters() error {
	c := &o.ctr
	if !c.counters && !c.explain {
		if len(c.given) > 0 {
			return usageErrorf("--%s needs --counters", c.given[0])
		}
		return nil
	}
	mode := "--counters"
	if c.explain {
		mode = "--explain"
	}
	for _, f := range o.onceOnly {
		if f != "json" || c.explain {
			return usageErrorf("--%s cannot go with %s", f, mode)
		}
	}
	if c.explain && (c.counters || o.once > 0) {
		return usageErrorf("--explain prints explanations and exits: it cannot go with --counters or --once")
	}
	if o.passive || o.force || o.stack || o.backend != backendAuto {
		return usageErrorf("%s reads no drop alerts: --backend, --force, --passive and --stack cannot go with it", mode)
	}
	return nil
}

// counterReader is what takes counter snapshots: a *counters.Reader, or a
// test's fake.
type counterReader interface {
	Snapshot(ctx context.Context) (*counters.Snapshot, error)
	Close() error
}

func openCounters() (counterReader, error) { return counters.New(counters.Config{}) }

// counterSnapshotTimeout bounds one snapshot of every source; each netlink
// request within it has the Reader's own deadline (5 s).
const counterSnapshotTimeout = 15 * time.Second

func snapshot(r counterReader) (*counters.Snapshot, error) {
	ctx, cancel := context.WithTimeout(context.Background(), counterSnapshotTimeout)
	defer cancel()
	return r.Snapshot(ctx)
}

// explainMain is --explain [NAME]: every explanation, or those of NAME.
func explainMain(stdout, stderr io.Writer, name string) int {
	entries := counters.Entries()
	if name != "" {
		if entries = counters.Explain(name); len(entries) == 0 {
			fmt.Fprintf(stderr, "dropwatch: no explanation of %q: give a counter (UdpRcvbufErrors, softnet/dropped) or a drop reason (NO_SOCKET); dropwatch --explain lists them all\n", name)
			return 1
		}
	}
	if report.WriteExplain(stdout, entries) != nil {
		return 1
	}
	return 0
}

// countersMain is --counters: what moved in each interval, until --once's
// time is up or a signal, then the totals over the whole window.
func (a *app) countersMain(o options) int {
	open := a.newCounters
	if open == nil {
		open = openCounters
	}
	r, err := open()
	if err != nil {
		fmt.Fprintf(a.stderr, "dropwatch: counters: %v\n", err)
		return 1
	}
	defer r.Close()
	interval := o.ctr.interval
	if interval == 0 {
		interval = time.Second
	}
	first, err := snapshot(r)
	if err != nil {
		fmt.Fprintf(a.stderr, "dropwatch: counters: %v\n", err)
		return 1
	}
	for _, e := range first.Errors {
		fmt.Fprintf(a.stderr, "dropwatch: %v\n", e)
	}
	if note := report.PrivilegeNote(first.Errors); note != "" {
		fmt.Fprintln(a.stderr, "dropwatch: "+note)
	}
	until := "Ctrl-C"
	var end <-chan time.Time
	if o.once > 0 {
		t := time.NewTimer(o.once)
		defer t.Stop()
		end, until = t.C, o.once.String()+" or Ctrl-C"
	}
	fmt.Fprintf(a.stderr, "dropwatch: counters every %v until %s\n", interval, until)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	loc := a.loc
	if loc == nil {
		loc = time.Local
	}
	write := func(prev, cur *counters.Snapshot, total bool) error {
		d := counters.Diff(prev, cur)
		switch {
		case o.json:
			return report.WriteCountersJSON(a.stdout, d, o.ctr.all, total)
		case total:
			return report.WriteCounterTotals(a.stdout, d, o.ctr.all)
		}
		return report.WriteCounterInterval(a.stdout, d, o.ctr.all, loc)
	}
	prev, code := first, 0
	for done := false; !done; {
		select {
		case <-tick.C:
		case <-end:
			done = true
		case sig := <-a.sigs:
			done = true
			if !isInterrupt(sig) {
				code = int(signalExit(sig))
			}
		}
		cur, err := snapshot(r)
		if err != nil {
			fmt.Fprintf(a.stderr, "dropwatch: counters: %v\n", err)
			return 1
		}
		if err := write(prev, cur, false); err != nil {
			fmt.Fprintf(a.stderr, "dropwatch: writing output: %v\n", err)
			return 1
		}
		prev = cur
	}
	if err := write(first, prev, true); err != nil {
		fmt.Fprintf(a.stderr, "dropwatch: writing output: %v\n", err)
		return 1
	}
	return code
}

// counterWatch keeps the counters of a session: the snapshot taken when
// the last monitoring began (or the REPL did), and what grew during the
// last monitoring.
type counterWatch struct {
	r      counterReader
	base   *counters.Snapshot
	window *counters.Delta
}

// newCounterWatch opens the counters of a session, or returns nil when
// they cannot be read, so that the drop monitor works without them.
func (a *app) newCounterWatch() *counterWatch {
	if a.newCounters == nil {
		return nil
	}
	r, err := a.newCounters()
	if err != nil {
		fmt.Fprintf(a.stderr, "dropwatch: counters: %v\n", err)
		return nil
	}
	return &counterWatch{r: r}
}

// counterBegin takes the baseline of a monitoring, before START, so that
// drops made as soon as monitoring is said to run are in the window.
func (s *session) counterBegin() {
	if s.ctr == nil {
		return
	}
	s.ctr.window = nil
	if b, err := snapshot(s.ctr.r); err == nil {
		s.ctr.base = b
	}
}

// counterEnd computes what grew during the monitoring that just stopped.
func (s *session) counterEnd() {
	if s.ctr == nil || s.ctr.base == nil {
		return
	}
	if cur, err := snapshot(s.ctr.r); err == nil {
		d := counters.Diff(s.ctr.base, cur)
		s.ctr.window = &d
	}
}

// writeCounterSection writes, after the top table, the counters that grew
// during the same monitoring.
func (s *session) writeCounterSection(w io.Writer) error {
	if s.ctr == nil || s.ctr.window == nil {
		return nil
	}
	return report.WriteCountersGrew(w, *s.ctr.window, s.table.Rows())
}

// countersCmd is the REPL's counters: what moved since the last start, or
// since the REPL began.
func (s *session) countersCmd(args []string) error {
	all := false
	switch {
	case len(args) == 1 && args[0] == "all":
		all = true
	case len(args) > 0:
		return fmt.Errorf("usage: counters [all]")
	}
	if s.ctr == nil || s.ctr.base == nil {
		return fmt.Errorf("the counters cannot be read here")
	}
	cur, err := snapshot(s.ctr.r)
	if err != nil {
		return err
	}
	var b strings.Builder
	d := counters.Diff(s.ctr.base, cur)
	report.WriteCounterTotals(&b, d, all)
	if note := report.PrivilegeNote(d.Errors); note != "" {
		b.WriteString(note + "\n")
	}
	s.out.Print(b.String())
	return nil
}

// explainCmd is the REPL's explain NAME.
func (s *session) explainCmd(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: explain NAME, a counter (UdpRcvbufErrors, softnet/dropped) or a drop reason (NO_SOCKET)")
	}
	entries := counters.Explain(args[0])
	if len(entries) == 0 {
		return fmt.Errorf("no explanation of %q", args[0])
	}
	var b strings.Builder
	report.WriteExplain(&b, entries)
	s.out.Print(b.String())
	return nil
}

// counterCommands are the REPL's counter commands, after the others.
var counterCommands = []command{
	{Name: "counters", Usage: "counters [all]", Help: "show the drop and error counters that grew since the last start (all: every counter)", Values: []string{"all"}, Run: (*session).countersCmd},
	{Name: "explain", Usage: "explain NAME", Help: "explain a counter or a drop reason, and its usual remedy", Run: (*session).explainCmd},
}

// closeCounters closes a session's counter reader.
func (s *session) closeCounters() {
	if s.ctr != nil {
		s.ctr.r.Close()
	}
}
