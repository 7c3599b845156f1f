package drops

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/skbtrace"
)

// tracepoint is the backend for kernels without NET_DM: the skb:kfree_skb
// tracepoint read through perf events (pkg/skbtrace). It imitates the drop
// monitor. Summary alerts count the drops per location over one second
// from the first drop of a batch, as the kernel's per-CPU timer does, but
// over all CPUs at once. Packet alerts carry what the tracepoint knows:
// location, protocol, drop reason and time, but no packet, port or symbol
// text. Only software drops exist, and the configuration lives in the
// process: there is no other tool to share it with.
type tracepoint struct {
	open     func() (Tracer, error)
	interval time.Duration // of a summary batch

	mu     sync.Mutex
	config dropmon.Config
	lost   uint64 // samples the last tracer lost, for stats
	cur    Tracer // the open source's tracer, which Stop disables
	// reasons and protocols are the drops the kernel keeps
	// (SetKernelFilter).
	reasons   []string
	protocols []uint16
}

// SetKernelFilter makes the tracers opened from now on keep only drops
// with these reasons and protocols, filtered in the kernel
// (skbtrace.Options.Reasons and Protocols).
func (t *tracepoint) SetKernelFilter(reasons []string, protocols []uint16) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reasons, t.protocols = slices.Clone(reasons), slices.Clone(protocols)
}

// Tracer is what the tracepoint backend reads: a *skbtrace.Tracer.
type Tracer interface {
	Read(ctx context.Context) ([]skbtrace.Drop, error)
	Stats() skbtrace.Stats
	Close() error
}

// summaryInterval is the kernel's dm_delay: one summary per second.
const summaryInterval = time.Second

// NewTracepoint returns the tracepoint backend reading the tracers open
// returns, one per Listen: a program's own, or a test's fake. Open builds
// the real one, which opens skb:kfree_skb.
func NewTracepoint(open func() (Tracer, error)) Kernel {
	t := newTracepoint(false)
	t.open = open
	return t
}

// newTracepoint returns the tracepoint backend; with stacks, each drop
// carries its kernel call chain (PERF_SAMPLE_CALLCHAIN).
func newTracepoint(stacks bool) *tracepoint {
	t := &tracepoint{
		interval: summaryInterval,
		config:   dropmon.Config{Mode: dropmon.ModeSummary, QueueLen: 1000},
	}
	t.open = func() (Tracer, error) {
		t.mu.Lock()
		reasons, protocols := t.reasons, t.protocols
		t.mu.Unlock()
		return skbtrace.Open(skbtrace.Options{Clock: skbtrace.ClockRealtime, Stacks: stacks, Reasons: reasons, Protocols: protocols})
	}
	return t
}

// probe opens the tracepoint once and closes it, so that Open knows
// at startup whether it can be used (tracefs, perf events, privileges).
func (t *tracepoint) probe() error {
	r, err := t.open()
	if err != nil {
		return err
	}
	return r.Close()
}

// ErrHardwareDrops is START of hardware drops on the tracepoint backend.
// It matches errors.ErrUnsupported.
var ErrHardwareDrops = fmt.Errorf("the skb:kfree_skb tracepoint reports software drops only: %w", errors.ErrUnsupported)

// disabler is a Tracer that can stop taking samples before it is closed
// (*skbtrace.Tracer): its losses are then exact once it has been read to
// the end (skbtrace.Stats.Lost).
type disabler interface{ Disable() error }

// Start has nothing to do: the perf events are enabled while a source is
// open.
func (t *tracepoint) Start(ctx context.Context, src dropmon.Source) error {
	if src == dropmon.SourceHardware {
		return ErrHardwareDrops
	}
	return nil
}

// Stop disables the open source's perf events: the drain after STOP reads
// what their buffers hold, and nothing newer, as after NET_DM's STOP.
func (t *tracepoint) Stop(ctx context.Context, src dropmon.Source) error {
	t.mu.Lock()
	cur := t.cur
	t.mu.Unlock()
	if d, ok := cur.(disabler); ok {
		return d.Disable()
	}
	return nil
}

func (t *tracepoint) SetConfig(ctx context.Context, u dropmon.ConfigUpdate) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if u.Mode != nil {
		t.config.Mode = *u.Mode
	}
	if u.TruncLen != nil {
		t.config.TruncLen = *u.TruncLen
	}
	if u.QueueLen != nil {
		t.config.QueueLen = *u.QueueLen
	}
	return nil
}

func (t *tracepoint) Config(ctx context.Context) (*dropmon.Config, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.config
	return &c, nil
}

// Stats reports the samples the kernel could not write to the ring
// buffers as the software "Tail dropped".
func (t *tracepoint) Stats(ctx context.Context) (*dropmon.Stats, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return &dropmon.Stats{Software: &dropmon.OriginStats{Dropped: t.lost}}, nil
}

func (t *tracepoint) Close() error { return nil }

func (t *tracepoint) Listen() (Events, error) {
	r, err := t.open()
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cur = r
	return &tracepointSource{tp: t, r: r, mode: t.config.Mode}, nil
}

// tracepointSource is an open tracer.
type tracepointSource struct {
	tp   *tracepoint
	r    Tracer
	mode dropmon.AlertMode
	agg  skbtrace.Aggregator
	// due is when the pending summary batch is sent; zero if none is.
	due time.Time
	// stacks are the call chains of the last packet events, tasks their
	// tasks; comms names thread ids.
	stacks [][]uint64
	tasks  []Task
	comms  comms
}

func (s *tracepointSource) Receive(ctx context.Context) ([]dropmon.Event, error) {
	if s.mode == dropmon.ModePacket {
		drops, err := s.r.Read(ctx)
		if err != nil {
			return nil, err
		}
		s.stacks, s.tasks = s.stacks[:0], s.tasks[:0]
		for _, d := range drops {
			s.stacks = append(s.stacks, d.Stack)
			comm := d.Comm // from PERF_RECORD_COMM, else /proc
			if comm == "" {
				comm = s.comms.of(d.PID, d.CPU)
			}
			s.tasks = append(s.tasks, Task{CPU: d.CPU, PID: d.TGID, TID: d.PID, Comm: comm})
		}
		return packetEvents(drops), nil
	}
	for {
		if !s.due.IsZero() && !time.Now().Before(s.due) {
			s.due = time.Time{}
			s.stacks = nil
			return []dropmon.Event{{Alert: summaryAlert(s.agg.Flush())}}, nil
		}
		rctx, cancel := ctx, context.CancelFunc(func() {})
		if !s.due.IsZero() {
			rctx, cancel = context.WithDeadline(ctx, s.due)
		}
		drops, err := s.r.Read(rctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			continue
		case err != nil:
			return nil, err
		}
		if len(drops) > 0 && s.due.IsZero() {
			s.due = time.Now().Add(s.tp.interval)
		}
		s.agg.Add(drops...)
	}
}

func summaryAlert(sums []skbtrace.Summary) *dropmon.Alert {
	a := &dropmon.Alert{Points: make([]dropmon.DropPoint, len(sums))}
	for i, s := range sums {
		a.Points[i] = dropmon.DropPoint{PC: s.PC, Count: uint32(min(s.Count, math.MaxUint32)), Reason: s.Reason}
	}
	return a
}

func packetEvents(drops []skbtrace.Drop) []dropmon.Event {
	evs := make([]dropmon.Event, len(drops))
	for i, d := range drops {
		evs[i].Packet = &dropmon.PacketAlert{
			HasOrigin: true, Origin: dropmon.OriginSoftware,
			HasPC: true, PC: d.Location,
			HasTimestamp: d.Time != 0, Timestamp: time.Unix(0, int64(d.Time)),
			HasProto: true, Proto: d.Protocol,
			Reason: d.Reason,
		}
	}
	return evs
}

func (s *tracepointSource) LastStacks() [][]uint64 { return s.stacks }

func (s *tracepointSource) LastTasks() []Task {
	if s.mode != dropmon.ModePacket {
		return nil
	}
	return s.tasks
}

func (s *tracepointSource) Stats() dropmon.MonitorStats {
	st := s.r.Stats()
	return dropmon.MonitorStats{Messages: st.Samples, Packets: st.Drops, Malformed: st.Malformed}
}

// SocketDrops returns the samples the kernel could not write to the ring
// buffers.
func (s *tracepointSource) SocketDrops() (uint64, error) { return s.r.Stats().Lost, nil }

// Close closes the tracer, then keeps its losses for stats: a closed
// tracer's are exact (skbtrace.Stats.Lost).
func (s *tracepointSource) Close() error {
	err := s.r.Close()
	lost := s.r.Stats().Lost
	s.tp.mu.Lock()
	s.tp.lost = lost
	if s.tp.cur == s.r {
		s.tp.cur = nil
	}
	s.tp.mu.Unlock()
	return err
}
