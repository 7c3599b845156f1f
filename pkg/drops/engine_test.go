package drops

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dropwatch-go/dropwatch/internal/fixtures"
	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/skbtrace"
)

// waitLimit bounds how long a test waits for the engine; it is a safety
// net against hangs, never a measured delay.
const waitLimit = 10 * time.Second

// packetAlert is one datagram's NET_DM packet alert, told apart by its
// timestamp's nanoseconds.
func packetAlert(ns int) []dropmon.Event {
	return []dropmon.Event{{Packet: &dropmon.PacketAlert{
		HasOrigin: true, Origin: dropmon.OriginSoftware,
		HasPC: true, PC: 0xffffffff878bcae2, Symbol: "__udp4_lib_rcv+0x9a2/0xc30",
		Reason:       "NO_SOCKET",
		HasTimestamp: true, Timestamp: time.Date(2026, 11, 25, 12, 38, 38, ns, time.UTC),
		HasProto: true, Proto: 0x800,
	}}}
}

func summaryEvents(points ...dropmon.DropPoint) []dropmon.Event {
	return []dropmon.Event{{Alert: &dropmon.Alert{Points: points}}}
}

// fakeKernel is NET_DM: it records every request, fails those a test
// asks it to, and its monitor replays the datagrams a test feeds it.
type fakeKernel struct {
	mu     sync.Mutex
	calls  []string
	errs   map[string]error
	config dropmon.Config
	tail   uint64 // the kernel's software tail drops
	losses dropmon.MonitorStats
	drops  uint64
	feed   chan []dropmon.Event
	// reads counts the monitor's Receive calls.
	reads int
}

func newFakeKernel() *fakeKernel {
	return &fakeKernel{errs: map[string]error{}, feed: make(chan []dropmon.Event, 100)}
}

func (f *fakeKernel) record(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, op)
	err := f.errs[op]
	delete(f.errs, op)
	return err
}

func (f *fakeKernel) recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeKernel) Start(ctx context.Context, src dropmon.Source) error {
	return f.record("start " + src.String())
}

func (f *fakeKernel) Stop(ctx context.Context, src dropmon.Source) error {
	return f.record("stop " + src.String())
}

func (f *fakeKernel) SetConfig(ctx context.Context, u dropmon.ConfigUpdate) error {
	if err := f.record("config"); err != nil {
		return err
	}
	if u.Mode != nil {
		f.config.Mode = *u.Mode
	}
	return nil
}

func (f *fakeKernel) Config(ctx context.Context) (*dropmon.Config, error) {
	if err := f.record("config-get"); err != nil {
		return nil, err
	}
	c := f.config
	return &c, nil
}

func (f *fakeKernel) Stats(ctx context.Context) (*dropmon.Stats, error) {
	if err := f.record("stats-get"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return &dropmon.Stats{Software: &dropmon.OriginStats{Dropped: f.tail}}, nil
}

func (f *fakeKernel) Listen() (Events, error) {
	if err := f.record("listen"); err != nil {
		return nil, err
	}
	return &fakeEvents{f: f}, nil
}

func (f *fakeKernel) Close() error { return nil }

// fakeEvents is the fake kernel's monitor.
type fakeEvents struct{ f *fakeKernel }

func (m *fakeEvents) Receive(ctx context.Context) ([]dropmon.Event, error) {
	m.f.mu.Lock()
	m.f.reads++
	m.f.mu.Unlock()
	select {
	case evs := <-m.f.feed:
		return evs, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (m *fakeEvents) Stats() dropmon.MonitorStats {
	m.f.mu.Lock()
	defer m.f.mu.Unlock()
	return m.f.losses
}

func (m *fakeEvents) SocketDrops() (uint64, error) {
	m.f.mu.Lock()
	defer m.f.mu.Unlock()
	return m.f.drops, nil
}

func (m *fakeEvents) Close() error { return m.f.record("close-monitor") }

// fakeClock hands every timer the engine sets to the test, which fires it,
// except those of the durations in auto, which fire at once.
type fakeClock struct {
	timers chan fakeTimer
	auto   map[time.Duration]bool
}

type fakeTimer struct {
	d time.Duration
	c chan time.Time
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	t := fakeTimer{d: d, c: make(chan time.Time, 1)}
	if c.auto[d] {
		t.c <- time.Time{}
		return t.c
	}
	c.timers <- t
	return t.c
}

// fire fires the next timer of length d the engine sets, ignoring others.
func (c *fakeClock) fire(t *testing.T, d time.Duration) {
	t.Helper()
	for {
		select {
		case tm := <-c.timers:
			if tm.d == d {
				tm.c <- time.Time{}
				return
			}
		case <-time.After(waitLimit):
			t.Fatalf("no %v timer", d)
		}
	}
}

// fireAll fires every timer of length d the engine has set, at least one.
func (c *fakeClock) fireAll(t *testing.T, d time.Duration) {
	t.Helper()
	c.fire(t, d)
	for {
		select {
		case tm := <-c.timers:
			if tm.d == d {
				tm.c <- time.Time{}
			}
		default:
			return
		}
	}
}

// collector is a Handler that keeps what it is given.
type collector struct {
	mu      sync.Mutex
	records []Record
	takes   int
	flushes int
	// failAt makes Take fail once it holds that many records.
	failAt int
}

var errFull = errors.New("full")

func (c *collector) Take(b *Batch) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.takes++
	c.records = append(c.records, b.Records...)
	if c.failAt > 0 && len(c.records) >= c.failAt {
		return errFull
	}
	return nil
}

func (c *collector) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushes++
	return nil
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.records)
}

// waitCount waits until the collector holds n records.
func (c *collector) waitCount(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for c.count() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d records, want %d", c.count(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// openFake opens an engine on k as NET_DM with a fake clock.
func openFake(t *testing.T, k *fakeKernel, o Options) (*Engine, *fakeClock) {
	t.Helper()
	clock := &fakeClock{timers: make(chan fakeTimer, 100), auto: map[time.Duration]bool{DefaultTiming.FlushQuiet: true}}
	o.Backends = Backends{NetDM: func() (Kernel, error) { return k, nil }}
	o.Clock = clock
	e, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	return e, clock
}

func TestOpen(t *testing.T) {
	nd, tp := newFakeKernel(), newFakeKernel()
	notBuilt := dropmon.Diagnosis{KernelRelease: "6.18.0", Config: dropmon.NotBuilt, ConfigSource: "/proc/config.gz"}
	tpErr := &skbtrace.Error{Op: "perf_event_open", Err: syscall.EPERM}
	okNetDM := func() (Kernel, error) { return nd, nil }
	noNetDM := func() (Kernel, error) { return nil, dropmon.ErrFamilyNotFound }
	okTP := func(bool) (Kernel, error) { return tp, nil }
	badTP := func(bool) (Kernel, error) { return nil, tpErr }
	tests := []struct {
		name       string
		backend    string
		netdm      func() (Kernel, error)
		tracepoint func(bool) (Kernel, error)
		want       Kernel
		chosen     string
		diagnosed  bool
		err        error
	}{
		{name: "auto with NET_DM", backend: "", netdm: okNetDM, tracepoint: okTP, want: nd, chosen: BackendNetDM},
		{name: "auto without NET_DM", backend: BackendAuto, netdm: noNetDM, tracepoint: okTP, want: tp, chosen: BackendTracepoint, diagnosed: true},
		{
			name: "auto without either", backend: BackendAuto, netdm: noNetDM, tracepoint: badTP,
			err: &NoNetDMError{Diagnosis: notBuilt, Err: dropmon.ErrFamilyNotFound, Tracepoint: tpErr},
		},
		{
			name: "netdm without NET_DM", backend: BackendNetDM, netdm: noNetDM, tracepoint: okTP,
			err: &NoNetDMError{Diagnosis: notBuilt, Err: dropmon.ErrFamilyNotFound},
		},
		{name: "tracepoint", backend: BackendTracepoint, tracepoint: okTP, want: tp, chosen: BackendTracepoint},
		{name: "tracepoint unusable", backend: BackendTracepoint, tracepoint: badTP, err: tpErr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Open(Options{Backend: tt.backend, Backends: Backends{
				NetDM: tt.netdm, Tracepoint: tt.tracepoint, Diagnose: func() dropmon.Diagnosis { return notBuilt },
			}})
			var want, got *NoNetDMError
			switch {
			case errors.As(tt.err, &want):
				if !errors.As(err, &got) {
					t.Fatalf("error %v, want a *NoNetDMError", err)
				}
				if diff := cmp.Diff(*want, *got, cmpopts.EquateErrors()); diff != "" {
					t.Errorf("error (-want +got):\n%s", diff)
				}
				return
			case tt.err != nil:
				if !errors.Is(err, tt.err) {
					t.Errorf("error %v, want %v", err, tt.err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			d, diagnosed := e.Diagnosis()
			if e.k != tt.want || e.Backend() != tt.chosen || diagnosed != tt.diagnosed || (diagnosed && d != notBuilt) {
				t.Errorf("chose %q (%v), diagnosis %v %v; want %q, diagnosed %v", e.Backend(), e.k, d, diagnosed, tt.chosen, tt.diagnosed)
			}
		})
	}
	_, err := Open(Options{Backend: BackendNetDM, Backends: Backends{NetDM: noNetDM, Diagnose: func() dropmon.Diagnosis { return notBuilt }}})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing family: %v, want it to match os.ErrNotExist", err)
	}
}

// TestOwnership: passive never configures, starts or stops; force stops
// first; the engine stops only what it started, and a failed STOP leaves
// it owing one.
func TestOwnership(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		stopErr error // of the first STOP after START
		want    []string
		owed    bool // Started after the watch
	}{
		{
			name: "ours", want: []string{"listen", "stats-get", "start software", "stop software", "stats-get", "close-monitor"},
		},
		{
			name: "force", opts: Options{Force: true},
			want: []string{"listen", "stats-get", "stop software", "start software", "stop software", "stats-get", "close-monitor"},
		},
		{
			name: "passive", opts: Options{Passive: true},
			want: []string{"listen", "stats-get", "stats-get", "close-monitor"},
		},
		{
			name: "STOP fails", stopErr: syscall.EPERM, owed: true,
			want: []string{"listen", "stats-get", "start software", "stop software", "stats-get", "close-monitor", "stop software"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newFakeKernel()
			e, clock := openFake(t, k, tt.opts)
			if tt.opts.Passive {
				mode := dropmon.ModePacket
				if err := e.SetConfig(dropmon.ConfigUpdate{Mode: &mode}); !errors.Is(err, ErrPassive) {
					t.Errorf("SetConfig on a passive engine = %v", err)
				}
			}
			stops := make(chan os.Signal, 2)
			w, err := e.Watch(WatchOptions{Source: dropmon.SourceSoftware, Stop: stops})
			if err != nil {
				t.Fatal(err)
			}
			type result struct {
				end End
				err error
			}
			done := make(chan result, 1)
			go func() { end, err := w.Run(&collector{}); done <- result{end, err} }()
			stops <- os.Interrupt
			if !tt.opts.Passive {
				clock.fire(t, DefaultTiming.Drain)
			}
			if r := <-done; r.end != EndStopped || r.err != nil {
				t.Errorf("Run = %v, %v", r.end, r.err)
			}
			k.errs["stop software"] = tt.stopErr
			if err := w.Stop(&collector{}); !errors.Is(err, tt.stopErr) {
				t.Errorf("Stop = %v, want %v", err, tt.stopErr)
			}
			w.Losses()
			w.Close()
			if got := e.Started(); got != tt.owed {
				t.Errorf("Started = %v, want %v", got, tt.owed)
			}
			tried, err := e.StopOwned(dropmon.SourceSoftware)
			if tried != tt.owed || err != nil {
				t.Errorf("StopOwned = %v, %v; want %v, nil", tried, err, tt.owed)
			}
			if diff := cmp.Diff(tt.want, k.recorded()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDrain: after a stop request, summary mode waits out the kernel's
// hold, delivering what comes meanwhile; packet mode ends once alerts
// stop coming; a second request ends at once, without the flush after
// STOP.
func TestDrain(t *testing.T) {
	t.Run("summary", func(t *testing.T) {
		k := newFakeKernel()
		e, clock := openFake(t, k, Options{})
		clock.auto = nil
		stops := make(chan os.Signal, 2)
		w, err := e.Watch(WatchOptions{Stop: stops})
		if err != nil {
			t.Fatal(err)
		}
		c := &collector{}
		done := make(chan End, 1)
		go func() { end, _ := w.Run(c); done <- end }()
		stops <- os.Interrupt
		// Counts the kernel held for a second come during the drain.
		k.feed <- summaryEvents(dropmon.DropPoint{PC: 0x10, Count: 50})
		c.waitCount(t, 1)
		clock.fire(t, DefaultTiming.Drain)
		if end := <-done; end != EndStopped {
			t.Errorf("Run = %v", end)
		}
		k.feed <- summaryEvents(dropmon.DropPoint{PC: 0x20, Count: 1})
		stopped := make(chan error, 1)
		go func() { stopped <- w.Stop(c) }()
		c.waitCount(t, 2)
		clock.fireAll(t, DefaultTiming.FlushQuiet)
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
		w.Close()
		// The alert sent before STOP's reply is delivered too.
		if got := c.count(); got != 2 {
			t.Errorf("%d records, want 2", got)
		}
	})
	t.Run("packet quiet", func(t *testing.T) {
		k := newFakeKernel()
		k.config.Mode = dropmon.ModePacket
		e, clock := openFake(t, k, Options{})
		if _, err := e.Config(); err != nil {
			t.Fatal(err)
		}
		stops := make(chan os.Signal, 2)
		w, err := e.Watch(WatchOptions{Stop: stops})
		if err != nil {
			t.Fatal(err)
		}
		stops <- syscall.SIGTERM
		done := make(chan End, 1)
		go func() { end, _ := w.Run(&collector{}); done <- end }()
		clock.fire(t, DefaultTiming.PacketQuiet)
		if end := <-done; end != EndStopped {
			t.Errorf("Run = %v", end)
		}
		if diff := cmp.Diff([]os.Signal{syscall.SIGTERM}, w.Signals()); diff != "" {
			t.Errorf("signals (-want +got):\n%s", diff)
		}
		w.Close()
	})
	t.Run("second request", func(t *testing.T) {
		k := newFakeKernel()
		e, _ := openFake(t, k, Options{})
		stops := make(chan os.Signal, 2)
		w, err := e.Watch(WatchOptions{Stop: stops})
		if err != nil {
			t.Fatal(err)
		}
		stops <- os.Interrupt
		stops <- os.Interrupt
		if end, _ := w.Run(&collector{}); end != EndStopped {
			t.Errorf("Run = %v", end)
		}
		// No flush timer: the test's clock would block Stop otherwise.
		if err := w.Stop(&collector{}); err != nil {
			t.Fatal(err)
		}
		w.Close()
	})
}

// TestHandlerEnds: a Handler's error ends monitoring at once, and Run
// returns it; the rest of the batch is not delivered again.
func TestHandlerEnds(t *testing.T) {
	k := newFakeKernel()
	e, _ := openFake(t, k, Options{})
	w, err := e.Watch(WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	k.feed <- packetAlert(1)
	k.feed <- packetAlert(2)
	c := &collector{failAt: 1}
	if end, err := w.Run(c); end != EndHandler || !errors.Is(err, errFull) {
		t.Errorf("Run = %v, %v; want EndHandler, %v", end, err, errFull)
	}
	if c.flushes != 1 {
		t.Errorf("%d flushes, want 1", c.flushes)
	}
	w.Close()
}

// TestQueuedBatchesOneFlush: the batches queued when Run wakes up are
// taken in turn, then flushed once.
func TestQueuedBatchesOneFlush(t *testing.T) {
	k := newFakeKernel()
	e, _ := openFake(t, k, Options{})
	w := &Watch{e: e, batches: make(chan *Batch, 3)}
	for i := range 3 {
		b := newBatch()
		resolve(b, packetAlert(i), nil, nil)
		w.batches <- b
	}
	c := &collector{}
	var packets bool
	end, err := w.take(c, <-w.batches, &packets)
	if end, err = w.flush(c, end, err); end != 0 || err != nil || !packets {
		t.Errorf("take and flush: %v, %v, packets %v; want 0, nil, true", end, err, packets)
	}
	if c.takes != 3 || c.flushes != 1 || len(w.batches) != 0 {
		t.Errorf("%d takes, %d flushes, %d left queued", c.takes, c.flushes, len(w.batches))
	}
	if mode, ok := e.Mode(); !ok || mode != dropmon.ModePacket {
		t.Errorf("mode %v %v after packet alerts", mode, ok)
	}
}

// TestRecords: what the engine makes of each kind of alert.
func TestRecords(t *testing.T) {
	tests := []struct {
		name string
		evs  []dropmon.Event
		want []Record
	}{
		{
			name: "summary, resolved and not",
			evs:  summaryEvents(dropmon.DropPoint{PC: pcUDP, Count: 25}, dropmon.DropPoint{PC: 0x1, Count: 2}),
			want: []Record{
				{Location: Location{PC: pcUDP, Symbol: "__udp4_lib_rcv", Offset: 0x9a2, Resolved: true}, Count: 25},
				{Location: Location{PC: 0x1}, Count: 2},
			},
		},
		{
			name: "summary, module and hardware",
			evs: []dropmon.Event{{Alert: &dropmon.Alert{
				Points:    []dropmon.DropPoint{{PC: pcCold, Count: 1}},
				HWEntries: []dropmon.HWEntry{{TrapName: "blackhole_route", Count: 5}, {Count: 9}},
			}}},
			want: []Record{
				{Location: Location{PC: pcCold, Symbol: "__udp4_lib_rcv.cold", Offset: 0x10, Module: "udp_mod", Resolved: true}, Count: 1},
				{Location: Location{Symbol: "blackhole_route", Hardware: true}, Origin: dropmon.OriginHardware, Count: 5},
			},
		},
		{
			name: "packet: the kernel's text",
			evs:  packetAlert(7),
			want: []Record{{
				Location: Location{PC: pcUDP, Symbol: "__udp4_lib_rcv", Offset: 0x9a2, Resolved: true, Text: "__udp4_lib_rcv+0x9a2/0xc30"},
				Count:    1, Time: time.Date(2026, 11, 25, 12, 38, 38, 7, time.UTC), Reason: "NO_SOCKET", Proto: 0x800, HasProto: true,
				Packet: packetAlert(7)[0].Packet,
			}},
		},
		{
			name: "packet: module text",
			evs:  []dropmon.Event{{Packet: &dropmon.PacketAlert{HasPC: true, PC: 0xffffffffc0a01234, Symbol: "nft_do_chain+0x3c1/0x700 [nf_tables]"}}},
			want: []Record{{
				Location: Location{PC: 0xffffffffc0a01234, Symbol: "nft_do_chain", Offset: 0x3c1, Module: "nf_tables", Resolved: true, Text: "nft_do_chain+0x3c1/0x700 [nf_tables]"},
				Count:    1, Packet: &dropmon.PacketAlert{HasPC: true, PC: 0xffffffffc0a01234, Symbol: "nft_do_chain+0x3c1/0x700 [nf_tables]"},
			}},
		},
		{
			name: "packet: hardware trap",
			evs:  []dropmon.Event{{Packet: &dropmon.PacketAlert{HasOrigin: true, Origin: dropmon.OriginHardware, HWTrapName: "blackhole_route", HWTrapGroupName: "l3_drops"}}},
			want: []Record{{
				Location: Location{Symbol: "blackhole_route", TrapGroup: "l3_drops", Hardware: true}, Origin: dropmon.OriginHardware,
				Count: 1, Packet: &dropmon.PacketAlert{HasOrigin: true, Origin: dropmon.OriginHardware, HWTrapName: "blackhole_route", HWTrapGroupName: "l3_drops"},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBatch()
			resolve(b, tt.evs, testSymbols(), nil)
			for i := range b.Records {
				if b.Records[i].Packet == nil {
					if b.Records[i].Time.IsZero() {
						t.Errorf("summary record %d without a receive time", i)
					}
					b.Records[i].Time = time.Time{}
				}
			}
			if diff := cmp.Diff(tt.want, b.Records); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
	// A decoding error comes with the batch; the message has no records.
	b := newBatch()
	resolve(b, []dropmon.Event{{Err: dropmon.ErrMalformed}}, nil, [][]uint64{{0x1}})
	if len(b.Records) != 0 || len(b.Messages) != 0 || len(b.Errs) != 1 {
		t.Errorf("a malformed message: %+v", b)
	}
}

// TestStack: the tracepoint's call chains are resolved frame by frame.
func TestStack(t *testing.T) {
	b := newBatch()
	evs := []dropmon.Event{{Packet: &dropmon.PacketAlert{HasPC: true, PC: pcUDP}}}
	resolve(b, evs, testSymbols(), [][]uint64{{pcUDP, 0x1}})
	want := []Frame{{PC: pcUDP, Symbol: "__udp4_lib_rcv+0x9a2"}, {PC: 0x1}}
	if diff := cmp.Diff(want, b.Records[0].Stack); diff != "" {
		t.Errorf("stack (-want +got):\n%s", diff)
	}
}

// TestLosses: every counter reaches Losses, the tail drops since START.
func TestLosses(t *testing.T) {
	k := newFakeKernel()
	k.tail = 10
	e, _ := openFake(t, k, Options{})
	w, err := e.Watch(WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	k.mu.Lock()
	k.tail, k.drops = 17, 4
	k.losses = dropmon.MonitorStats{Overruns: 2, FullSummaries: 3, Malformed: 1}
	k.mu.Unlock()
	want := Losses{KernelTailDrops: 7, SocketOverruns: 2, SocketDrops: 4, FullSummaries: 3, Malformed: 1}
	if diff := cmp.Diff(want, w.Losses()); diff != "" {
		t.Errorf("losses (-want +got):\n%s", diff)
	}
	w.Close()

	// On the tracepoint, the lost samples; no STATS_GET.
	ft := fixtures.NewTracer(1)
	ft.Lost = 5
	tp := newTracepoint(false)
	tp.open = func() (Tracer, error) { return ft, nil }
	e, err = Open(Options{Backend: BackendTracepoint, Backends: Backends{Tracepoint: func(bool) (Kernel, error) { return tp, nil }}})
	if err != nil {
		t.Fatal(err)
	}
	w, err = e.Watch(WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Losses{TracepointLost: 5}, w.Losses()); diff != "" {
		t.Errorf("tracepoint losses (-want +got):\n%s", diff)
	}
	w.Close()
}

// TestStartErrors: Watch says which step failed.
func TestStartErrors(t *testing.T) {
	for _, op := range []string{"listen", "start"} {
		k := newFakeKernel()
		k.errs[map[string]string{"listen": "listen", "start": "start default"}[op]] = dropmon.ErrAlreadyMonitoring
		e, _ := openFake(t, k, Options{})
		_, err := e.Watch(WatchOptions{})
		var se *StartError
		if !errors.As(err, &se) || se.Op != op || !errors.Is(err, dropmon.ErrAlreadyMonitoring) {
			t.Errorf("%s failing: %v", op, err)
		}
		if e.Started() {
			t.Errorf("%s failing: Started", op)
		}
		if op == "start" && !strings.Contains(fmt.Sprint(k.recorded()), "close-monitor") {
			t.Errorf("a failed START left the monitor open: %q", k.recorded())
		}
	}
}

func TestLocationText(t *testing.T) {
	tests := []struct {
		l         Location
		str, site string
	}{
		{Location{PC: pcUDP, Symbol: "__udp4_lib_rcv", Offset: 0x9a2, Resolved: true}, "__udp4_lib_rcv+0x9a2", "__udp4_lib_rcv+0x9a2"},
		{Location{PC: pcCold, Symbol: "x", Offset: 0, Module: "m", Resolved: true}, "x+0x0 [m]", "x+0x0 [m]"},
		{Location{PC: pcUDP}, "0xffffffff878bcae2", ""},
		{Location{Symbol: "blackhole_route", Hardware: true}, "blackhole_route", "blackhole_route"},
	}
	for _, tt := range tests {
		if got := tt.l.String(); got != tt.str {
			t.Errorf("%+v.String() = %q, want %q", tt.l, got, tt.str)
		}
		if got := tt.l.Site(); got != tt.site {
			t.Errorf("%+v.Site() = %q, want %q", tt.l, got, tt.site)
		}
	}
}
