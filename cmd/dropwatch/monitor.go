package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
)

// rendered is one alert message as text. Each unit counts as one alert
// toward the alert limit: a summary alert's line per drop point or hardware
// trap, a packet alert's block.
type rendered struct {
	units []string
	mode  dropmon.AlertMode
}

// batch is what the receiving goroutine hands the printer: the messages of
// one datagram, or why receiving ended.
type batch struct {
	msgs     []rendered
	notes    []string // stderr lines about messages that were not understood
	err      error
	panicked any // a panic of the receiving goroutine, re-raised by the printer
}

// packets reports whether the batch holds packet alerts.
func (b batch) packets() bool {
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
		return nil
	}
	if s.force {
		_ = s.request(func(ctx context.Context) error { return s.be.Stop(ctx, s.source()) })
	}
	err = s.request(func(ctx context.Context) error { return s.be.Start(ctx, s.source()) })
	if err != nil {
		src.Close()
		s.printf(fmtStartFailed, strerror(err))
		s.hint("start", err)
		return nil
	}
	s.started = true
	s.say(msgActivated)
	s.say(msgIssueCtrlC)
	w := watcher{s: s, src: src}
	return w.run()
}

// listenPassively is start under --passive: join the events group and
// print what monitoring that another tool started sends, without START.
func (s *session) listenPassively() error {
	src, err := s.be.Listen()
	if err != nil {
		s.warn("dropwatch: cannot listen for drop alerts: %s\n", strerror(err))
		s.hint("listen", err)
		return nil
	}
	s.say(msgListening)
	s.say(msgIssueCtrlCListen)
	w := watcher{s: s, src: src}
	return w.run()
}

// watcher is one monitoring session, from START to STOP.
type watcher struct {
	s       *session
	src     eventSource
	batches chan batch
	count   uint64 // alerts printed since START: the limit counts per start
	// draining: a signal came; alerts are printed until the drain ends.
	draining bool
	// hurry: a second signal came: STOP at once, no more waiting.
	hurry bool
	// exit is set by SIGTERM or SIGHUP: exit once monitoring is stopped.
	exit os.Signal
}

func (w *watcher) run() error {
	s := w.s
	ctx, cancel := context.WithCancel(context.Background())
	w.batches = make(chan batch, 64)
	go s.receive(ctx, w.src, w.batches)
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
	w.reportLosses()
	switch {
	case s.out.failed() != nil:
		fmt.Fprintf(s.stderr, "dropwatch: writing output: %v\n", s.out.failed())
		return exitCode(1)
	case w.exit != nil:
		return signalExit(w.exit)
	}
	return nil
}

// loop prints alerts until monitoring has to end.
func (w *watcher) loop() ending {
	s := w.s
	var deadline, calm <-chan time.Time
	for {
		select {
		case b, ok := <-w.batches:
			if !ok {
				return endReceive
			}
			// The timer is set before the alerts are printed, so that a
			// test that has seen them knows which timer is current.
			if w.draining && (w.packetMode() || b.packets()) {
				calm = s.clock.After(s.timing.packetQuiet)
			}
			if end := w.emit(b); end != running {
				return end
			}
		case sig := <-s.sigs:
			w.noteSignal(sig)
			if w.draining || s.passive {
				w.hurry = true
				return endSignal
			}
			w.draining = true
			deadline = s.clock.After(s.timing.drain)
			if w.packetMode() {
				calm = s.clock.After(s.timing.packetQuiet)
			}
		case <-deadline:
			return endSignal
		case <-calm:
			return endSignal
		}
	}
}

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
	calm := s.clock.After(s.timing.flushQuiet)
	for {
		select {
		case b, ok := <-w.batches:
			if !ok {
				return
			}
			calm = s.clock.After(s.timing.flushQuiet)
			if w.emit(b) != running {
				return
			}
		case sig := <-s.sigs:
			w.noteSignal(sig)
			return
		case <-calm:
			return
		}
	}
}

// emit prints a batch and counts its alerts. When the limit is reached in
// the middle of a message, the rest of that message is still printed, as
// the C tool does; later messages are not.
func (w *watcher) emit(b batch) ending {
	s := w.s
	if b.panicked != nil {
		panic(b.panicked)
	}
	for _, n := range b.notes {
		fmt.Fprint(s.stderr, n)
	}
	if b.err != nil {
		s.warn(fmtReceiveFailed, strerror(b.err))
		return endReceive
	}
	var text strings.Builder
	limited := false
	for _, m := range b.msgs {
		s.mode, s.modeKnown = m.mode, true
		for _, u := range m.units {
			text.WriteString(u)
			w.count++
			limited = limited || w.count == s.alertLimit
		}
		if limited {
			break
		}
	}
	s.out.print(text.String())
	switch {
	case s.out.failed() != nil:
		return endOutput
	case limited:
		return endLimit
	}
	return running
}

// reportLosses says on stderr what the kernel could not deliver.
func (w *watcher) reportLosses() {
	st := w.src.Stats()
	drops, err := w.src.SocketDrops()
	if err == nil && drops > 0 {
		w.s.warn("dropwatch: the receive buffer overflowed: the kernel discarded %d alert messages\n", drops)
	} else if st.Overruns > 0 {
		w.s.warn("dropwatch: the receive buffer overflowed %d times: the kernel discarded alerts\n", st.Overruns)
	}
	if st.FullSummaries > 0 {
		w.s.warn("dropwatch: %d summary alerts held the kernel's maximum of %d drop locations: locations beyond it were not reported\n", st.FullSummaries, dropmon.MaxSummaryPoints)
	}
}

// receive reads alerts and renders them for the printer until ctx is done
// or receiving fails. Rendering here lets the printer drop the events,
// which are only valid until the next Receive.
func (s *session) receive(ctx context.Context, src eventSource, out chan<- batch) {
	defer close(out)
	send := func(b batch) bool {
		select {
		case out <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	defer func() {
		if p := recover(); p != nil {
			send(batch{panicked: p})
		}
	}()
	for {
		evs, err := src.Receive(ctx)
		if err != nil {
			if ctx.Err() == nil {
				send(batch{err: err})
			}
			return
		}
		var stacks [][]uint64
		if ss, ok := src.(stackSource); ok && s.stacks {
			stacks = ss.lastStacks()
		}
		if !send(s.render(evs, stacks)) {
			return
		}
	}
}

// render renders the events of one datagram; stacks, when not nil, holds
// the kernel call chain of each (--stack on the tracepoint), printed after
// the fields of its packet block, before the empty line that ends it.
func (s *session) render(evs []dropmon.Event, stacks [][]uint64) batch {
	var b batch
	for i, ev := range evs {
		switch {
		case ev.Alert != nil:
			b.msgs = append(b.msgs, rendered{units: summaryLines(ev.Alert, s.res), mode: dropmon.ModeSummary})
		case ev.Packet != nil:
			p := ev.Packet
			if p.HasPC && p.Symbol == "" {
				// NET_DM always sends the kernel's symbol text; the
				// tracepoint backend has none to send.
				withSymbol := *p
				withSymbol.Symbol = symbolText(s.res, p.PC)
				p = &withSymbol
			}
			block := packetBlock(p, s.loc)
			if i < len(stacks) && len(stacks[i]) > 0 {
				block = strings.TrimSuffix(block, "\n") + stackText(s.res, stacks[i]) + "\n"
			}
			b.msgs = append(b.msgs, rendered{units: []string{block}, mode: dropmon.ModePacket})
		case ev.Err != nil:
			b.notes = append(b.notes, fmt.Sprintf("dropwatch: ignoring a message: %v\n", ev.Err))
		}
	}
	return b
}
