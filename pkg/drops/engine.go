package drops

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
)

// Timing holds the delays of an engine; tests shorten them.
type Timing struct {
	// Request bounds every request to the kernel (dropmon's default too).
	Request time.Duration
	// Drain is how long monitoring goes on after a stop request before
	// STOP is sent: in summary mode the kernel holds each CPU's counts
	// for 1 s after the first drop of a batch (dm_delay in
	// net/core/drop_monitor.c) and discards them on STOP.
	Drain time.Duration
	// PacketQuiet ends the drain early in packet mode, where the kernel
	// sends each alert as soon as its work item runs: once no alert has
	// come for this long, nothing is pending.
	PacketQuiet time.Duration
	// FlushQuiet is how long the engine reads after the STOP reply for
	// alerts the kernel sent before it.
	FlushQuiet time.Duration
}

// DefaultTiming is the timing of an Options that sets none.
var DefaultTiming = Timing{
	Request:     dropmon.DefaultTimeout,
	Drain:       1200 * time.Millisecond,
	PacketQuiet: 250 * time.Millisecond,
	FlushQuiet:  100 * time.Millisecond,
}

// Clock is time.After, replaced by a fake in tests.
type Clock interface {
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Options configure an Engine.
type Options struct {
	// Backend is BackendAuto (also ""), BackendNetDM or BackendTracepoint.
	Backend string
	// Stacks: the tracepoint records each packet's kernel call chain
	// (Record.Stack).
	Stacks bool
	// KeepRaw keeps each NET_DM alert's netlink message (Message.Raw).
	KeepRaw bool
	// Symbols names drop locations; nil leaves them unresolved, except
	// NET_DM packet alerts', which carry the kernel's own text.
	Symbols Resolver
	// Force sends STOP before each START, ending monitoring that another
	// tool, or a program that crashed, left on.
	Force bool
	// Passive only listens to the alerts of monitoring another tool
	// started: Watch never sends CONFIG, START or STOP, and SetConfig is
	// refused. Engine.Stop still sends STOP when asked to.
	Passive bool
	// Backends open the kernel's sides; nil fields are DefaultBackends'.
	Backends Backends
	// Timing: zero fields are DefaultTiming's.
	Timing Timing
	// Clock times the drains; nil is the real clock.
	Clock Clock
}

// Engine is an open drop source with the state of its monitoring: the
// kernel's alert mode as far as known, and whether this engine started
// monitoring that it has not stopped. Its methods are safe for concurrent
// use, except that one Watch runs at a time.
type Engine struct {
	k         Kernel
	backend   string
	diagnosis *dropmon.Diagnosis
	opts      Options

	mu        sync.Mutex
	mode      dropmon.AlertMode
	modeKnown bool
	started   bool
	source    dropmon.Source // of the last START
}

// ErrPassive is SetConfig on a passive engine, which never configures the
// kernel: the tool that started monitoring owns the configuration.
var ErrPassive = errors.New("a passive engine never configures the kernel's drop monitor")

// Open opens the drop source o.Backend names. auto is NET_DM when the
// kernel has the family, else the skb:kfree_skb tracepoint (Diagnosis then
// says why NET_DM is missing). Without NET_DM and the tracepoint, or
// without NET_DM for netdm, the error is a *NoNetDMError, which matches
// os.ErrNotExist; a tracepoint that cannot be read returns
// pkg/skbtrace's error (a *skbtrace.Error); other NET_DM failures are
// pkg/dropmon's.
func Open(o Options) (*Engine, error) {
	b := DefaultBackends()
	if o.Backends.NetDM != nil {
		b.NetDM = o.Backends.NetDM
	}
	if o.Backends.Tracepoint != nil {
		b.Tracepoint = o.Backends.Tracepoint
	}
	if o.Backends.Diagnose != nil {
		b.Diagnose = o.Backends.Diagnose
	}
	if o.Backend == "" {
		o.Backend = BackendAuto
	}
	k, name, d, err := open(b, o.Backend, o.Stacks)
	if err != nil {
		return nil, err
	}
	if n, ok := k.(*netdm); ok {
		n.keepRaw = o.KeepRaw
	}
	t, def := &o.Timing, DefaultTiming
	for _, f := range []struct{ v, d *time.Duration }{{&t.Request, &def.Request}, {&t.Drain, &def.Drain}, {&t.PacketQuiet, &def.PacketQuiet}, {&t.FlushQuiet, &def.FlushQuiet}} {
		if *f.v == 0 {
			*f.v = *f.d
		}
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	return &Engine{k: k, backend: name, diagnosis: d, opts: o}, nil
}

// FilterInKernel asks the kernel to report only drops with these reasons
// and protocols (EtherTypes, as dropmon.PacketAlert.Proto), where it can,
// for the Watches started from now on. The tracepoint sets an event filter
// (PERF_EVENT_IOC_SET_FILTER, see skbtrace.Format.EventFilter) over its
// reason field and, where its format has one, its protocol field; NET_DM
// has no filter. It reports whether the kernel filters; an unknown reason
// then fails the next Watch.
func (e *Engine) FilterInKernel(reasons []string, protocols []uint16) bool {
	f, ok := e.k.(interface{ SetKernelFilter([]string, []uint16) })
	if ok {
		f.SetKernelFilter(reasons, protocols)
	}
	return ok
}

// Backend is the backend Open chose: BackendNetDM or BackendTracepoint.
func (e *Engine) Backend() string { return e.backend }

// Diagnosis is why the kernel has no NET_DM family, when auto chose the
// tracepoint for that.
func (e *Engine) Diagnosis() (dropmon.Diagnosis, bool) {
	if e.diagnosis == nil {
		return dropmon.Diagnosis{}, false
	}
	return *e.diagnosis, true
}

// FamilyID is NET_DM's generic netlink family ID, when the backend has
// one.
func (e *Engine) FamilyID() (uint16, bool) {
	if f, ok := e.k.(interface{ FamilyID() uint16 }); ok {
		return f.FamilyID(), true
	}
	return 0, false
}

// Close releases the kernel side. It does not stop monitoring: call
// StopOwned first.
func (e *Engine) Close() error { return e.k.Close() }

// request runs one request to the kernel with the engine's timeout.
func (e *Engine) request(f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), e.opts.Timing.Request)
	defer cancel()
	return f(ctx)
}

// Mode is the kernel's alert mode when known: set, read or seen in an
// alert through this engine.
func (e *Engine) Mode() (dropmon.AlertMode, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mode, e.modeKnown
}

func (e *Engine) setMode(m dropmon.AlertMode) {
	e.mu.Lock()
	e.mode, e.modeKnown = m, true
	e.mu.Unlock()
}

// SetConfig sends a CONFIG request: the mode, truncation and queue length
// of packet alerts (the tracepoint keeps its own). Errors are pkg/dropmon's
// (dropmon.ErrBusy while monitoring is on); ErrPassive on a passive
// engine.
func (e *Engine) SetConfig(u dropmon.ConfigUpdate) error {
	if e.opts.Passive {
		return ErrPassive
	}
	err := e.request(func(ctx context.Context) error { return e.k.SetConfig(ctx, u) })
	if err == nil && u.Mode != nil {
		e.setMode(*u.Mode)
	}
	return err
}

// Config returns the kernel's configuration. On the tracepoint only Mode
// means anything.
func (e *Engine) Config() (*dropmon.Config, error) {
	var c *dropmon.Config
	err := e.request(func(ctx context.Context) (err error) { c, err = e.k.Config(ctx); return err })
	if err != nil {
		return nil, err
	}
	e.setMode(c.Mode)
	return c, nil
}

// Stats returns the kernel's statistics: the packet alerts its full queues
// discarded; on the tracepoint, the samples the last Watch lost, as
// Software.Dropped.
func (e *Engine) Stats() (*dropmon.Stats, error) {
	var st *dropmon.Stats
	err := e.request(func(ctx context.Context) (err error) { st, err = e.k.Stats(ctx); return err })
	return st, err
}

// Stop sends STOP, whoever started monitoring: it is what a user asks for
// (dropwatch's stop command), passive or not.
func (e *Engine) Stop(src dropmon.Source) error {
	err := e.request(func(ctx context.Context) error { return e.k.Stop(ctx, src) })
	if err == nil {
		e.mu.Lock()
		e.started = false
		e.mu.Unlock()
	}
	return err
}

// Started reports whether this engine started monitoring and has not
// stopped it since.
func (e *Engine) Started() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.started
}

// StopOwned leaves the kernel as the engine found it: if this engine
// started monitoring and has not stopped it, it sends STOP for src and
// reports that it tried. Monitoring another tool started is never
// stopped. A program calls it however it ends.
func (e *Engine) StopOwned(src dropmon.Source) (tried bool, err error) {
	if !e.Started() {
		return false, nil
	}
	return true, e.Stop(src)
}

// tailDrops is the kernel's count of packet alerts it discarded because a
// per-CPU queue was full, software and hardware (STATS_GET, Linux 5.4+).
func (e *Engine) tailDrops() (uint64, bool) {
	if e.backend == BackendTracepoint {
		return 0, false
	}
	st, err := e.Stats()
	if err != nil {
		return 0, false
	}
	var n uint64
	for _, o := range []*dropmon.OriginStats{st.Software, st.Hardware} {
		if o != nil {
			n += o.Dropped
		}
	}
	return n, true
}
