package drops

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/internal/fixtures"
	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/skbtrace"
)

// TestTracepointStopDisables: STOP disables the open tracer's events, and
// "stats" reports the losses the tracer knows once it is closed, not those
// it knew before.
func TestTracepointStopDisables(t *testing.T) {
	tp, ft := newFakeTracepoint(time.Second)
	ft.Lost, ft.ExactLost = 2, 7
	src, err := tp.Listen()
	if err != nil {
		t.Fatal(err)
	}
	if err := tp.Stop(context.Background(), dropmon.SourceSoftware); err != nil || !ft.Disabled {
		t.Fatalf("Stop: %v, tracer disabled %v", err, ft.Disabled)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := tp.Stats(context.Background())
	if err != nil || st.Software == nil || st.Software.Dropped != 7 {
		t.Errorf("Stats after Close = %+v, %v; want 7 dropped", st, err)
	}
	// Closed, the tracer is no longer the one a later STOP disables.
	ft.Disabled = false
	if err := tp.Stop(context.Background(), dropmon.SourceSoftware); err != nil || ft.Disabled {
		t.Errorf("Stop after Close: %v, disabled a closed tracer: %v", err, ft.Disabled)
	}
}

func newFakeTracepoint(interval time.Duration) (*tracepoint, *fixtures.Tracer) {
	ft := fixtures.NewTracer(10)
	tp := newTracepoint(false)
	tp.open = func() (Tracer, error) { return ft, nil }
	tp.interval = interval
	return tp, ft
}

func TestTracepointSummary(t *testing.T) {
	tp, ft := newFakeTracepoint(20 * time.Millisecond)
	src, err := tp.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ft.Feed <- []skbtrace.Drop{{Location: 0x10}, {Location: 0x20, Reason: "NO_SOCKET"}}
	ft.Feed <- []skbtrace.Drop{{Location: 0x20, Reason: "NO_SOCKET"}, {Location: 0x20, Reason: "TCP_CSUM"}}
	// The drops of one interval from the first make one summary alert,
	// one entry per location and reason.
	evs, err := src.Receive(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []dropmon.Event{{Alert: &dropmon.Alert{Points: []dropmon.DropPoint{
		{PC: 0x20, Count: 2, Reason: "NO_SOCKET"}, {PC: 0x10, Count: 1}, {PC: 0x20, Count: 1, Reason: "TCP_CSUM"},
	}}}}
	if diff := cmp.Diff(want, evs); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	// A cancelled receive discards the pending batch, as STOP does.
	ft.Feed <- []skbtrace.Drop{{Location: 0x30}}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(ft.Feed) > 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if _, err := src.Receive(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Receive after cancel: %v", err)
	}
	ft.Lost = 4
	if n, _ := src.SocketDrops(); n != 4 {
		t.Errorf("SocketDrops = %d, want 4", n)
	}
	src.Close()
	if !ft.Closed {
		t.Error("tracer not closed")
	}
	st, _ := tp.Stats(context.Background())
	if diff := cmp.Diff(&dropmon.Stats{Software: &dropmon.OriginStats{Dropped: 4}}, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestTracepointPacket(t *testing.T) {
	tp, ft := newFakeTracepoint(time.Hour)
	mode := dropmon.ModePacket
	if err := tp.SetConfig(context.Background(), dropmon.ConfigUpdate{Mode: &mode}); err != nil {
		t.Fatal(err)
	}
	src, err := tp.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 11, 25, 12, 38, 38, 730595860, time.UTC)
	ft.Feed <- []skbtrace.Drop{{Location: 0xffffffff878bcae2, Protocol: 0x800, Reason: "NO_SOCKET", HasReason: true, Time: uint64(ts.UnixNano())}}
	evs, err := src.Receive(context.Background())
	if err != nil || len(evs) != 1 {
		t.Fatalf("Receive: %v, %v", evs, err)
	}
	// Without NET_DM's symbol text, the engine names the location itself,
	// as summary mode does (cmd/dropwatch's TestTracepointPacketText has
	// the text).
	b := newBatch()
	resolve(b, evs, testSymbols(), nil)
	if len(b.Messages) != 1 || len(b.Records) != 1 || b.Messages[0].Mode != dropmon.ModePacket {
		t.Fatalf("resolved %+v", b.Messages)
	}
	want := Record{
		Location: Location{PC: 0xffffffff878bcae2, Symbol: "__udp4_lib_rcv", Offset: 0x9a2, Resolved: true},
		Count:    1, Time: ts, Reason: "NO_SOCKET", Proto: 0x800, HasProto: true, Packet: evs[0].Packet,
	}
	if diff := cmp.Diff(want, b.Records[0]); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	// Unresolved: the address alone.
	b = newBatch()
	resolve(b, evs, nil, nil)
	if diff := cmp.Diff(Location{PC: 0xffffffff878bcae2}, b.Records[0].Location); diff != "" {
		t.Errorf("location without symbols (-want +got):\n%s", diff)
	}
}

func TestTracepointConfig(t *testing.T) {
	tp, _ := newFakeTracepoint(time.Second)
	ctx := context.Background()
	if err := tp.Start(ctx, dropmon.SourceHardware); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Start(hw) = %v, want ErrUnsupported", err)
	}
	for _, src := range []dropmon.Source{0, dropmon.SourceSoftware, dropmon.SourceSoftware | dropmon.SourceHardware} {
		if err := tp.Start(ctx, src); err != nil {
			t.Errorf("Start(%d) = %v", src, err)
		}
	}
	trunc, queue := uint32(128), uint32(64)
	if err := tp.SetConfig(ctx, dropmon.ConfigUpdate{TruncLen: &trunc, QueueLen: &queue}); err != nil {
		t.Fatal(err)
	}
	c, _ := tp.Config(ctx)
	if diff := cmp.Diff(&dropmon.Config{Mode: dropmon.ModeSummary, TruncLen: 128, QueueLen: 64}, c); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}
