package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/dropwatch-go/dropwatch/internal/report"
	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
	"github.com/dropwatch-go/dropwatch/pkg/flow"
)

// exitCode ends the REPL with an exit status.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// signalExit is the exit status of a shell whose child a signal killed,
// which is what scripts saw when the C tool was killed.
func signalExit(sig os.Signal) exitCode {
	if n, ok := sig.(syscall.Signal); ok {
		return exitCode(128 + int(n))
	}
	return 1
}

func isInterrupt(sig os.Signal) bool { return sig == os.Interrupt }

// start is the "start" command: listen, START, print alerts until Ctrl-C,
// the alert limit, SIGTERM or SIGHUP, then STOP.
func (s *session) start(args []string) error {
	if err := noArgs("start", args); err != nil {
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
	s.counterBegin()
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
	s.counterEnd()
	return true, err
}

// errLimit ends monitoring at the alert limit: STOP at once, no drain.
var errLimit = errors.New("alert limit reached")

// errPcap ends monitoring when writing the -w file failed.
var errPcap = errors.New("writing the pcap failed")

// watch prints the alerts of one monitoring session, from START to STOP,
// and its losses.
func (s *session) watch(w *drops.Watch) error {
	defer w.Close()
	s.table.Reset()
	s.notes.Groups.Reset()
	s.began = time.Now()
	p := &printer{s: s}
	p.json = report.NewJSONWriter(&p.text)
	end, err := w.Run(p)
	if end == drops.EndReceive && err != nil {
		s.warn(fmtReceiveFailed, report.Strerror(err))
	}
	limit := end == drops.EndHandler && errors.Is(err, errLimit)
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
	l := w.Losses()
	s.lastLosses = report.Losses{
		KernelTailDrops: l.KernelTailDrops, SocketOverruns: l.SocketOverruns, SocketDrops: l.SocketDrops,
		FullSummaries: l.FullSummaries, Malformed: l.Malformed, TracepointLost: l.TracepointLost,
		Filtered: p.filtered,
	}
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
		return exitCode(1)
	case s.pcapFailed:
		return exitCode(1)
	case exit != nil:
		return signalExit(exit)
	}
	return nil
}

// maxText bounds the text the printer gathers before it writes.
const maxText = 64 << 10

// printer prints the records of one monitoring session on the alert
// stream: in the C tool's formats, or as JSON lines (--json), or not at all
// when a pcap owns standard output (-w -). It counts them toward the alert
// limit, adds them to the table and writes their messages to the pcap.
type printer struct {
	s *session
	// text is what the printer has yet to write on the alert stream; json
	// writes there (--json).
	text  bytes.Buffer
	json  *report.JSONWriter
	count uint64 // alerts printed since START: the limit counts per start
	// filtered counts the alerts the filter left out.
	filtered uint64
	// The records of a message being printed: their packet alert as
	// printed, location and whether the filter keeps them.
	pkts  []*dropmon.PacketAlert
	where []report.Location
	kept  []bool
}

// Take prints a batch into p.text. When the limit is reached in the middle
// of a message, the rest of that message is still printed, as the C tool
// does; later messages are not.
func (p *printer) Take(b *drops.Batch) error {
	s := p.s
	if len(b.Errs) > 0 {
		// What stderr says comes after the alerts before it.
		if err := p.Flush(); err != nil {
			return err
		}
		for _, err := range b.Errs {
			fmt.Fprintf(s.stderr, "dropwatch: ignoring a message: %v\n", err)
		}
	}
	for _, m := range b.Messages {
		recs := b.Records[m.First:m.End]
		p.pkts, p.where, p.kept = p.pkts[:0], p.where[:0], p.kept[:0]
		anyKept := false
		for i := range recs {
			var pkt *dropmon.PacketAlert
			if recs[i].Packet != nil {
				pkt = report.RecordPacket(&recs[i])
			}
			where := report.RecordLocation(&recs[i])
			k := s.filter.Keep(pkt, where)
			p.pkts, p.where, p.kept = append(p.pkts, pkt), append(p.where, where), append(p.kept, k)
			if !k {
				p.filtered++
			}
			anyKept = anyKept || k
		}
		if anyKept && m.Raw != nil && s.pcap != nil {
			if err := s.pcap.WriteDatagram(m.Raw); err != nil {
				s.warn("dropwatch: writing %s: %v\n", s.pcapName, err)
				s.pcapFailed = true
				return errPcap
			}
		}
		limited := false
		for i := range recs {
			if !p.kept[i] {
				continue
			}
			r := &recs[i]
			s.table.Add(p.where[i], r.Reason, r.Proto, r.HasProto, r.Count)
			fl, task := s.notes.Add(r, p.pkts[i])
			p.print(r, p.pkts[i], p.where[i], fl, task)
			p.count++
			limited = limited || p.count == s.alertLimit
		}
		clear(p.pkts)
		if limited {
			return errLimit
		}
	}
	if p.text.Len() >= maxText {
		return p.Flush()
	}
	return nil
}

// print appends a record to the text printed on the alert stream: its
// C-format text, or its JSON line (--json), or nothing when a pcap owns
// standard output (-w -).
func (p *printer) print(r *drops.Record, pkt *dropmon.PacketAlert, where report.Location, fl *flow.Flow, task *report.Task) {
	switch {
	case p.s.json && pkt != nil:
		var stack []string
		for _, f := range r.Stack {
			stack = append(stack, report.FrameName(f))
		}
		p.json.Packet(pkt, where, stack, fl, task)
	case p.s.json:
		p.json.Summary(r.Time, where, r.Count, r.Reason)
	case !p.s.quietAlerts:
		b := report.AppendRecord(p.text.AvailableBuffer(), r, pkt, p.s.loc)
		if p.s.showFlows && pkt != nil && fl != nil {
			b = append(report.AppendFlowLine(b[:len(b)-1], fl), '\n') // before the empty line
		}
		if p.s.showFlows && pkt != nil && task != nil {
			b = append(report.AppendTaskLine(b[:len(b)-1], task), '\n')
		}
		p.text.Write(b)
	}
}

// Flush writes what Take gathered, and fails if the alert or the status
// stream failed.
func (p *printer) Flush() error {
	if p.text.Len() > 0 {
		p.s.alerts.write(p.text.Bytes())
		p.text.Reset()
	}
	return p.s.outputFailed()
}
