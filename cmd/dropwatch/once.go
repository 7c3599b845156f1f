package main

// --once: monitor for a while without the REPL, for scripts. Standard
// output carries only the alerts, in the C tool's formats (or JSON lines
// with --json), and at the end the top table (or the final JSON line);
// every status line the REPL prints on standard output goes to standard
// error instead, so that "dropwatch --once 10s -l kas | grep drops" sees
// alerts only.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dropwatch-go/dropwatch/internal/countersmode"
	"github.com/dropwatch-go/dropwatch/internal/rawfile"
	"github.com/dropwatch-go/dropwatch/internal/repl"
	"github.com/dropwatch-go/dropwatch/internal/report"
	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
	"github.com/dropwatch-go/dropwatch/pkg/nlpcap"
)

// once runs --once and returns the exit status: 0 when monitoring ran and
// ended (time up, alert limit, Ctrl-C, SIGTERM), 1 when it could not start
// or the output failed, 2 for an option that this backend cannot honour.
func (a *app) once(s *session, o options) int {
	s.once, s.onceFor = true, o.once
	s.alertLimit = o.limit
	s.sw = o.sw
	if o.hw {
		if err := s.set("hw", "true"); err != nil {
			fmt.Fprintf(s.stderr, "dropwatch: --hw: %v\n", err)
		}
	}
	if !s.onceConfig(o) {
		return 1
	}
	if mode, known := s.eng.Mode(); s.filter != nil && s.filter.NeedsPacketMode() && known && mode != dropmon.ModePacket {
		fmt.Fprintf(s.stderr, "dropwatch: --%s needs packet alerts, and the kernel sends summary alerts: --passive cannot change its mode\n", o.packetFilterFlag)
		return 2
	}
	if o.write != "" {
		closePcap, err := a.openPcap(s, o)
		if err != nil {
			fmt.Fprintf(s.stderr, "dropwatch: %v\n", err)
			return 1
		}
		defer closePcap()
	}
	ran, err := s.monitor()
	var ec repl.ExitCode
	switch {
	case errors.As(err, &ec) && ec == 1:
		s.cleanup()
		return 1
	case !ran:
		return 1
	}
	if err := s.final(a.finalOut(s, o)); err != nil {
		fmt.Fprintf(s.stderr, "dropwatch: writing output: %v\n", err)
		return 1
	}
	return 0
}

// onceConfig sends the CONFIG requests --mode, --trunc and --queue ask
// for, with the REPL's messages (on standard error), or learns the
// kernel's mode, which the drain before STOP depends on.
func (s *session) onceConfig(o options) bool {
	set := func(flag, setting, arg string) bool {
		if err := s.set(setting, arg); err != nil {
			// A setting the tracepoint has no use for: said, not fatal.
			fmt.Fprintf(s.stderr, "dropwatch: --%s: %v\n", flag, err)
			return true
		}
		return !s.configFailed
	}
	if o.mode != "" && !set("mode", "alertmode", o.mode) {
		return false
	}
	if o.trunc != nil && !set("trunc", "trunc", fmt.Sprint(*o.trunc)) {
		return false
	}
	if o.queue != nil && !set("queue", "queue", fmt.Sprint(*o.queue)) {
		return false
	}
	if o.mode == "" {
		_, _ = s.eng.Config()
	}
	return true
}

// finalOut is where the table goes: standard output, or standard error
// when a pcap owns standard output.
func (a *app) finalOut(s *session, o options) io.Writer {
	if o.write == "-" {
		return a.stderr
	}
	return a.stdout
}

// final prints the table of the monitoring that just ended, with its
// losses, or the final JSON line.
func (s *session) final(w io.Writer) error {
	switch {
	case s.json && s.topBy != report.BySite:
		g := &s.notes.Groups
		return report.NewJSONWriter(w).FinalGroups(time.Since(s.began), s.topBy, g.Rows(s.topBy), g.Total(), s.lastLosses)
	case s.json:
		return report.NewJSONWriter(w).Final(time.Since(s.began), s.table.Rows(), s.table.Total(), s.lastLosses)
	}
	if err := report.WriteTop(w, s.topBy, s.table, &s.notes.Groups, s.lastLosses, 0); err != nil {
		return err
	}
	return countersmode.WriteGrew(w, s.ctr, s.table.Rows())
}

// openPcap starts the -w capture as dwdump does: the pcap header, then
// the kernel's description of the NET_DM family (so that Wireshark maps
// the alerts' netlink type to its net_dm dissector), then one record per
// alert message, each flushed as it is written.
func (a *app) openPcap(s *session, o options) (func(), error) {
	out, closeOut := io.Writer(a.stdout), func() error { return nil }
	name := "standard output"
	if o.write != "-" {
		f, err := os.Create(o.write)
		if err != nil {
			return nil, err
		}
		out, closeOut, name = rawfile.Writer(f), f.Close, o.write
	} else {
		s.quietAlerts = true
	}
	var snap uint32 = nlpcap.DefaultSnapLen
	if o.trunc != nil {
		snap = nlpcap.SnapLenFor(*o.trunc)
	}
	pw, err := nlpcap.NewWriter(out, nlpcap.Options{SnapLen: snap})
	if err == nil {
		err = pw.WriteDatagram(a.familyRecord(s.eng))
	}
	if err != nil {
		closeOut()
		return nil, fmt.Errorf("writing %s: %w", name, err)
	}
	s.pcap, s.pcapName = pw, name
	return func() {
		if err := closeOut(); err != nil {
			fmt.Fprintf(s.stderr, "dropwatch: writing %s: %v\n", name, err)
		}
	}, nil
}

// familyRecord is the kernel's CTRL_CMD_NEWFAMILY reply for NET_DM, or,
// if it cannot be had or names another ID, an equivalent message built
// from the ID the backend resolved.
func (a *app) familyRecord(eng *drops.Engine) []byte {
	id, _ := eng.FamilyID()
	timeout := a.timing.Request
	if timeout == 0 {
		timeout = drops.DefaultTiming.Request
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return nlpcap.NETDMFamilyRecord(ctx, id, a.fetchFamily)
}
