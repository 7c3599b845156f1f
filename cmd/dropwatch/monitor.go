package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dropwatch-go/dropwatch/internal/report"
	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
)

// batch is what the receiving goroutine hands the printer: the messages of
// one datagram, or why receiving ended. The printer returns it to
// batchPool once printed, so that a burst reuses a few batches' storage.
type batch struct {
	msgs  []rendered
	units []unit   // of every message, each message's in a row
	text  []byte   // of every unit
	notes []string // stderr lines about messages that were not understood
	err   error
	// upTo is how many datagrams the receiver had rendered, this batch's
	// last among them, when it handed the batch over.
	upTo uint64
	// panicked is a panic of the receiving goroutine, re-raised by the
	// printer.
	panicked any
}

var batchPool = sync.Pool{New: func() any { return new(batch) }}

func newBatch() *batch { return batchPool.Get().(*batch) }

// recycle empties b, dropping what it refers to, and returns it to the
// pool.
func (b *batch) recycle() {
	clear(b.msgs)
	clear(b.units)
	clear(b.notes)
	*b = batch{msgs: b.msgs[:0], units: b.units[:0], text: b.text[:0], notes: b.notes[:0]}
	batchPool.Put(b)
}

// unitText is a unit's text in the C tool's format.
func (b *batch) unitText(u *unit) []byte { return b.text[u.text[0]:u.text[1]] }

// packets reports whether the batch holds packet alerts.
func (b *batch) packets() bool {
	for _, m := range b.msgs {
		if m.mode == dropmon.ModePacket {
			return true
		}
	}
	return false
}

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

// ending is why monitoring ends.
type ending int

const (
	running    ending = iota
	endSignal         // Ctrl-C (back to the prompt), SIGTERM or SIGHUP (exit)
	endLimit          // the alert limit: STOP at once, no drain
	endOutput         // standard output failed: STOP at once, then exit
	endReceive        // receiving failed: STOP at once
)

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
	if s.passive {
		return s.listenPassively()
	}
	s.say(msgEnabling)
	// The socket joins the multicast group before START, so that no alert
	// sent after the kernel's reply can be missed.
	src, err := s.be.Listen()
	if err != nil {
		s.printf(fmtStartFailed, strerror(err))
		s.hint("listen", err)
		return false, nil
	}
	tail, tailKnown := s.tailDrops()
	if s.force {
		_ = s.request(func(ctx context.Context) error { return s.be.Stop(ctx, s.source()) })
	}
	err = s.request(func(ctx context.Context) error { return s.be.Start(ctx, s.source()) })
	if err != nil {
		src.Close()
		s.printf(fmtStartFailed, strerror(err))
		s.hint("start", err)
		return false, nil
	}
	s.started = true
	s.say(msgActivated)
	s.say(msgIssueCtrlC)
	s.prefetchSymbols()
	w := watcher{s: s, src: src, tailStart: tail, tailKnown: tailKnown}
	return true, w.run()
}

// prefetchSymbols starts loading the symbol table when this session will
// look up many addresses: the kernel stacks of --stack. Other sessions
// read the file at their first lookup (symbols.go).
func (s *session) prefetchSymbols() {
	if l, ok := s.res.(*symbols); ok && s.stacks {
		l.loadTable()
	}
}

// listenPassively is start under --passive: join the events group and
// print what monitoring that another tool started sends, without START.
func (s *session) listenPassively() (bool, error) {
	src, err := s.be.Listen()
	if err != nil {
		s.warn("dropwatch: cannot listen for drop alerts: %s\n", strerror(err))
		s.hint("listen", err)
		return false, nil
	}
	tail, tailKnown := s.tailDrops()
	s.say(msgListening)
	s.say(msgIssueCtrlCListen)
	s.prefetchSymbols()
	w := watcher{s: s, src: src, tailStart: tail, tailKnown: tailKnown}
	return true, w.run()
}

// watcher is one monitoring session, from START to STOP.
type watcher struct {
	s       *session
	src     eventSource
	batches chan *batch
	// text is what the printer has yet to write on the alert stream; json
	// writes there (--json).
	text  bytes.Buffer
	json  *report.JSONWriter
	count uint64 // alerts printed since START: the limit counts per start
	// filtered counts the alerts the filter left out.
	filtered uint64
	// tailStart is the kernel's tail drop count at START, if known.
	tailStart uint64
	tailKnown bool
	// draining: a signal came; alerts are printed until the drain ends.
	draining bool
	rcv      receiverState
	// handled is the largest upTo of the batches taken.
	handled uint64
	// hurry: a second signal came: STOP at once, no more waiting.
	hurry bool
	// exit is set by SIGTERM or SIGHUP: exit once monitoring is stopped.
	exit os.Signal
}

func (w *watcher) run() error {
	s := w.s
	s.table.Reset()
	s.began = time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	w.batches = make(chan *batch, 64)
	w.json = report.NewJSONWriter(&w.text)
	go s.receive(ctx, w.src, w.batches, &w.rcv)
	defer func() {
		cancel()
		for range w.batches {
		}
		w.src.Close()
	}()

	end := w.loop()
	switch {
	case end == endLimit && s.passive:
		s.say(msgLimitReached)
	case end == endLimit:
		s.say(msgLimitReached)
		s.say(msgDeactivating)
	}
	if s.passive {
		// Monitoring is another tool's: nothing to drain, nothing to stop.
		s.say(msgStoppedListening)
	} else if s.sendStop() {
		if end == endSignal && !w.hurry {
			w.flush()
		}
		s.say(msgGotStop)
	}
	s.lastLosses = w.losses()
	if !s.once {
		fmt.Fprintln(s.stderr, "dropwatch: "+s.lastLosses.String())
	}
	switch {
	case s.outputFailed() != nil:
		fmt.Fprintf(s.stderr, "dropwatch: writing output: %v\n", s.outputFailed())
		return exitCode(1)
	case s.pcapFailed:
		return exitCode(1)
	case w.exit != nil:
		return signalExit(w.exit)
	}
	return nil
}

// loop prints alerts until monitoring has to end.
func (w *watcher) loop() ending {
	s := w.s
	var deadline, calm, until <-chan time.Time
	if s.onceFor > 0 {
		until = s.clock.After(s.onceFor)
	}
	// drain keeps printing before STOP: in summary mode for the kernel's
	// pending 1-second batches, in packet mode until alerts stop coming.
	drain := func() {
		w.draining = true
		w.rcv.eager.Store(true)
		deadline = s.clock.After(s.timing.drain)
		if w.packetMode() {
			calm = s.clock.After(s.timing.packetQuiet)
		}
	}
	for {
		select {
		case b, ok := <-w.batches:
			if !ok {
				return endReceive
			}
			end, packets := w.take(b)
			// The timer is set before the alerts are written, so that a
			// test that has seen them knows which timer is current.
			if w.draining && (w.packetMode() || packets) {
				calm = s.clock.After(s.timing.packetQuiet)
			}
			if end = w.write(end); end != running {
				return end
			}
		case sig := <-s.sigs:
			w.noteSignal(sig)
			if w.draining || s.passive {
				w.hurry = true
				return endSignal
			}
			drain()
		case <-until:
			// --once's time is up: end as Ctrl-C does.
			until = nil
			if s.passive {
				return endSignal
			}
			if !w.draining {
				drain()
			}
		case <-deadline:
			return w.emitQueued(endSignal)
		case <-calm:
			return w.emitQueued(endSignal)
		}
	}
}

// emitQueued prints the batches already received when the drain ends,
// and those of datagrams the receiver has read and is still rendering,
// then ends monitoring. A second signal ends it at once.
func (w *watcher) emitQueued(end ending) ending {
	for {
		var b *batch
		var ok bool
		select {
		case b, ok = <-w.batches:
		default:
			if !w.behind() {
				return end
			}
			select {
			case b, ok = <-w.batches:
			case sig := <-w.s.sigs:
				w.noteSignal(sig)
				w.hurry = true
				return end
			}
		}
		if !ok {
			return end
		}
		if e := w.write(w.takeOnly(b)); e != running {
			return e
		}
	}
}

// behind reports whether the receiver has read datagrams that the printer
// has not taken yet. Rendering one can take a while (the first summary
// alert reads kallsyms), and what was read must not be lost to the end of
// a drain.
func (w *watcher) behind() bool { return w.handled < w.rcv.read.Load() }

func (w *watcher) noteSignal(sig os.Signal) {
	if !isInterrupt(sig) {
		w.exit = sig
	}
}

func (w *watcher) packetMode() bool { return w.s.modeKnown && w.s.mode == dropmon.ModePacket }

// flush prints the alerts the kernel sent before its reply to STOP, which
// are still in the socket or the channel, until none has come for a while.
func (w *watcher) flush() {
	s := w.s
	w.rcv.eager.Store(true)
	calm := s.clock.After(s.timing.flushQuiet)
	for {
		select {
		case b, ok := <-w.batches:
			if !ok {
				return
			}
			calm = s.clock.After(s.timing.flushQuiet)
			if w.write(w.takeOnly(b)) != running {
				return
			}
		case sig := <-s.sigs:
			w.noteSignal(sig)
			return
		case <-calm:
			if !w.behind() {
				return
			}
			calm = s.clock.After(s.timing.flushQuiet)
		}
	}
}

// maxText bounds the text the printer gathers before it writes.
const maxText = 64 << 10

// take prints b and every batch queued behind it into w.text, up to
// maxText, without waiting for more, and reports whether any held packet
// alerts. The caller writes w.text: one write for a burst of alerts,
// which the kernel sends one datagram each.
func (w *watcher) take(b *batch) (end ending, packets bool) {
	for {
		packets = packets || b.packets()
		if end = w.emit(b); end != running || w.text.Len() >= maxText {
			return end, packets
		}
		var ok bool
		select {
		case b, ok = <-w.batches:
			if !ok {
				return endReceive, packets
			}
		default:
			return running, packets
		}
	}
}

func (w *watcher) takeOnly(b *batch) ending {
	end, _ := w.take(b)
	return end
}

// write writes what take gathered and returns end, or endOutput if the
// alert stream failed.
func (w *watcher) write(end ending) ending {
	if w.text.Len() > 0 {
		w.s.alerts.write(w.text.Bytes())
		w.text.Reset()
	}
	if w.s.outputFailed() != nil {
		return endOutput
	}
	return end
}

// emit prints a batch into w.text, counts its alerts and recycles it.
// When the limit is reached in the middle of a message, the rest of that
// message is still printed, as the C tool does; later messages are not.
func (w *watcher) emit(b *batch) ending {
	defer b.recycle()
	s := w.s
	w.handled = max(w.handled, b.upTo)
	if b.panicked != nil {
		panic(b.panicked)
	}
	if len(b.notes) > 0 || b.err != nil {
		// What stderr says comes after the alerts before it.
		if w.write(running) != running {
			return endOutput
		}
	}
	for _, n := range b.notes {
		fmt.Fprint(s.stderr, n)
	}
	if b.err != nil {
		s.warn(fmtReceiveFailed, strerror(b.err))
		return endReceive
	}
	limited := false
	for _, m := range b.msgs {
		s.mode, s.modeKnown = m.mode, true
		w.filtered += m.filtered
		if m.raw != nil && s.pcap != nil {
			if err := s.pcap.WriteDatagram(m.raw); err != nil {
				s.warn("dropwatch: writing %s: %v\n", s.pcapName, err)
				s.pcapFailed = true
				return endOutput
			}
		}
		for i := m.first; i < m.end; i++ {
			u := &b.units[i]
			s.table.Add(u.loc, u.reason, u.proto, u.hasProto, u.count)
			w.writeUnit(b, u)
			w.count++
			limited = limited || w.count == s.alertLimit
		}
		if limited {
			return endLimit
		}
	}
	return running
}

// writeUnit appends an alert to the text printed on the alert stream: its
// C-format text, or its JSON line (--json), or nothing when a pcap owns
// standard output (-w -).
func (w *watcher) writeUnit(b *batch, u *unit) {
	switch {
	case w.s.json:
		if u.packet != nil {
			w.json.Packet(u.packet, u.loc, u.stack)
		} else {
			w.json.Summary(u.at, u.loc, u.count)
		}
	case !w.s.quietAlerts:
		w.text.Write(b.unitText(u))
	}
}

// losses counts what this monitoring session could not report: the
// kernel's tail drops since START (a STATS_GET at each end, NET_DM only),
// our socket's or the tracer's losses, and what the filter left out.
func (w *watcher) losses() report.Losses {
	s := w.s
	st := w.src.Stats()
	l := report.Losses{FullSummaries: st.FullSummaries, Malformed: st.Malformed, Filtered: w.filtered}
	drops, _ := w.src.SocketDrops()
	if s.tracepoint {
		// The tracer's "socket drops" are the samples its ring buffers
		// could not hold.
		l.TracepointLost = drops
		return l
	}
	l.SocketOverruns, l.SocketDrops = st.Overruns, drops
	if end, ok := s.tailDrops(); ok && w.tailKnown {
		l.KernelTailDrops = end - min(end, w.tailStart)
	}
	return l
}

// tailDrops is the kernel's count of packet alerts it discarded because a
// per-CPU queue was full, software and hardware (STATS_GET, Linux 5.4+).
func (s *session) tailDrops() (uint64, bool) {
	if s.tracepoint {
		return 0, false
	}
	var st *dropmon.Stats
	err := s.request(func(ctx context.Context) (err error) { st, err = s.be.Stats(ctx); return err })
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

// receiverState is what the receiving goroutine and the printer share.
type receiverState struct {
	// eager tells the receiver to hand over each datagram's alerts at
	// once: the drain and the flush time their end by the alerts'
	// arrival.
	eager atomic.Bool
	// read counts the datagrams the receiver has taken from the source.
	read atomic.Uint64
}

// receive reads alerts and renders them for the printer until ctx is done
// or receiving fails. Rendering here lets the printer drop the events,
// which are only valid until the next Receive. From a source that says
// when it is idle (idleSource), it gathers the datagrams of up to holdFor
// into one batch, unless st.eager is set (the printer is draining before
// STOP, and times its end by the alerts' arrival).
func (s *session) receive(ctx context.Context, src eventSource, out chan<- *batch, st *receiverState) {
	defer close(out)
	var rendered uint64
	send := func(b *batch) bool {
		b.upTo = rendered
		select {
		case out <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	defer func() {
		if p := recover(); p != nil {
			send(&batch{panicked: p})
		}
	}()
	_, holds := src.(idleSource)
	var held *batch
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
				send(&batch{err: err})
			}
			return
		}
		st.read.Add(1)
		var stacks [][]uint64
		if ss, ok := src.(stackSource); ok && s.stacks {
			stacks = ss.lastStacks()
		}
		if held != nil && hasErr(evs) {
			// A note on stderr goes after the alerts that came before it.
			if !send(held) {
				return
			}
			held = nil
		}
		if held == nil {
			held, since = newBatch(), time.Now()
		}
		s.render(held, evs, stacks)
		rendered++
		if !holds || st.eager.Load() || len(held.notes) > 0 || len(held.text) >= holdText || time.Since(since) >= holdFor {
			if !send(held) {
				return
			}
			held = nil
		}
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

// render renders the events of one datagram into b and applies the
// filter; stacks, when not nil, holds the kernel call chain of each
// (--stack on the tracepoint).
func (s *session) render(b *batch, evs []dropmon.Event, stacks [][]uint64) {
	for i, ev := range evs {
		m := rendered{first: len(b.units)}
		switch {
		case ev.Alert != nil:
			// Summary alerts carry no time; packet alerts carry the
			// kernel's, so only these read the clock.
			m.mode = dropmon.ModeSummary
			b.units, b.text = appendSummaryUnits(b.units, b.text, ev.Alert, s.res, time.Now())
		case ev.Packet != nil:
			p := ev.Packet
			var where report.Location
			if p.HasPC && p.Symbol == "" {
				// NET_DM always sends the kernel's symbol text; the
				// tracepoint backend has none to send: name the location
				// as summary mode does, and stand in for the text.
				sym, found := lookupSymbol(s.res, p.PC)
				where = location(p.PC, sym, found)
				withSymbol := *p
				withSymbol.Symbol = pointer(p.PC)
				if found {
					withSymbol.Symbol = sym.String()
				}
				p = &withSymbol
			} else {
				where = packetLocation(p)
			}
			var stack []uint64
			if i < len(stacks) {
				stack = stacks[i]
			}
			var u unit
			u, b.text = appendPacketUnit(b.text, p, where, s.res, s.loc, stack)
			m.mode = dropmon.ModePacket
			b.units = append(b.units, u)
		case ev.Err != nil:
			b.notes = append(b.notes, fmt.Sprintf("dropwatch: ignoring a message: %v\n", ev.Err))
			continue
		default:
			continue
		}
		// The units the filter keeps move to the front of the message's.
		m.end = m.first
		for j := m.first; j < len(b.units); j++ {
			if keep(s.filter, &b.units[j]) {
				b.units[m.end] = b.units[j]
				m.end++
			} else {
				m.filtered++
			}
		}
		b.units = b.units[:m.end]
		if m.end > m.first {
			m.raw = ev.Raw
		}
		b.msgs = append(b.msgs, m)
	}
}
