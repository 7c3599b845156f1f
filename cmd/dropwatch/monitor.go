package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/dropwatch-go/dropwatch/internal/repl"
	"github.com/dropwatch-go/dropwatch/internal/report"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
)

func isInterrupt(sig os.Signal) bool { return sig == os.Interrupt }

// start is the "start" command: listen, START, print alerts until Ctrl-C,
// the alert limit, SIGTERM or SIGHUP, then STOP.
func (s *session) start(args []string) error {
	if err := repl.NoArgs("start", args); err != nil {
		return err
	}
	_, err := s.monitor()
	return err
}

// monitor starts monitoring (or, under --passive, only listens), prints
// alerts until it has to end, and stops. ran is false if monitoring could
// not start.
func (s *session) monitor() (ran bool, err error) {
	if !s.passive {
		s.say(msgEnabling)
	}
	// The counters' baseline comes before START, so that drops made as
	// soon as monitoring is said to run are in the window.
	_ = s.ctr.Start(context.Background())
	w, err := s.eng.Watch(drops.WatchOptions{Source: s.source(), For: s.onceFor, Stop: s.sigs})
	var se *drops.StartError
	switch {
	case errors.As(err, &se) && s.passive:
		s.warn("dropwatch: cannot listen for drop alerts: %s\n", report.Strerror(se.Err))
		s.hint("listen", se.Err)
		return false, nil
	case errors.As(err, &se):
		s.printf(fmtStartFailed, report.Strerror(se.Err))
		s.hint(se.Op, se.Err)
		return false, nil
	case s.passive:
		s.say(msgListening)
		s.say(msgIssueCtrlCListen)
	default:
		s.say(msgActivated)
		s.say(msgIssueCtrlC)
	}
	err = s.watch(w)
	_ = s.ctr.Stop(context.Background())
	return true, err
}

// watch prints the alerts of one monitoring session, from START to STOP,
// and its losses.
func (s *session) watch(w *drops.Watch) error {
	defer w.Close()
	s.table.Reset()
	s.notes.Groups.Reset()
	s.began = time.Now()
	p := s.printer()
	end, err := w.Run(p)
	if end == drops.EndReceive && err != nil {
		s.warn(fmtReceiveFailed, report.Strerror(err))
	}
	limit := end == drops.EndHandler && errors.Is(err, report.ErrLimit)
	if limit {
		s.say(msgLimitReached)
		if !s.passive {
			s.say(msgDeactivating)
		}
	}
	if s.passive {
		// Monitoring is another tool's: nothing to drain, nothing to stop.
		s.say(msgStoppedListening)
	} else if err := w.Stop(p); err != nil {
		s.stopFailed(err)
	} else {
		s.say(msgGotStop)
	}
	s.lastLosses = p.Losses(w.Losses())
	if !s.once {
		fmt.Fprintln(s.stderr, "dropwatch: "+s.lastLosses.String())
	}
	var exit os.Signal
	for _, sig := range w.Signals() {
		if !isInterrupt(sig) {
			exit = sig
		}
	}
	switch {
	case s.outputFailed() != nil:
		fmt.Fprintf(s.stderr, "dropwatch: writing output: %v\n", s.outputFailed())
		return repl.ExitCode(1)
	case p.PcapFailed():
		return repl.ExitCode(1)
	case exit != nil:
		return repl.SignalExit(exit)
	}
	return nil
}

// printer is the handler of one monitoring session's records.
func (s *session) printer() *report.Printer {
	return &report.Printer{
		Filter: s.filter, Table: s.table, Notes: &s.notes,
		JSON: s.json, Quiet: s.quietAlerts, Flows: s.showFlows, Loc: s.loc, Limit: s.alertLimit,
		Pcap: s.pcap, PcapName: s.pcapName,
		Write: s.alerts.Write, Failed: s.outputFailed, Errs: s.stderr,
	}
}
