package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dropwatch-go/dropwatch/internal/countersmode"
	"github.com/dropwatch-go/dropwatch/internal/repl"
	"github.com/dropwatch-go/dropwatch/internal/report"
	"github.com/dropwatch-go/dropwatch/pkg/counters"
	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
	"github.com/dropwatch-go/dropwatch/pkg/nlpcap"
)

// outputFailed is the first write error of the status or alert stream.
func (s *session) outputFailed() error {
	if err := s.out.Failed(); err != nil {
		return err
	}
	return s.alerts.Failed()
}

// session is the state of the REPL: the settings of the C tool's globals,
// and the engine, which knows the kernel's mode and whether this process
// left the kernel monitoring.
type session struct {
	eng    *drops.Engine
	out    *report.Output
	stderr io.Writer
	sigs   <-chan os.Signal
	loc    *time.Location
	// passive (--passive): start only listens; no CONFIG, START or STOP
	// unless the user types stop.
	passive bool
	cmds    []command // the command table (a field, to break an initialization cycle)
	// terminal: commands come from a terminal, through readline.
	terminal bool
	// tracepoint: the backend is skb:kfree_skb, not NET_DM.
	tracepoint bool

	alertLimit uint64
	sw, hw     bool

	// alerts is where alerts go: standard output, as out, except under
	// --once, where out (the C tool's status lines) is standard error.
	alerts *report.Output
	// table aggregates the alerts since the last start (top).
	table  *report.Table
	filter *report.Filter
	// notes decodes flows and counts the drops by flow, reason,
	// interface and comm (top --by); topBy is --top-by, showFlows --flows.
	notes     report.Annotator
	topBy     report.Group
	showFlows bool
	// json: alerts are JSON lines (--json); quietAlerts: they are not
	// printed at all (-w -, where the pcap owns standard output).
	json, quietAlerts bool
	pcap              *nlpcap.Writer
	pcapName          string
	// once: --once, which prints the table and the losses itself;
	// onceFor is its duration.
	once    bool
	onceFor time.Duration
	// began is when the last monitoring began.
	began time.Time
	// configFailed: the last CONFIG request failed.
	configFailed bool
	// lastLosses are the losses of the last monitoring session.
	lastLosses report.Losses
	// ctr: the counters that grew during the last monitoring; nil when
	// they cannot be read.
	ctr *counters.Window
}

func (s *session) say(line string) { s.out.Print(line + "\n") }

func (s *session) printf(format string, args ...any) { s.out.Print(fmt.Sprintf(format, args...)) }

func (s *session) warn(format string, args ...any) { fmt.Fprintf(s.stderr, format, args...) }

// hint prints dropwatch's explanation of a failure, if it has one.
func (s *session) hint(op string, err error) {
	h := report.Hint(op, err, s.hw)
	if op == "start" && s.eng.Started() && errors.Is(err, dropmon.ErrAlreadyMonitoring) {
		h = "dropwatch: the kernel still monitors for this dropwatch, whose STOP failed: type stop."
	}
	if h != "" {
		fmt.Fprintln(s.stderr, h)
	}
}

// source is what START and STOP carry: like the C tool, a flag only for
// what was set true, so that with neither the kernel monitors software
// drops.
func (s *session) source() dropmon.Source {
	var src dropmon.Source
	if s.sw {
		src |= dropmon.SourceSoftware
	}
	if s.hw {
		src |= dropmon.SourceHardware
	}
	return src
}

func (s *session) exit(args []string) error {
	if err := repl.NoArgs("exit", args); err != nil {
		return err
	}
	return errExit
}

func (s *session) help(args []string) error {
	var b strings.Builder
	switch len(args) {
	case 0:
		repl.WriteHelp(&b, helpFormat, s.cmds)
	case 1:
		c, ok := repl.Lookup(s.cmds, args[0])
		if !ok {
			return repl.UnknownCommandError{Name: args[0]}
		}
		repl.WriteHelpEntry(&b, helpFormat, c)
	default:
		return fmt.Errorf("usage: help [command]")
	}
	s.out.Print(b.String())
	return nil
}

func (s *session) setAlertLimit(args []string) error {
	const usage = "set alertlimit <number>"
	arg, err := repl.OneArg(usage, args)
	if err != nil {
		return err
	}
	n, err := repl.ParseCount(usage, arg, 64)
	if err != nil {
		return err
	}
	s.alertLimit = n
	s.printf(fmtAlertLimit, n)
	return nil
}

// configures refuses, as a check of the command table, a setting that
// sends CONFIG under --passive.
func configures(s *session, setting string) error {
	if s.passive {
		return fmt.Errorf("set %s sends a CONFIG request, which --passive never does: the tool that started monitoring owns the configuration", setting)
	}
	return nil
}

func (s *session) setAlertMode(args []string) error {
	arg, err := repl.OneArg("set alertmode <mode>", args)
	if err != nil {
		return err
	}
	var mode dropmon.AlertMode
	switch arg {
	case "summary":
		mode = dropmon.ModeSummary
	case "packet":
		mode = dropmon.ModePacket
	default:
		return fmt.Errorf("invalid alert mode %q: usage: set alertmode summary|packet", arg)
	}
	s.say(msgSettingMode)
	s.configure(dropmon.ConfigUpdate{Mode: &mode}, msgModeSet)
	return nil
}

// onNetDM is a check of the command table that refuses a setting that
// means nothing to the skb:kfree_skb tracepoint, which the REPL reports on
// one line before carrying on; why is what the tracepoint lacks.
func onNetDM(why string) check {
	return func(s *session, setting string) error {
		if s.tracepoint {
			return fmt.Errorf("set %s does not apply to the skb:kfree_skb tracepoint backend: %s", setting, why)
		}
		return nil
	}
}

// set runs "set name arg" through the command table, checks included.
func (s *session) set(name, arg string) error {
	return repl.Exec(s.cmds, s, []string{"set", name, arg})
}

func (s *session) setTrunc(args []string) error {
	return s.setLength(args, "set trunc <len>", fmtSettingTrunc, msgTruncSet, func(u *dropmon.ConfigUpdate, n uint32) { u.TruncLen = &n })
}

func (s *session) setQueue(args []string) error {
	return s.setLength(args, "set queue <len>", fmtSettingQueue, msgQueueSet, func(u *dropmon.ConfigUpdate, n uint32) { u.QueueLen = &n })
}

// setLength sends a CONFIG request with one u32 attribute.
func (s *session) setLength(args []string, usage, setting, done string, put func(*dropmon.ConfigUpdate, uint32)) error {
	arg, err := repl.OneArg(usage, args)
	if err != nil {
		return err
	}
	n, err := repl.ParseCount(usage, arg, 32)
	if err != nil {
		return err
	}
	s.printf(setting, n)
	var u dropmon.ConfigUpdate
	put(&u, uint32(n))
	s.configure(u, done)
	return nil
}

// configure sends a CONFIG request and reports its outcome as the C tool
// does, which then ends the program on failure; dropwatch carries on.
func (s *session) configure(u dropmon.ConfigUpdate, done string) bool {
	err := s.eng.SetConfig(u)
	s.configFailed = err != nil
	if err != nil {
		s.printf(fmtConfigFailed, report.Strerror(err))
		s.hint("config", err)
		return false
	}
	s.say(done)
	return true
}

func (s *session) setSW(args []string) error {
	return s.setSource(args, "set sw <true | false>", "software", &s.sw)
}

func (s *session) setHW(args []string) error {
	return s.setSource(args, "set hw <true | false>", "hardware", &s.hw)
}

func (s *session) setSource(args []string, usage, what string, v *bool) error {
	arg, err := repl.OneArg(usage, args)
	if err != nil {
		return err
	}
	b, err := repl.ParseBool(usage, arg)
	if err != nil {
		return err
	}
	*v = b
	s.printf(fmtSettingSource, what, b2i(b))
	if !s.sw && !s.hw {
		fmt.Fprintln(s.stderr, noteNeitherSource)
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *session) show(args []string) error {
	if err := repl.NoArgs("show", args); err != nil {
		return err
	}
	s.say(msgGettingConfig)
	c, err := s.eng.Config()
	if err != nil {
		s.warn(fmtGetConfigFailed, report.Strerror(err))
		s.hint("get", err)
		return nil
	}
	if s.tracepoint {
		// Truncation and queue length are NET_DM's: only the mode is
		// the tracepoint backend's.
		s.out.Print(strings.SplitAfter(report.ConfigText(c), "\n")[0])
		return nil
	}
	s.out.Print(report.ConfigText(c))
	return nil
}

func (s *session) stats(args []string) error {
	if err := repl.NoArgs("stats", args); err != nil {
		return err
	}
	s.say(msgGettingStats)
	st, err := s.eng.Stats()
	if err != nil {
		s.warn(fmtGetStatsFailed, report.Strerror(err))
		s.hint("get", err)
		return nil
	}
	if s.tracepoint {
		var lost uint64
		if st.Software != nil {
			lost = st.Software.Dropped
		}
		s.printf(fmtTracepointLost, lost)
		return nil
	}
	s.out.Print(report.StatsText(st))
	return nil
}

// stop is the command: unlike the automatic STOPs, it stops monitoring
// whoever started it.
func (s *session) stop(args []string) error {
	if err := repl.NoArgs("stop", args); err != nil {
		return err
	}
	s.say(msgDeactivating)
	if s.sendStop() {
		s.say(msgGotStop)
	}
	return nil
}

// sendStop sends STOP and reports a failure. The C tool hangs when STOP
// fails; dropwatch returns to the prompt, and still owes the kernel a STOP
// at exit if it had started monitoring.
func (s *session) sendStop() bool {
	if err := s.eng.Stop(s.source()); err != nil {
		s.stopFailed(err)
		return false
	}
	return true
}

func (s *session) stopFailed(err error) {
	s.printf(fmtStopFailed, report.Strerror(err))
	s.hint("stop", err)
}

// cleanup leaves the kernel as dropwatch found it: if this process started
// monitoring and has not stopped it, it sends STOP.
func (s *session) cleanup() {
	if tried, err := s.eng.StopOwned(s.source()); tried && err != nil {
		s.stopFailed(err)
	}
}

// top prints the table of the last (or current) monitoring session: the
// drops since the last start, most first, and its losses.
func (s *session) top(args []string) error {
	const usage = "usage: top [N] [--by site|flow|reason|interface|comm], N the number of rows to show, from 1"
	by, args, err := report.CutGroupArg(args, s.topBy)
	if err != nil {
		return fmt.Errorf("%v: %s", err, usage)
	}
	n := 0
	switch len(args) {
	case 0:
	case 1:
		v, err := strconv.ParseUint(args[0], 10, 31)
		if err != nil || v == 0 {
			return fmt.Errorf("invalid number of rows %q: %s", args[0], usage)
		}
		n = int(v)
	default:
		return errors.New(usage)
	}
	var b strings.Builder
	report.WriteTop(&b, by, s.table, &s.notes.Groups, s.lastLosses, n)
	countersmode.WriteGrew(&b, s.ctr, s.table.Rows())
	s.out.Print(b.String())
	return nil
}
