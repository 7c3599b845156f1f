// Package countersmode runs dropwatch --counters and --explain, which read
// no drop alerts: which of the kernel's drop and error counters moved
// (pkg/counters), and what they mean, written in internal/report's formats
// to the writers it is given.
package countersmode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/dropwatch-go/dropwatch/internal/report"
	"github.com/dropwatch-go/dropwatch/pkg/counters"
)

// Options are those of --counters.
type Options struct {
	Interval time.Duration // between two readings; 1 s when 0
	For      time.Duration // --once: how long to run; 0 until a signal
	All      bool          // --all: every counter that moved, traffic ones too
	JSON     bool          // JSON lines instead of tables
	// Loc is the time zone of the intervals' times; time.Local when nil.
	Loc *time.Location
}

// Run prints what moved in each interval until o.For is up or a signal
// comes on sigs, then the totals over the whole run. The sources the first
// snapshot could not read are named on stderr, with a note when privileges
// were missing. It returns the signal that ended the run (nil if o.For
// did), and false when a snapshot or a write failed, which it said on
// stderr.
func Run(r counters.Snapshotter, o Options, sigs <-chan os.Signal, stdout, stderr io.Writer) (os.Signal, bool) {
	interval := o.Interval
	if interval == 0 {
		interval = time.Second
	}
	first, err := counters.Take(context.Background(), r)
	if err != nil {
		fmt.Fprintf(stderr, "dropwatch: counters: %v\n", err)
		return nil, false
	}
	for _, e := range first.Errors {
		fmt.Fprintf(stderr, "dropwatch: %v\n", e)
	}
	if note := report.PrivilegeNote(first.Errors); note != "" {
		fmt.Fprintln(stderr, "dropwatch: "+note)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	until := "Ctrl-C"
	if o.For > 0 {
		var cancelTimer context.CancelFunc
		ctx, cancelTimer = context.WithTimeout(ctx, o.For)
		defer cancelTimer()
		until = o.For.String() + " or Ctrl-C"
	}
	fmt.Fprintf(stderr, "dropwatch: counters every %v until %s\n", interval, until)
	// A signal ends the loop as o.For's time does.
	sigc := make(chan os.Signal, 1)
	go func() {
		select {
		case sig := <-sigs:
			sigc <- sig
			cancel()
		case <-ctx.Done():
		}
	}()
	loc := o.Loc
	if loc == nil {
		loc = time.Local
	}
	var werr error
	total, err := counters.Every(ctx, r, first, interval, func(d counters.Delta) error {
		if o.JSON {
			werr = report.WriteCountersJSON(stdout, d, o.All, false)
		} else {
			werr = report.WriteCounterInterval(stdout, d, o.All, loc)
		}
		return werr
	})
	switch {
	case werr == nil && err != nil:
		fmt.Fprintf(stderr, "dropwatch: counters: %v\n", err)
		return nil, false
	case werr == nil && o.JSON:
		werr = report.WriteCountersJSON(stdout, total, o.All, true)
	case werr == nil:
		werr = report.WriteCounterTotals(stdout, total, o.All)
	}
	if werr != nil {
		fmt.Fprintf(stderr, "dropwatch: writing output: %v\n", werr)
		return nil, false
	}
	select {
	case sig := <-sigc:
		return sig, true
	default:
		return nil, true
	}
}

// Explain writes every explanation, or those of name (a counter or a drop
// reason). It returns false when there is none, which it said on stderr,
// or when stdout failed.
func Explain(stdout, stderr io.Writer, name string) bool {
	entries := counters.Entries()
	if name != "" {
		if entries = counters.Explain(name); len(entries) == 0 {
			fmt.Fprintf(stderr, "dropwatch: no explanation of %q: give a counter (UdpRcvbufErrors, softnet/dropped) or a drop reason (NO_SOCKET); dropwatch --explain lists them all\n", name)
			return false
		}
	}
	return report.WriteExplain(stdout, entries) == nil
}

// Since writes the counters that grew in win since its baseline (all:
// every counter that moved), as the REPL's counters command shows them,
// with a note when privileges were missing. A nil win, or one without a
// baseline, is an error that says the counters cannot be read.
func Since(w io.Writer, win *counters.Window, all bool) error {
	d, err := win.Since(context.Background())
	switch {
	case errors.Is(err, counters.ErrNoBaseline):
		return errors.New("the counters cannot be read here")
	case err != nil:
		return err
	}
	var b strings.Builder
	report.WriteCounterTotals(&b, d, all)
	if note := report.PrivilegeNote(d.Errors); note != "" {
		b.WriteString(note + "\n")
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// ExplainOne writes the explanations of name, a counter or a drop reason;
// none is an error.
func ExplainOne(w io.Writer, name string) error {
	entries := counters.Explain(name)
	if len(entries) == 0 {
		return fmt.Errorf("no explanation of %q", name)
	}
	return report.WriteExplain(w, entries)
}

// WriteGrew writes, after the top table of rows, the section of the
// counters that grew during the same monitoring: the last window of win
// (report.WriteCountersGrew), or nothing without one.
func WriteGrew(w io.Writer, win *counters.Window, rows []report.Row) error {
	if d := win.Last(); d != nil {
		return report.WriteCountersGrew(w, *d, rows)
	}
	return nil
}
