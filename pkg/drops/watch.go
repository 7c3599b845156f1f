package drops

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
)

// WatchOptions configure one monitoring session.
type WatchOptions struct {
	// Source is what START and STOP carry: software drops, hardware drops;
	// with neither the kernel monitors software drops.
	Source dropmon.Source
	// For ends monitoring after this long, as a first stop request does;
	// 0 is no limit.
	For time.Duration
	// Stop carries stop requests (signals, for a command-line tool): the
	// first drains and stops, a second stops at once. Every value is kept
	// (Watch.Signals).
	Stop <-chan os.Signal
}

// StartError is Watch failing to start: Op is "listen" (joining NET_DM's
// events group, or opening the tracepoint) or "start" (START).
type StartError struct {
	Op  string
	Err error
}

func (e *StartError) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

// Handler consumes a Watch's records, in the goroutine that calls Run.
type Handler interface {
	// Take is given each batch in turn. An error ends monitoring at once,
	// without a drain: an alert limit reached, an output that failed.
	Take(b *Batch) error
	// Flush follows the batches that were queued together: a consumer
	// that writes can write once for all of them.
	Flush() error
}

// TakeFunc is a Handler that only takes: it has nothing to flush.
type TakeFunc func(b *Batch) error

// Take calls f.
func (f TakeFunc) Take(b *Batch) error { return f(b) }

// Flush does nothing.
func (TakeFunc) Flush() error { return nil }

// End is why Run returned.
type End int

const (
	// EndStopped: a stop request, or WatchOptions.For elapsed.
	EndStopped End = iota + 1
	// EndHandler: Take or Flush failed; Run returns its error.
	EndHandler
	// EndReceive: receiving failed; Run returns the error (nil if the
	// receiver ended without one).
	EndReceive
)

// Watch is one monitoring session, from START (or, passive, from joining
// the events group) to STOP. Run delivers its records, Stop ends it,
// Losses reports what it could not deliver, Close releases it.
type Watch struct {
	e       *Engine
	o       WatchOptions
	src     Events
	batches chan *Batch
	cancel  context.CancelFunc
	rcv     receiverState
	// tailStart is the kernel's tail drop count at START, if known.
	tailStart uint64
	tailKnown bool
	// draining: a stop request came; records are delivered until the
	// drain ends.
	draining bool
	// handled is the largest upTo of the batches taken.
	handled uint64
	// hurry: a second stop request came: STOP at once, no more waiting.
	hurry bool
	end   End

	mu      sync.Mutex
	signals []os.Signal
}

// Watch starts monitoring: it joins the events group (so that no alert
// sent after the kernel's reply to START can be missed), reads the
// kernel's tail drops, sends STOP first with Options.Force, then START,
// and receives in a goroutine of its own until Close. A passive engine
// only joins the group. Its error is a *StartError.
func (e *Engine) Watch(o WatchOptions) (*Watch, error) {
	src, err := e.k.Listen()
	if err != nil {
		return nil, &StartError{Op: "listen", Err: err}
	}
	w := &Watch{e: e, o: o, src: src}
	w.tailStart, w.tailKnown = e.tailDrops()
	if !e.opts.Passive {
		if e.opts.Force {
			_ = e.request(func(ctx context.Context) error { return e.k.Stop(ctx, o.Source) })
		}
		err = e.request(func(ctx context.Context) error { return e.k.Start(ctx, o.Source) })
		if err != nil {
			src.Close()
			return nil, &StartError{Op: "start", Err: err}
		}
		e.mu.Lock()
		e.started, e.source = true, o.Source
		e.mu.Unlock()
	}
	// A session that will look up many addresses, the kernel stacks,
	// loads the symbol table now; others read the file at their first
	// lookup (symbols.go).
	if s, ok := e.opts.Symbols.(*Symbols); ok && e.opts.Stacks && e.backend == BackendTracepoint {
		s.loadTable()
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	w.batches = make(chan *Batch, 64)
	go w.receive(ctx)
	return w, nil
}

// Signals returns the stop requests received so far.
func (w *Watch) Signals() []os.Signal {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]os.Signal(nil), w.signals...)
}

func (w *Watch) noteSignal(sig os.Signal) {
	w.mu.Lock()
	w.signals = append(w.signals, sig)
	w.mu.Unlock()
}

// Run delivers records to h until monitoring has to end, and says why.
// After a stop request it goes on for the drain: in summary mode until
// Timing.Drain has passed (the kernel's 1 s hold), in packet mode until no
// alert has come for Timing.PacketQuiet. Every datagram received before
// the drain's end is delivered. A passive watch does not drain: there is
// no STOP to wait for.
func (w *Watch) Run(h Handler) (End, error) {
	w.end = EndStopped
	end, err := w.loop(h)
	w.end = end
	return end, err
}

func (w *Watch) loop(h Handler) (End, error) {
	e := w.e
	var deadline, calm, until <-chan time.Time
	if w.o.For > 0 {
		until = e.opts.Clock.After(w.o.For)
	}
	drain := func() {
		w.draining = true
		w.rcv.eager.Store(true)
		deadline = e.opts.Clock.After(e.opts.Timing.Drain)
		if w.packetMode() {
			calm = e.opts.Clock.After(e.opts.Timing.PacketQuiet)
		}
	}
	for {
		select {
		case b, ok := <-w.batches:
			if !ok {
				return EndReceive, nil
			}
			// While draining, packet alerts re-arm the quiet timer. It is
			// set before the records are delivered, so that a test that
			// has seen them knows which timer is current.
			armed := w.draining && (w.packetMode() || b.packets())
			if armed {
				calm = e.opts.Clock.After(e.opts.Timing.PacketQuiet)
			}
			packets := false
			end, err := w.take(h, b, &packets)
			if w.draining && packets && !armed {
				calm = e.opts.Clock.After(e.opts.Timing.PacketQuiet)
			}
			if end, err = w.flush(h, end, err); end != 0 {
				return end, err
			}
		case sig := <-w.o.Stop:
			w.noteSignal(sig)
			if w.draining || e.opts.Passive {
				w.hurry = true
				return EndStopped, nil
			}
			drain()
		case <-until:
			until = nil
			if e.opts.Passive {
				return EndStopped, nil
			}
			if !w.draining {
				drain()
			}
		case <-deadline:
			return w.emitQueued(h)
		case <-calm:
			return w.emitQueued(h)
		}
	}
}

// emitQueued delivers the batches already received when the drain ends,
// and those of datagrams the receiver has read and is still resolving,
// then ends monitoring. A second stop request ends it at once.
func (w *Watch) emitQueued(h Handler) (End, error) {
	for {
		var b *Batch
		var ok bool
		select {
		case b, ok = <-w.batches:
		default:
			if !w.behind() {
				return EndStopped, nil
			}
			select {
			case b, ok = <-w.batches:
			case sig := <-w.o.Stop:
				w.noteSignal(sig)
				w.hurry = true
				return EndStopped, nil
			}
		}
		if !ok {
			return EndStopped, nil
		}
		var packets bool
		end, err := w.take(h, b, &packets)
		if end, err = w.flush(h, end, err); end != 0 {
			return end, err
		}
	}
}

// behind reports whether the receiver has read datagrams that have not
// been delivered yet. Resolving one can take a while (the first summary
// alert reads kallsyms), and what was read must not be lost to the end of
// a drain.
func (w *Watch) behind() bool { return w.handled < w.rcv.read.Load() }

func (w *Watch) packetMode() bool {
	m, ok := w.e.Mode()
	return ok && m == dropmon.ModePacket
}

// Stop ends monitoring: it sends STOP (a passive watch sends nothing) and,
// after a drain that a second request did not cut short, delivers to h
// the alerts the kernel sent before its reply, until none has come for
// Timing.FlushQuiet. A STOP that fails leaves the engine Started: the
// kernel still monitors for it.
func (w *Watch) Stop(h Handler) error {
	if w.e.opts.Passive {
		return nil
	}
	if err := w.e.Stop(w.o.Source); err != nil {
		return err
	}
	if w.end == EndStopped && !w.hurry {
		w.flushAfterStop(h)
	}
	return nil
}

// flushAfterStop delivers the alerts the kernel sent before its reply to
// STOP, which are still in the socket or the channel, until none has come
// for a while.
func (w *Watch) flushAfterStop(h Handler) {
	e := w.e
	w.rcv.eager.Store(true)
	calm := e.opts.Clock.After(e.opts.Timing.FlushQuiet)
	for {
		select {
		case b, ok := <-w.batches:
			if !ok {
				return
			}
			calm = e.opts.Clock.After(e.opts.Timing.FlushQuiet)
			var packets bool
			end, err := w.take(h, b, &packets)
			if end, _ = w.flush(h, end, err); end != 0 {
				return
			}
		case sig := <-w.o.Stop:
			w.noteSignal(sig)
			return
		case <-calm:
			if !w.behind() {
				return
			}
			calm = e.opts.Clock.After(e.opts.Timing.FlushQuiet)
		}
	}
}

// take delivers b and every batch queued behind it, without waiting for
// more, and notes whether any held packet alerts. A non-zero End ends
// monitoring.
func (w *Watch) take(h Handler, b *Batch, packets *bool) (End, error) {
	for {
		*packets = *packets || b.packets()
		if end, err := w.deliver(h, b); end != 0 {
			return end, err
		}
		var ok bool
		select {
		case b, ok = <-w.batches:
			if !ok {
				return EndReceive, nil
			}
		default:
			return 0, nil
		}
	}
}

// flush calls h.Flush after take, and returns take's End, or EndHandler
// with Flush's error if it failed.
func (w *Watch) flush(h Handler, end End, err error) (End, error) {
	if ferr := h.Flush(); ferr != nil {
		return EndHandler, ferr
	}
	return end, err
}

// deliver hands one batch to h and recycles it.
func (w *Watch) deliver(h Handler, b *Batch) (End, error) {
	defer b.recycle()
	w.handled = max(w.handled, b.upTo)
	if b.panicked != nil {
		panic(b.panicked)
	}
	if b.err != nil {
		return EndReceive, b.err
	}
	for _, m := range b.Messages {
		w.e.setMode(m.Mode)
	}
	if err := h.Take(b); err != nil {
		return EndHandler, err
	}
	return 0, nil
}

// Losses are what a Watch could not deliver, each counted exactly where
// the kernel allows.
type Losses struct {
	// KernelTailDrops: packet alerts the kernel discarded because a
	// per-CPU queue was full (NET_DM STATS_GET "Tail dropped", software
	// and hardware), since START.
	KernelTailDrops uint64
	// SocketOverruns: ENOBUFS episodes on the socket; SocketDrops: the
	// alerts lost with them (/proc/net/netlink Drops).
	SocketOverruns, SocketDrops uint64
	// FullSummaries: summary alerts that held the kernel's 64 locations,
	// after which it ignores new ones (dm_hit_limit).
	FullSummaries uint64
	// Malformed: messages that could not be decoded.
	Malformed uint64
	// TracepointLost: samples the perf ring buffers could not hold.
	TracepointLost uint64
}

// Losses counts what this Watch could not deliver so far. It may be called
// at any time before Close, from any goroutine; on NET_DM it sends a
// STATS_GET request.
func (w *Watch) Losses() Losses {
	st := w.src.Stats()
	l := Losses{FullSummaries: st.FullSummaries, Malformed: st.Malformed}
	drops, _ := w.src.SocketDrops()
	if w.e.backend == BackendTracepoint {
		// The tracer's "socket drops" are the samples its ring buffers
		// could not hold.
		l.TracepointLost = drops
		return l
	}
	l.SocketOverruns, l.SocketDrops = st.Overruns, drops
	if end, ok := w.e.tailDrops(); ok && w.tailKnown {
		l.KernelTailDrops = end - min(end, w.tailStart)
	}
	return l
}

// Close ends receiving and closes the source. It does not send STOP
// (Stop, Engine.StopOwned).
func (w *Watch) Close() error {
	w.cancel()
	for b := range w.batches {
		b.recycle()
	}
	return w.src.Close()
}

// receiverState is what the receiving goroutine and Run share.
type receiverState struct {
	// eager tells the receiver to hand over each datagram's records at
	// once: the drain and the flush time their end by the alerts'
	// arrival.
	eager atomic.Bool
	// read counts the datagrams the receiver has taken from the source.
	read atomic.Uint64
}

func (w *Watch) receive(ctx context.Context) {
	var r Resolver
	if w.e.opts.Symbols != nil {
		r = w.e.opts.Symbols
	}
	receive(ctx, w.src, r, w.e.opts.Stacks && w.e.backend == BackendTracepoint, w.batches, &w.rcv)
}

// receive reads alerts and resolves them for Run until ctx is done or
// receiving fails. From a source that says when it has nothing more
// queued (IdleEvents), it gathers the datagrams that came together into
// one batch, at most HoldFor of a stream that does not pause, unless
// st.eager is set (Run is draining before STOP, and times its end by the
// alerts' arrival).
func receive(ctx context.Context, src Events, r Resolver, stacks bool, out chan<- *Batch, st *receiverState) {
	defer close(out)
	var resolved uint64
	send := func(b *Batch) bool {
		b.upTo = resolved
		select {
		case out <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	defer func() {
		if p := recover(); p != nil {
			send(&Batch{panicked: p})
		}
	}()
	_, holds := src.(IdleEvents)
	var held *Batch
	var since time.Time // when held was begun
	for {
		evs, err := src.Receive(ctx)
		if err != nil {
			if held != nil {
				if !send(held) {
					return
				}
				held = nil
			}
			if holds && errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			if ctx.Err() == nil {
				send(&Batch{err: err})
			}
			return
		}
		st.read.Add(1)
		var chains [][]uint64
		if ss, ok := src.(StackEvents); ok && stacks {
			chains = ss.LastStacks()
		}
		if held != nil && hasErr(evs) {
			// A message that could not be decoded is reported after the
			// records that came before it.
			if !send(held) {
				return
			}
			held = nil
		}
		if held == nil {
			held, since = newBatch(), time.Now()
		}
		first := len(held.Records)
		resolve(held, evs, r, chains)
		if ts, ok := src.(TaskEvents); ok {
			addTasks(held.Records[first:], ts.LastTasks())
		}
		resolved++
		if !holds || st.eager.Load() || len(held.Errs) > 0 || len(held.Records) >= holdRecords || time.Since(since) >= HoldFor {
			if !send(held) {
				return
			}
			held = nil
		}
	}
}

// addTasks gives the records of one Receive's packet events, one record
// per event, their tasks.
func addTasks(recs []Record, tasks []Task) {
	if len(recs) != len(tasks) {
		return
	}
	for i := range recs {
		recs[i].Task, recs[i].HasTask = tasks[i], true
	}
}

func hasErr(evs []dropmon.Event) bool {
	for i := range evs {
		if evs[i].Err != nil {
			return true
		}
	}
	return false
}
