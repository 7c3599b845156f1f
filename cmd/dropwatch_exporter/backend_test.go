package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/internal/exporter"
	"github.com/dropwatch-go/dropwatch/internal/fixtures"
	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
	"github.com/dropwatch-go/dropwatch/pkg/skbtrace"
)

// netdmKernel is NET_DM for the engine (drops.Backends.NetDM): it records
// requests, answers with the errors a test sets, and its monitor replays
// the datagrams a test feeds it. pkg/drops's own fake is internal to its
// tests; the tracepoint side is the engine's real backend on a fake tracer
// (drops.NewTracepoint).
type netdmKernel struct {
	mu         sync.Mutex
	calls      []string
	errs       map[string]error
	mode       dropmon.AlertMode
	monitoring bool // START succeeded and no STOP since
	tail       uint64
	drops      uint64
	feed       chan []dropmon.Event
}

func newNetDMKernel() *netdmKernel {
	return &netdmKernel{errs: map[string]error{}, feed: make(chan []dropmon.Event, 10)}
}

func (k *netdmKernel) call(op string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls = append(k.calls, op)
	return k.errs[op]
}

func (k *netdmKernel) recorded() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.calls)
}

func (k *netdmKernel) Start(ctx context.Context, src dropmon.Source) error {
	if err := k.call("start " + src.String()); err != nil {
		return err
	}
	k.mu.Lock()
	k.monitoring = true
	k.mu.Unlock()
	return nil
}

func (k *netdmKernel) Stop(ctx context.Context, src dropmon.Source) error {
	if err := k.call("stop " + src.String()); err != nil {
		return err
	}
	k.mu.Lock()
	k.monitoring = false
	k.mu.Unlock()
	return nil
}

func (k *netdmKernel) SetConfig(ctx context.Context, u dropmon.ConfigUpdate) error {
	if err := k.call("config " + u.Mode.String()); err != nil {
		return err
	}
	k.mu.Lock()
	k.mode = *u.Mode
	k.mu.Unlock()
	return nil
}

func (k *netdmKernel) Config(ctx context.Context) (*dropmon.Config, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.errs["config-get"]; err != nil {
		return nil, err
	}
	return &dropmon.Config{Mode: k.mode}, nil
}

func (k *netdmKernel) Stats(ctx context.Context) (*dropmon.Stats, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return &dropmon.Stats{Software: &dropmon.OriginStats{Dropped: k.tail}}, nil
}

func (k *netdmKernel) Listen() (drops.Events, error) {
	if err := k.call("listen"); err != nil {
		return nil, err
	}
	return netdmEvents{k}, nil
}

func (k *netdmKernel) Close() error { return nil }

type netdmEvents struct{ k *netdmKernel }

func (m netdmEvents) Receive(ctx context.Context) ([]dropmon.Event, error) {
	select {
	case evs := <-m.k.feed:
		if evs == nil {
			return nil, errors.New("netlink receive: connection reset")
		}
		return evs, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (m netdmEvents) Stats() dropmon.MonitorStats {
	return dropmon.MonitorStats{Overruns: 2, Malformed: 1, FullSummaries: 3}
}

func (m netdmEvents) SocketDrops() (uint64, error) {
	m.k.mu.Lock()
	defer m.k.mu.Unlock()
	return m.k.drops, nil
}

func (m netdmEvents) Close() error { return nil }

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// testOpener is the opener of the flags on the fake kernel sides: nk is
// NET_DM (nil: the family is missing), ft the tracer (nil: the
// tracepoint cannot be read).
func testOpener(t *testing.T, backend, mode string, nk *netdmKernel, ft *fixtures.Tracer) *opener {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kallsyms")
	if err := os.WriteFile(path, []byte(fixtures.Symbols), 0o600); err != nil {
		t.Fatal(err)
	}
	o := newOpener(&config{backend: backend, mode: mode, kallsymsPath: path}, discard)
	o.timing = drops.Timing{Drain: 20 * time.Millisecond, PacketQuiet: 20 * time.Millisecond, FlushQuiet: 10 * time.Millisecond}
	o.backends = drops.Backends{
		NetDM: func() (drops.Kernel, error) {
			if nk == nil {
				return nil, fmt.Errorf("resolve family NET_DM: %w", os.ErrNotExist)
			}
			return nk, nil
		},
		Tracepoint: func(bool) (drops.Kernel, error) {
			if ft == nil {
				return nil, &skbtrace.Error{Op: "perf_event_open", Hint: "kernel.perf_event_paranoid is 2", Err: syscall.EACCES}
			}
			return drops.NewTracepoint(func() (drops.Tracer, error) { return ft, nil }), nil
		},
		Diagnose: func() dropmon.Diagnosis {
			return dropmon.Diagnosis{KernelRelease: "6.1.0", Config: dropmon.NotBuilt, ConfigSource: "/boot/config-6.1.0"}
		},
	}
	return o
}

type drop struct {
	Site exporter.Site
	N    uint64
}

// runSource runs src, feeds it with feed, and stops it once want drops
// were counted (or after 10 s), as SIGTERM does: it returns what was
// counted, sorted, and Run's error.
func runSource(t *testing.T, src exporter.Source, want uint64, feed func()) ([]drop, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var (
		mu    sync.Mutex
		got   []drop
		total uint64
	)
	done := make(chan error, 1)
	go func() {
		done <- src.Run(ctx, func(s exporter.Site, n uint64) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, drop{s, n})
			if total += n; total >= want {
				cancel()
			}
		})
	}()
	feed()
	err := <-done
	mu.Lock()
	defer mu.Unlock()
	sortDrops(got)
	return got, err
}

func sortDrops(ds []drop) {
	slices.SortFunc(ds, func(a, b drop) int {
		return strings.Compare(fmt.Sprint(a.Site), fmt.Sprint(b.Site))
	})
}

// TestTracepointSource: on the tracepoint (auto's first choice) every drop
// is counted at its function, with its reason; an address kallsyms does
// not know is "unknown", never the address; losses are the ring buffers'.
func TestTracepointSource(t *testing.T) {
	nk := newNetDMKernel()
	ft := fixtures.NewTracer(10)
	ft.Lost = 3
	src, err := testOpener(t, "auto", "auto", nk, ft).open()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(exporter.Info{Backend: "tracepoint", Mode: "packet"}, src.Info()); diff != "" {
		t.Errorf("Info (-want +got):\n%s", diff)
	}
	got, err := runSource(t, src, 5, func() {
		ft.Feed <- []skbtrace.Drop{
			{Location: fixtures.UDP, HasReason: true, Reason: "NO_SOCKET"},
			{Location: fixtures.UDP, HasReason: true, Reason: "NO_SOCKET"},
			{Location: fixtures.Cold, HasReason: true, Reason: "NETFILTER_DROP"},
		}
		ft.Feed <- []skbtrace.Drop{
			{Location: 0xffffffff80000008, HasReason: true, Reason: "NOT_SPECIFIED"}, // below _stext: unknown
			{Location: fixtures.TCP}, // a kernel without reasons
		}
	})
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	sw := exporter.OriginSoftware
	want := []drop{
		{exporter.Site{Function: "__udp4_lib_rcv", Reason: "NO_SOCKET", Origin: sw}, 2},
		{exporter.Site{Function: "__udp4_lib_rcv.cold", Module: "udp_mod", Reason: "NETFILTER_DROP", Origin: sw}, 1},
		{exporter.Site{Function: "tcp_v4_rcv", Origin: sw}, 1},
		{exporter.Site{Function: exporter.FunctionUnknown, Reason: "NOT_SPECIFIED", Origin: sw}, 1},
	}
	sortDrops(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("drops (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(exporter.Losses{TracepointLost: 3}, src.Losses()); diff != "" {
		t.Errorf("Losses (-want +got):\n%s", diff)
	}
	if err := src.Close(); err != nil {
		t.Error(err)
	}
	if calls := nk.recorded(); len(calls) != 0 {
		t.Errorf("NET_DM requests %q with the tracepoint running, want none", calls)
	}
}

// TestNetDMSource: on NET_DM the exporter sets the mode it needs, starts
// software and hardware monitoring, counts summary and packet alerts
// (hardware ones with their trap and group), maps the engine's losses,
// and on stop sends STOP and sets the kernel's mode back.
func TestNetDMSource(t *testing.T) {
	for _, tt := range []struct {
		mode      string
		kernel    dropmon.AlertMode // the kernel's mode before
		info      exporter.Info
		feed      []dropmon.Event
		want      []drop
		wantCalls []string
	}{
		{
			mode: "auto", kernel: dropmon.ModeSummary,
			info: exporter.Info{Backend: "netdm", Mode: "summary"},
			feed: []dropmon.Event{{Alert: &dropmon.Alert{
				Points:    []dropmon.DropPoint{{PC: fixtures.UDP, Count: 7}, {PC: fixtures.Cold, Count: 2}, {PC: 0x10, Count: 1}},
				HWEntries: []dropmon.HWEntry{{TrapName: "blackhole_route", Count: 4}},
			}}},
			want: []drop{
				{exporter.Site{Function: "__udp4_lib_rcv", Origin: "software"}, 7},
				{exporter.Site{Trap: "blackhole_route", Origin: "hardware"}, 4},
				{exporter.Site{Function: "__udp4_lib_rcv.cold", Module: "udp_mod", Origin: "software"}, 2},
				{exporter.Site{Function: exporter.FunctionUnknown, Origin: "software"}, 1},
			},
			wantCalls: []string{"listen", "start software+hardware", "stop software+hardware"},
		},
		{
			mode: "packet", kernel: dropmon.ModeSummary,
			info: exporter.Info{Backend: "netdm", Mode: "packet"},
			feed: []dropmon.Event{
				{Packet: &dropmon.PacketAlert{HasOrigin: true, Origin: dropmon.OriginSoftware, HasPC: true, PC: fixtures.UDP, Symbol: "__udp4_lib_rcv+0x9a2/0xc30", Reason: "NO_SOCKET"}},
				{Packet: &dropmon.PacketAlert{HasOrigin: true, Origin: dropmon.OriginSoftware, HasPC: true, PC: fixtures.UDP, Symbol: "__udp4_lib_rcv+0x9a2/0xc30", Reason: "NO_SOCKET"}},
				{Packet: &dropmon.PacketAlert{HasOrigin: true, Origin: dropmon.OriginHardware, HWTrapName: "ttl_value_is_too_small", HWTrapGroupName: "l3_exceptions"}},
			},
			want: []drop{
				{exporter.Site{Function: "__udp4_lib_rcv", Reason: "NO_SOCKET", Origin: "software"}, 2},
				{exporter.Site{Trap: "ttl_value_is_too_small", TrapGroup: "l3_exceptions", Origin: "hardware"}, 1},
			},
			wantCalls: []string{"config packet", "listen", "start software+hardware", "stop software+hardware", "config summary"},
		},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			nk := newNetDMKernel()
			nk.mode = tt.kernel
			src, err := testOpener(t, "netdm", tt.mode, nk, fixtures.NewTracer(1)).open()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.info, src.Info()); diff != "" {
				t.Errorf("Info (-want +got):\n%s", diff)
			}
			var total uint64
			for _, d := range tt.want {
				total += d.N
			}
			nk.mu.Lock()
			nk.tail, nk.drops = 5, 6 // since START: the engine read 0 then
			nk.mu.Unlock()
			got, err := runSource(t, src, total, func() { nk.feed <- tt.feed })
			if err != nil {
				t.Fatalf("Run = %v", err)
			}
			sortDrops(tt.want)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("drops (-want +got):\n%s", diff)
			}
			wantLosses := exporter.Losses{KernelTailDrops: 5, SocketOverruns: 2, AlertsLost: 6, FullSummaries: 3, Malformed: 1}
			if diff := cmp.Diff(wantLosses, src.Losses()); diff != "" {
				t.Errorf("Losses (-want +got):\n%s", diff)
			}
			if err := src.Close(); err != nil {
				t.Error(err)
			}
			if diff := cmp.Diff(tt.wantCalls, nk.recorded()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if nk.monitoring || nk.mode != tt.kernel {
				t.Errorf("after Close: monitoring %v, mode %v; want off, %v", nk.monitoring, nk.mode, tt.kernel)
			}
		})
	}
}

// TestNetDMOwnership: a kernel already monitoring for another tool is
// listened to passively (no CONFIG, START or STOP), and left on; --force
// takes it over and stops it at the end; a run that fails still stops
// what it started.
func TestNetDMOwnership(t *testing.T) {
	for _, tt := range []struct {
		name          string
		mode          string
		force         bool
		errs          map[string]error
		passive       bool
		wantCalls     []string
		monitoringEnd bool
	}{
		{
			name: "busy, summary", mode: "summary",
			errs:    map[string]error{"start software+hardware": dropmon.ErrAlreadyMonitoring},
			passive: true, monitoringEnd: true,
			wantCalls: []string{"listen", "start software+hardware", "listen"},
		},
		{
			name: "busy, packet", mode: "packet",
			errs:    map[string]error{"config packet": dropmon.ErrBusy},
			passive: true, monitoringEnd: true,
			wantCalls: []string{"config packet", "listen"},
		},
		{
			name: "before 5.4", mode: "auto",
			errs:      map[string]error{"config-get": fmt.Errorf("CONFIG_GET: %w", errors.ErrUnsupported)},
			wantCalls: []string{"listen", "start software+hardware", "stop software+hardware"},
		},
		{
			name: "force", mode: "summary", force: true,
			wantCalls: []string{"stop software+hardware", "listen", "stop software+hardware", "start software+hardware", "stop software+hardware"},
		},
		{
			name: "no hardware drops", mode: "summary",
			errs:      map[string]error{"start software+hardware": fmt.Errorf("NET_DM_ATTR_HW_DROPS: %w", errors.ErrUnsupported)},
			wantCalls: []string{"listen", "start software+hardware", "listen", "start software", "stop software"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			nk := newNetDMKernel()
			nk.errs = tt.errs
			nk.monitoring = tt.passive // another tool's session
			o := testOpener(t, "netdm", tt.mode, nk, nil)
			o.force = tt.force
			src, err := o.open()
			if err != nil {
				t.Fatal(err)
			}
			if src.Info().Passive != tt.passive {
				t.Errorf("Info %+v, want passive %v", src.Info(), tt.passive)
			}
			nk.feed <- []dropmon.Event{{Alert: &dropmon.Alert{Points: []dropmon.DropPoint{{PC: fixtures.UDP, Count: 1}}}}}
			got, err := runSource(t, src, 1, func() {})
			if err != nil || len(got) != 1 {
				t.Fatalf("Run = %v, counted %v", err, got)
			}
			if err := src.Close(); err != nil {
				t.Error(err)
			}
			if diff := cmp.Diff(tt.wantCalls, nk.recorded()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if nk.monitoring != tt.monitoringEnd {
				t.Errorf("monitoring at the end %v, want %v", nk.monitoring, tt.monitoringEnd)
			}
		})
	}
}

// TestFailedRunStopsOwned: a watch whose receiving fails returns the
// error, and Close stops the monitoring it started, so that the restart
// finds the kernel as it was.
func TestFailedRunStopsOwned(t *testing.T) {
	nk := newNetDMKernel()
	src, err := testOpener(t, "netdm", "summary", nk, nil).open()
	if err != nil {
		t.Fatal(err)
	}
	nk.feed <- nil
	_, err = runSource(t, src, 1, func() {})
	if err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("Run = %v, want the receive error", err)
	}
	if err := src.Close(); err != nil {
		t.Error(err)
	}
	if nk.monitoring {
		t.Error("still monitoring after Close")
	}
}

// TestOpenErrors: each reason the drop monitor cannot start gives an error
// that names what is missing and keeps the cause for errors.Is.
func TestOpenErrors(t *testing.T) {
	eperm := fmt.Errorf("netlink: %w", os.ErrPermission)
	for _, tt := range []struct {
		name    string
		backend string
		netdm   bool
		errs    map[string]error
		is      error
		want    []string
	}{
		{name: "neither", backend: "auto", is: os.ErrNotExist,
			want: []string{"no drop monitor", "NET_DM", "CONFIG_NET_DROP_MONITOR", "/boot/config-6.1.0", "skb:kfree_skb", "CAP_PERFMON", "perf_event_paranoid"}},
		{name: "no NET_DM", backend: "netdm", is: os.ErrNotExist, want: []string{"no drop monitor", "CONFIG_NET_DROP_MONITOR"}},
		{name: "tracepoint unreadable", backend: "tracepoint", is: os.ErrPermission, want: []string{"CAP_PERFMON", "CAP_SYS_ADMIN", "tracefs"}},
		{name: "START refused", backend: "netdm", netdm: true, errs: map[string]error{"start software+hardware": eperm}, is: os.ErrPermission, want: []string{"CAP_NET_ADMIN"}},
		{name: "events group refused", backend: "netdm", netdm: true, errs: map[string]error{"listen": eperm}, is: os.ErrPermission, want: []string{"CAP_SYS_ADMIN", "6.7"}},
		{name: "packet mode before 5.4", backend: "netdm", netdm: true, errs: map[string]error{"config-get": fmt.Errorf("CONFIG_GET: %w", errors.ErrUnsupported)}, is: errors.ErrUnsupported, want: []string{"5.4"}},
		{name: "CONFIG refused", backend: "netdm", netdm: true, errs: map[string]error{"config packet": eperm}, is: os.ErrPermission, want: []string{"CAP_NET_ADMIN"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var nk *netdmKernel
			if tt.netdm {
				nk = newNetDMKernel()
				nk.errs = tt.errs
			}
			mode := "summary"
			if tt.name == "CONFIG refused" || tt.name == "packet mode before 5.4" {
				mode = "packet"
			}
			_, err := testOpener(t, tt.backend, mode, nk, nil).open()
			if !errors.Is(err, tt.is) {
				t.Errorf("%v does not match %v", err, tt.is)
			}
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("%v lacks %q", err, w)
				}
			}
		})
	}
}
