package main

// --counters and --explain (internal/countersmode), and the counters of
// the REPL and of --once: which of the kernel's drop and error counters
// grew (pkg/counters), printed by internal/report.

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dropwatch-go/dropwatch/internal/countersmode"
	"github.com/dropwatch-go/dropwatch/internal/repl"
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
	{Name: "counters", Set: func(o *options, _ string) error { o.ctr.counters = true; return nil }},
	{Name: "interval", HasArg: true, Set: setInterval, Values: "a duration such as 1s"},
	{Name: "all", Set: func(o *options, _ string) error {
		o.ctr.all = true
		o.ctr.given = append(o.ctr.given, "all")
		return nil
	}},
	{Name: "explain", HasArg: true, OptArg: true, Set: func(o *options, arg string) error {
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
	counters.Snapshotter
	Close() error
}

func openCounters() (counterReader, error) { return counters.New(counters.Config{}) }

// explainMain is --explain [NAME]: every explanation, or those of NAME.
func explainMain(stdout, stderr io.Writer, name string) int {
	if !countersmode.Explain(stdout, stderr, name) {
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
	co := countersmode.Options{Interval: o.ctr.interval, For: o.once, All: o.ctr.all, JSON: o.json, Loc: a.loc}
	sig, ok := countersmode.Run(r, co, a.sigs, a.stdout, a.stderr)
	switch {
	case !ok:
		return 1
	case sig != nil && !isInterrupt(sig):
		return int(repl.SignalExit(sig))
	}
	return 0
}

// sessionCounters opens the counters of a session (counters.Window), or
// returns nil when they cannot be read, so that the drop monitor works
// without them.
func (a *app) sessionCounters() counterReader {
	if a.newCounters == nil {
		return nil
	}
	r, err := a.newCounters()
	if err != nil {
		fmt.Fprintf(a.stderr, "dropwatch: counters: %v\n", err)
		return nil
	}
	return r
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
	var b strings.Builder
	if err := countersmode.Since(&b, s.ctr, all); err != nil {
		return err
	}
	s.out.Print(b.String())
	return nil
}

// explainCmd is the REPL's explain NAME.
func (s *session) explainCmd(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: explain NAME, a counter (UdpRcvbufErrors, softnet/dropped) or a drop reason (NO_SOCKET)")
	}
	var b strings.Builder
	if err := countersmode.ExplainOne(&b, args[0]); err != nil {
		return err
	}
	s.out.Print(b.String())
	return nil
}

// counterCommands are the REPL's counter commands, after the others.
var counterCommands = []command{
	{Name: "counters", Usage: "counters [all]", Help: "show the drop and error counters that grew since the last start (all: every counter)", Values: []string{"all"}, Run: (*session).countersCmd},
	{Name: "explain", Usage: "explain NAME", Help: "explain a counter or a drop reason, and its usual remedy", Run: (*session).explainCmd},
}
