package main

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

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
		w.batches <- s.render(packetAlert(i).evs, nil)
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
