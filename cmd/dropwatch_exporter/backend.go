package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/dropwatch-go/dropwatch/internal/exporter"
	"github.com/dropwatch-go/dropwatch/internal/report"
	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
	"github.com/dropwatch-go/dropwatch/pkg/kallsyms"
	"github.com/dropwatch-go/dropwatch/pkg/skbtrace"
)

// opener opens the drop engine the flags ask for and starts watching. It is
// the exporter's exporter.OpenFunc, for the first start and every restart.
type opener struct {
	backend, mode  string
	passive, force bool
	symbols        drops.Resolver
	log            *slog.Logger
	// backends are the engine's kernel sides; tests replace them.
	backends drops.Backends
	// timing: zero fields are the engine's defaults; tests shorten them.
	timing drops.Timing
}

func newOpener(c *config, log *slog.Logger) *opener {
	return &opener{
		backend: c.backend, mode: c.mode, passive: c.passive, force: c.force,
		symbols: loadSymbols(c.kallsymsPath, log), log: log,
		backends: drops.Backends{Tracepoint: openTracepoint},
	}
}

// loadSymbols loads the kernel's symbol table once, at startup. The engine
// looks drop locations up in the goroutine that reads the kernel's
// alerts, and a scan of kallsyms for a new location (tens of ms, more on
// a busy host) in the middle of a burst lets the perf ring buffers
// overflow: on this (loaded) machine the first 100,000-drop burst after
// startup lost 31% of its samples with the engine's scan, none with the
// table loaded first (one run each; back-to-back bursts lose some either
// way, counted in dropwatch_tracepoint_samples_lost_total). A
// long-running exporter can afford the table's 8 MB.
func loadSymbols(path string, log *slog.Logger) drops.Resolver {
	unknown := func(err error) drops.Resolver {
		log.Warn(`cannot read kernel symbols: drop sites are exported as function="unknown"`, "err", err)
		return drops.NewSymbols(drops.UnusableFile{}, func(error) {})
	}
	file, err := drops.OpenKallsyms(path)
	if err != nil {
		return unknown(err)
	}
	t, err := file.Load()
	if errors.Is(err, kallsyms.ErrRestricted) {
		return unknown(fmt.Errorf("%w (kernel.kptr_restrict, or no CAP_SYSLOG)", err))
	}
	if err != nil {
		return unknown(err)
	}
	return t
}

// openTracepoint is the engine's tracepoint backend with the exporter's
// ring buffers and polling.
func openTracepoint(bool) (drops.Kernel, error) {
	open := func() (drops.Tracer, error) {
		return skbtrace.Open(skbtrace.Options{
			// 128 data pages (512 KiB) per CPU, twice skbtrace's default:
			// with the metadata page that is 129 pages, exactly the
			// default kernel.perf_event_mlock_kb (516) per CPU that
			// perf_mmap (kernel/events/core.c) lets a process lock
			// without CAP_IPC_LOCK. At 64 pages a 100,000-drop burst
			// lost 6%.
			PerCPUPages: 128,
			// The kernel wakes the reader when a buffer is a quarter
			// full; between bursts a look once a second is enough for
			// counters scraped every 15 s, and keeps an idle exporter
			// below 0.1% of a core (0.18% looking every 100 ms).
			PollInterval: time.Second,
		})
	}
	// Open the tracepoint once now, so that a missing tracefs or
	// privilege is a startup error.
	t, err := open()
	if err != nil {
		return nil, err
	}
	t.Close()
	return drops.NewTracepoint(open), nil
}

// openEngine opens the backend. auto is the tracepoint where it can be
// read, because perf events are shared by any number of readers and NET_DM
// has one session per host (docs/exporter.md, "Coexistence"); NET_DM
// otherwise. Without either, the error carries the engine's diagnosis of
// NET_DM and the tracepoint's own error.
func (o *opener) openEngine(passive bool) (*drops.Engine, error) {
	// Passive and Force are about NET_DM's one session: the tracepoint
	// has none, and a passive engine would not set its mode.
	opts := drops.Options{Symbols: o.symbols, Backends: o.backends, Timing: o.timing}
	netdm := opts
	netdm.Backend, netdm.Passive, netdm.Force = drops.BackendNetDM, passive, o.force
	switch o.backend {
	case drops.BackendNetDM:
		return drops.Open(netdm)
	case drops.BackendTracepoint:
		opts.Backend = drops.BackendTracepoint
		return drops.Open(opts)
	}
	opts.Backend = drops.BackendTracepoint
	e, tpErr := drops.Open(opts)
	if tpErr == nil {
		return e, nil
	}
	e, err := drops.Open(netdm)
	var nerr *drops.NoNetDMError
	if errors.As(err, &nerr) {
		nerr.Tracepoint = tpErr
	}
	if err == nil {
		o.log.Info("The skb:kfree_skb tracepoint cannot be read: using NET_DM", "err", tpErr)
	}
	return e, err
}

// open opens the engine, configures the alert mode and starts watching.
// A kernel already monitoring for another tool is listened to passively
// (without --force), with a log line that says so.
func (o *opener) open() (*engineSource, error) {
	passive := o.passive
	for {
		e, err := o.openEngine(passive)
		if err != nil {
			return nil, explainOpen(o.backend, err)
		}
		s, err := o.start(e, passive)
		if errors.Is(err, errOthersMonitoring) && !passive {
			e.Close()
			o.log.Info("The kernel's drop monitor is already on for another tool: listening passively, without configuring, starting or stopping it (--force takes it over)")
			passive = true
			continue
		}
		if err != nil {
			e.Close()
			return nil, err
		}
		return s, nil
	}
}

// errOthersMonitoring: NET_DM is on, and not for this exporter.
var errOthersMonitoring = errors.New("the kernel's drop monitor is already on for another tool")

// start sets the alert mode and starts a Watch on e.
func (o *opener) start(e *drops.Engine, passive bool) (*engineSource, error) {
	s := &engineSource{eng: e, src: dropmon.SourceSoftware, stop: make(chan os.Signal, 1)}
	if e.Backend() == drops.BackendNetDM {
		// Devlink traps report hardware drops through NET_DM only
		// (net_dm_hw_trap_probe in net/core/drop_monitor.c).
		s.src |= dropmon.SourceHardware
	}
	want := dropmon.ModeSummary
	if o.mode == "packet" || o.mode == "auto" && e.Backend() == drops.BackendTracepoint {
		// The tracepoint's packet records carry the drop reason; its
		// summaries would not, and cost the same to produce.
		want = dropmon.ModePacket
	}
	passive = passive && e.Backend() == drops.BackendNetDM
	if passive {
		// The kernel's mode is the other tool's; reading it is not an
		// admin operation.
		if c, err := e.Config(); err == nil && c.Mode != want && o.mode != "auto" {
			o.log.Warn("Passive: the kernel's alert mode is not the one --mode asks for; it is left as it is", "kernel", modeName(c.Mode), "mode", o.mode)
		}
	} else {
		if o.force && e.Backend() == drops.BackendNetDM {
			// CONFIG is refused while monitoring is on (EBUSY):
			// --force ends another tool's session first.
			_ = e.Stop(s.src)
		}
		old, err := e.Config()
		switch {
		case errors.Is(err, errors.ErrUnsupported) && want == dropmon.ModeSummary:
			// Kernels before 5.4 have neither CONFIG_GET nor packet
			// mode: summary is all they send.
			old, err = &dropmon.Config{Mode: want}, nil
		case err != nil:
			return nil, explainRequest("get", err)
		}
		if old.Mode != want {
			err := e.SetConfig(dropmon.ConfigUpdate{Mode: &want})
			if errors.Is(err, dropmon.ErrBusy) {
				return nil, errOthersMonitoring
			}
			if err != nil {
				return nil, explainRequest("config", err)
			}
			if e.Backend() == drops.BackendNetDM {
				// The mode is global and persists: the next tool finds it
				// as we found it.
				s.restore = &old.Mode
			}
		}
	}
	w, err := e.Watch(drops.WatchOptions{Source: s.src, Stop: s.stop})
	if errors.Is(err, errors.ErrUnsupported) && s.src&dropmon.SourceHardware != 0 {
		// Kernels before 5.4, or without CONFIG_NET_DEVLINK, refuse
		// hardware drops.
		s.src = dropmon.SourceSoftware
		w, err = e.Watch(drops.WatchOptions{Source: s.src, Stop: s.stop})
	}
	if errors.Is(err, dropmon.ErrAlreadyMonitoring) {
		s.restoreMode(o.log)
		return nil, errOthersMonitoring
	}
	if err != nil {
		s.restoreMode(o.log)
		var se *drops.StartError
		op := "start"
		if errors.As(err, &se) {
			op = se.Op
		}
		return nil, explainRequest(op, err)
	}
	s.w = w
	s.log = o.log
	mode, known := e.Mode()
	if !known {
		mode = want
	}
	s.info = exporter.Info{Backend: e.Backend(), Mode: modeName(mode), Passive: passive}
	return s, nil
}

func modeName(m dropmon.AlertMode) string {
	if m == dropmon.ModePacket {
		return "packet"
	}
	return "summary"
}

// explainOpen says which privilege or kernel feature is missing when no
// backend opens.
func explainOpen(backend string, err error) error {
	var nerr *drops.NoNetDMError
	if errors.As(err, &nerr) {
		msg := "no drop monitor: the kernel has no NET_DM family"
		if c := report.NoFamilyCause(nerr.Diagnosis); c != "" {
			msg += " (" + c + ")"
		} else {
			msg += ` (is the drop_monitor module loaded? "modprobe drop_monitor"; NET_DM exists only in the initial network namespace)`
		}
		if nerr.Tracepoint != nil {
			return fmt.Errorf("%s: %w; and %w", msg, nerr.Err, explainTracepoint(nerr.Tracepoint))
		}
		return fmt.Errorf("%s: %w", msg, nerr.Err)
	}
	if backend == drops.BackendTracepoint {
		return explainTracepoint(err)
	}
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("cannot open NET_DM: %w (needs CAP_NET_ADMIN)", err)
	}
	return fmt.Errorf("cannot open the drop monitor: %w", err)
}

// explainRequest names the capability a refused NET_DM request needs.
func explainRequest(op string, err error) error {
	if h := report.Hint(op, err, false); h != "" {
		return fmt.Errorf("%s: %w (%s)", op, err, strings.TrimPrefix(h, "dropwatch: "))
	}
	return fmt.Errorf("%s: %w", op, err)
}

// explainTracepoint says which privilege or kernel feature is missing.
func explainTracepoint(err error) error {
	// A *skbtrace.Error's text carries its hint (perf_event_paranoid,
	// tracefs mounts).
	switch {
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("cannot open the skb:kfree_skb tracepoint: %w (needs CAP_PERFMON, or CAP_SYS_ADMIN before Linux 5.8, and read access to tracefs)", err)
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("the skb:kfree_skb tracepoint is missing: %w (needs CONFIG_TRACEPOINTS and tracefs)", err)
	case errors.Is(err, errors.ErrUnsupported):
		return fmt.Errorf("no perf events: %w (needs Linux with CONFIG_PERF_EVENTS)", err)
	}
	return fmt.Errorf("cannot open the skb:kfree_skb tracepoint: %w", err)
}
