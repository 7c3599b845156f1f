package main

// A fake kernel, clock and terminal for driving dropwatch in tests (delve's
// FakeTerminal style): commands come from a string, output goes to buffers,
// the fake backend records every request and replays the alerts a test
// feeds it.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chzyer/readline"

	"github.com/dropwatch-go/dropwatch/internal/fixtures"
	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
	"github.com/dropwatch-go/dropwatch/pkg/nlpcap"
)

// waitLimit bounds how long a test waits for dropwatch to do something; it
// is a safety net against hangs, never a measured delay.
const waitLimit = 10 * time.Second

// syncBuffer is an output buffer a test can read while dropwatch writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	// failAfter, when positive, makes writes fail once the buffer holds
	// that many bytes, as a pipe whose reader went away.
	failAfter int
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failAfter > 0 && b.buf.Len()+len(p) > b.failAfter {
		return 0, fmt.Errorf("write /dev/stdout: broken pipe")
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the output contains s.
func (b *syncBuffer) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !strings.Contains(b.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("output never contained %q; it is:\n%s", s, b.String())
		}
		time.Sleep(time.Millisecond)
	}
}

// received is what a fake Receive returns.
type received struct {
	evs   []dropmon.Event
	err   error
	panic any
	// took receives the number of the Receive call that took this.
	took chan int
}

// fakeBackend records requests; errs holds the errors the next requests of
// an operation return, in order.
type fakeBackend struct {
	mu     sync.Mutex
	calls  []string
	errs   map[string][]error
	config dropmon.Config
	stats  dropmon.Stats
	// statsSeq, when not empty, holds the replies of successive STATS_GETs.
	statsSeq []dropmon.Stats
	losses   dropmon.MonitorStats
	drops    uint64
	// feed carries the alerts of the open monitor.
	feed chan received
	// receives counts dropwatch's Receive calls and closes of monitors.
	receives int
	called   chan string
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{
		errs:   map[string][]error{},
		config: dropmon.Config{Mode: dropmon.ModeSummary, QueueLen: 1000},
		feed:   make(chan received),
		called: make(chan string, 1000),
	}
}

// failNext makes the next request of op ("start", "stop", "config",
// "config-get", "stats-get", "listen") fail with err.
func (f *fakeBackend) failNext(op string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs[op] = append(f.errs[op], err)
}

func (f *fakeBackend) record(op, call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	f.called <- call
	if errs := f.errs[op]; len(errs) > 0 {
		f.errs[op] = errs[1:]
		return errs[0]
	}
	return nil
}

func (f *fakeBackend) recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// waitCall waits until dropwatch has made the request call.
func (f *fakeBackend) waitCall(t *testing.T, call string) {
	t.Helper()
	timeout := time.After(waitLimit)
	for {
		select {
		case c := <-f.called:
			if c == call {
				return
			}
		case <-timeout:
			t.Fatalf("dropwatch never sent %q; requests: %q", call, f.recorded())
		}
	}
}

// send hands the monitor one datagram's events and waits until dropwatch
// has queued them for printing (it is receiving again, or has closed the
// monitor), so that a timer the test fires next comes after them.
func (f *fakeBackend) send(t *testing.T, r received) {
	t.Helper()
	r.took = make(chan int, 1)
	select {
	case f.feed <- r:
	case <-time.After(waitLimit):
		t.Fatalf("dropwatch is not receiving")
	}
	taken := <-r.took
	deadline := time.Now().Add(waitLimit)
	for {
		f.mu.Lock()
		done := f.receives > taken
		f.mu.Unlock()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("dropwatch did not take the alerts")
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// receiving counts a Receive call or a close.
func (f *fakeBackend) receiving() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.receives++
	return f.receives
}

func sourceName(src dropmon.Source) string {
	var s []string
	if src&dropmon.SourceSoftware != 0 {
		s = append(s, "sw")
	}
	if src&dropmon.SourceHardware != 0 {
		s = append(s, "hw")
	}
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, "+")
}

func (f *fakeBackend) Start(ctx context.Context, src dropmon.Source) error {
	return f.record("start", "start "+sourceName(src))
}

func (f *fakeBackend) Stop(ctx context.Context, src dropmon.Source) error {
	return f.record("stop", "stop "+sourceName(src))
}

func (f *fakeBackend) SetConfig(ctx context.Context, u dropmon.ConfigUpdate) error {
	var s []string
	if u.Mode != nil {
		s = append(s, "mode="+u.Mode.String())
	}
	if u.TruncLen != nil {
		s = append(s, fmt.Sprintf("trunc=%d", *u.TruncLen))
	}
	if u.QueueLen != nil {
		s = append(s, fmt.Sprintf("queue=%d", *u.QueueLen))
	}
	return f.record("config", "config "+strings.Join(s, " "))
}

func (f *fakeBackend) Config(ctx context.Context) (*dropmon.Config, error) {
	if err := f.record("config-get", "config-get"); err != nil {
		return nil, err
	}
	c := f.config
	return &c, nil
}

func (f *fakeBackend) Stats(ctx context.Context) (*dropmon.Stats, error) {
	if err := f.record("stats-get", "stats-get"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stats
	if len(f.statsSeq) > 0 {
		s, f.statsSeq = f.statsSeq[0], f.statsSeq[1:]
	}
	return &s, nil
}

func (f *fakeBackend) Listen() (drops.Events, error) {
	if err := f.record("listen", "listen"); err != nil {
		return nil, err
	}
	return &fakeMonitor{f: f}, nil
}

func (f *fakeBackend) Close() error { return nil }

// testFamilyID is the fake kernel's NET_DM family ID.
const testFamilyID = 0x1c

func (f *fakeBackend) FamilyID() uint16 { return testFamilyID }

type fakeMonitor struct{ f *fakeBackend }

func (m *fakeMonitor) Receive(ctx context.Context) ([]dropmon.Event, error) {
	n := m.f.receiving()
	select {
	case r := <-m.f.feed:
		if r.took != nil {
			r.took <- n
		}
		if r.panic != nil {
			panic(r.panic)
		}
		return r.evs, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (m *fakeMonitor) Stats() dropmon.MonitorStats {
	m.f.mu.Lock()
	defer m.f.mu.Unlock()
	return m.f.losses
}

func (m *fakeMonitor) SocketDrops() (uint64, error) {
	m.f.mu.Lock()
	defer m.f.mu.Unlock()
	return m.f.drops, nil
}

func (m *fakeMonitor) Close() error {
	m.f.receiving()
	m.f.record("close-monitor", "close-monitor")
	return nil
}

// fakeClock hands every timer dropwatch sets to the test, which fires it.
type fakeClock struct{ timers chan fakeTimer }

type fakeTimer struct {
	d time.Duration
	c chan time.Time
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	t := fakeTimer{d: d, c: make(chan time.Time, 1)}
	c.timers <- t
	return t.c
}

// harness runs one dropwatch.
type harness struct {
	be     *fakeBackend
	clock  *fakeClock
	sigs   chan os.Signal
	stdout *syncBuffer
	stderr *syncBuffer
	app    *app
	done   chan int
	timers []fakeTimer // set by dropwatch and not fired
}

func newHarness(stdin string) *harness {
	h := &harness{
		be:     newFakeBackend(),
		clock:  &fakeClock{timers: make(chan fakeTimer, 100)},
		sigs:   make(chan os.Signal, 4),
		stdout: &syncBuffer{},
		stderr: &syncBuffer{},
		done:   make(chan int, 1),
	}
	h.app = &app{
		stdin:  strings.NewReader(stdin),
		stdout: h.stdout,
		stderr: h.stderr,
		sigs:   h.sigs,
		backends: drops.Backends{
			NetDM:      func() (drops.Kernel, error) { return h.be, nil },
			Tracepoint: func(bool) (drops.Kernel, error) { return nil, errors.New("no tracepoint in tests") },
			Diagnose:   func() dropmon.Diagnosis { return dropmon.Diagnosis{} },
		},
		loadSymbols: newFakeFile().loader,
		fetchFamily: func(context.Context) ([]byte, error) {
			return nlpcap.NewFamilyMessage(nlpcap.NETDMFamily(testFamilyID, 0)), nil
		},
		clock:  h.clock,
		loc:    time.UTC,
		timing: drops.DefaultTiming, // distinct durations: a test can tell the timers apart
		tuneReadline: func(c *readline.Config) {
			c.FuncMakeRaw = func() error { return nil }
			c.FuncExitRaw = func() error { return nil }
			c.FuncGetWidth = func() int { return 80 }
			c.FuncOnWidthChanged = func(func()) {}
		},
	}
	return h
}

// start runs dropwatch with args in the background.
func (h *harness) start(args ...string) *harness {
	go func() { h.done <- h.app.main(args) }()
	return h
}

// run runs dropwatch to its end.
func (h *harness) run(t *testing.T, args ...string) int {
	t.Helper()
	return h.start(args...).wait(t)
}

// wait returns dropwatch's exit status.
func (h *harness) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-h.done:
		return code
	case <-time.After(waitLimit):
		t.Fatalf("dropwatch did not end; output:\n%s\nstderr:\n%s", h.stdout, h.stderr)
		return -1
	}
}

// fire fires the timers dropwatch has set that last d, waiting for one if
// there is none yet. Firing a timer that dropwatch has replaced (it re-arms
// its quiet timers at every alert) does nothing.
func (h *harness) fire(t *testing.T, d time.Duration) {
	t.Helper()
	timeout := time.After(waitLimit)
	for {
		h.collectTimers()
		fired := false
		rest := h.timers[:0]
		for _, tm := range h.timers {
			if tm.d == d {
				tm.c <- time.Time{}
				fired = true
				continue
			}
			rest = append(rest, tm)
		}
		h.timers = rest
		if fired {
			return
		}
		select {
		case tm := <-h.clock.timers:
			h.timers = append(h.timers, tm)
		case <-timeout:
			t.Fatalf("dropwatch set no %v timer; requests %q; output:\n%s", d, h.be.recorded(), h.stdout)
		}
	}
}

// waitTimer waits until dropwatch has set a timer that lasts d, and
// leaves it unfired.
func (h *harness) waitTimer(t *testing.T, d time.Duration) {
	t.Helper()
	timeout := time.After(waitLimit)
	for {
		for _, tm := range h.timers {
			if tm.d == d {
				return
			}
		}
		select {
		case tm := <-h.clock.timers:
			h.timers = append(h.timers, tm)
		case <-timeout:
			t.Fatalf("dropwatch set no %v timer; output:\n%s", d, h.stdout)
		}
	}
}

// collectTimers moves the timers dropwatch has set to h.timers.
func (h *harness) collectTimers() {
	for {
		select {
		case tm := <-h.clock.timers:
			h.timers = append(h.timers, tm)
		default:
			return
		}
	}
}

// noTimer checks that dropwatch set no timer that has not fired.
func (h *harness) noTimer(t *testing.T) {
	t.Helper()
	h.collectTimers()
	for _, tm := range h.timers {
		t.Errorf("dropwatch set an unexpected %v timer", tm.d)
	}
}

// newFakeTracepoint is the tracepoint backend on a fake tracer.
func newFakeTracepoint() (drops.Kernel, *fixtures.Tracer) {
	ft := fixtures.NewTracer(10)
	return drops.NewTracepoint(func() (drops.Tracer, error) { return ft, nil }), ft
}
