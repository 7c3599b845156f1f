package main

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/internal/report"
	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
)

// burstSource is a NET_DM monitor in a burst: every Receive returns one
// datagram's packet alert at once, n times, then fails.
type burstSource struct {
	n   int
	evs []dropmon.Event
}

var errBurstOver = errors.New("burst over")

func (s *burstSource) Receive(ctx context.Context) ([]dropmon.Event, error) {
	if s.n == 0 {
		return nil, errBurstOver
	}
	s.n--
	return s.evs, nil
}

func (s *burstSource) Stats() dropmon.MonitorStats  { return dropmon.MonitorStats{} }
func (s *burstSource) SocketDrops() (uint64, error) { return 0, nil }
func (s *burstSource) Close() error                 { return nil }

// BenchmarkPacketAlerts is the path of a packet alert in text mode from
// the monitor to standard output (/dev/null, so that write system calls
// count): receiving, rendering, the hand-over to the printer, the table
// and the write. One op is one alert.
func BenchmarkPacketAlerts(b *testing.B) {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	s := &session{
		be: newFakeBackend(), out: &output{w: devnull}, alerts: &output{w: devnull}, stderr: devnull,
		clock: realClock{}, loc: loc, timing: defaultTiming, table: report.NewTable(),
		mode: dropmon.ModePacket, modeKnown: true, once: true, started: true,
	}
	src := &burstSource{n: b.N, evs: packetAlert(730595860).evs}
	b.ReportAllocs()
	b.ResetTimer()
	w := watcher{s: s, src: src}
	if err := w.run(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if w.count != uint64(b.N) {
		b.Fatalf("printed %d alerts, want %d", w.count, b.N)
	}
}

// writeCounter counts the writes made to it.
type writeCounter struct {
	writes int
	buf    []byte
}

func (c *writeCounter) Write(p []byte) (int, error) {
	c.writes++
	c.buf = append(c.buf, p...)
	return len(p), nil
}

// TestQueuedAlertsOneWrite: the batches queued when the printer wakes up
// are written in one write, all of them before it waits for more.
func TestQueuedAlertsOneWrite(t *testing.T) {
	out := &writeCounter{}
	s := &session{alerts: &output{w: out}, out: &output{w: out}, table: report.NewTable(), loc: time.UTC}
	w := watcher{s: s, batches: make(chan *batch, 3)}
	var want string
	for i := range 3 {
		b := newBatch()
		s.render(b, packetAlert(i).evs, nil)
		w.batches <- b
		want += packetBlock(packetAlert(i).evs[0].Packet, time.UTC)
	}
	end, packets := w.take(<-w.batches)
	if end = w.write(end); end != running || !packets {
		t.Errorf("take and write: %v, packets %v; want running, true", end, packets)
	}
	if out.writes != 1 || string(out.buf) != want || w.count != 3 || len(w.batches) != 0 {
		t.Errorf("%d writes of %d alerts, %d left queued:\n%s", out.writes, w.count, len(w.batches), out.buf)
	}
}

// scriptedSource returns its results in turn, then waits for the end of
// the context.
type scriptedSource struct {
	results []scripted
	idle    bool
}

type scripted struct {
	evs []dropmon.Event
	err error
}

func (s *scriptedSource) Receive(ctx context.Context) ([]dropmon.Event, error) {
	if len(s.results) == 0 {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	r := s.results[0]
	s.results = s.results[1:]
	return r.evs, r.err
}

func (s *scriptedSource) Stats() dropmon.MonitorStats  { return dropmon.MonitorStats{} }
func (s *scriptedSource) SocketDrops() (uint64, error) { return 0, nil }
func (s *scriptedSource) Close() error                 { return nil }

// idleScriptedSource says when it is idle, as a NET_DM monitor does.
type idleScriptedSource struct{ scriptedSource }

func (*idleScriptedSource) idles() {}

// TestReceiveHolds: from a source that says when it is idle, the
// receiving goroutine hands the printer the datagrams that came before
// the idle time in one batch; from any other source, or while the printer
// is eager, one batch a datagram.
func TestReceiveHolds(t *testing.T) {
	idle := scripted{err: &dropmon.Error{Op: "receive", Err: os.ErrDeadlineExceeded}}
	alert := func(i int) scripted { return scripted{evs: packetAlert(i).evs} }
	script := []scripted{alert(0), alert(1), alert(2), idle, idle, alert(3), idle}
	tests := []struct {
		name  string
		src   eventSource
		eager bool
		want  [][]int // the alerts' timestamps' nanoseconds, a batch a row
	}{
		{name: "idle source", src: &idleScriptedSource{scriptedSource{results: script}}, want: [][]int{{0, 1, 2}, {3}}},
		{name: "idle source, eager", src: &idleScriptedSource{scriptedSource{results: script}}, eager: true, want: [][]int{{0}, {1}, {2}, {3}}},
		// A source that never idles would keep a held batch forever.
		{name: "other source", src: &scriptedSource{results: []scripted{alert(0), alert(1)}}, want: [][]int{{0}, {1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &session{table: report.NewTable(), loc: time.UTC}
			ctx, cancel := context.WithCancel(context.Background())
			out := make(chan *batch, 16)
			var st receiverState
			st.eager.Store(tc.eager)
			go s.receive(ctx, tc.src, out, &st)
			var got [][]int
			for len(got) < len(tc.want) {
				select {
				case b := <-out:
					if b.err != nil {
						t.Fatalf("batch with error %v", b.err)
					}
					var ns []int
					for _, u := range b.units {
						ns = append(ns, u.packet.Timestamp.Nanosecond())
					}
					got = append(got, ns)
				case <-time.After(10 * time.Second):
					t.Fatalf("got batches %v, then nothing for 10 s; want %v", got, tc.want)
				}
			}
			cancel()
			for b := range out {
				t.Errorf("batch after the last expected one: %d units", len(b.units))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("batches (-want +got):\n%s", diff)
			}
		})
	}
}
