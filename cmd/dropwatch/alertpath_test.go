package main

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/internal/report"
	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
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

// burstKernel is the fake kernel whose monitor is src.
type burstKernel struct {
	*fakeBackend
	src drops.Events
}

func (k burstKernel) Listen() (drops.Events, error) { return k.src, nil }

// BenchmarkPacketAlerts is the path of a packet alert in text mode from
// the monitor to standard output (/dev/null, so that write system calls
// count): receiving, resolving, the hand-over to the printer, the table
// and the write. One op is one alert.
func BenchmarkPacketAlerts(b *testing.B) { benchPacketAlerts(b, func(*session) {}) }

// BenchmarkPacketAlertsFlows is BenchmarkPacketAlerts with --flows: each
// payload decoded and its flow: line printed.
func BenchmarkPacketAlertsFlows(b *testing.B) {
	benchPacketAlerts(b, func(s *session) { s.showFlows, s.notes.Decode = true, true })
}

// BenchmarkPacketAlertsGroups is BenchmarkPacketAlerts as the REPL runs:
// each payload decoded and counted by flow, reason, interface and comm
// for top --by.
func BenchmarkPacketAlertsGroups(b *testing.B) {
	benchPacketAlerts(b, func(s *session) { s.notes.Group = true })
}

func benchPacketAlerts(b *testing.B, setup func(*session)) {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	// A real UDP datagram, so that decoding its flow does real work.
	evs := packetAlert(730595860).evs
	p := *evs[0].Packet
	p.Payload = udpFrame(40000, 53)
	evs[0].Packet = &p
	src := &burstSource{n: b.N, evs: evs}
	k := burstKernel{newFakeBackend(), src}
	eng, err := drops.Open(drops.Options{Backends: drops.Backends{NetDM: func() (drops.Kernel, error) { return k, nil }}})
	if err != nil {
		b.Fatal(err)
	}
	mode := dropmon.ModePacket
	if err := eng.SetConfig(dropmon.ConfigUpdate{Mode: &mode}); err != nil {
		b.Fatal(err)
	}
	s := &session{
		eng: eng, out: report.NewOutput(devnull), alerts: report.NewOutput(devnull), stderr: devnull,
		loc: loc, table: report.NewTable(), once: true,
	}
	setup(s)
	b.ReportAllocs()
	b.ResetTimer()
	w, err := eng.Watch(drops.WatchOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.watch(w); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if s.table.Total() != uint64(b.N) {
		b.Fatalf("printed %d alerts, want %d", s.table.Total(), b.N)
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

// TestQueuedAlertsOneWrite: the batches the engine hands over at one
// wake-up (pkg/drops TestQueuedBatchesOneFlush) are written in one write,
// all of them.
func TestQueuedAlertsOneWrite(t *testing.T) {
	out := &writeCounter{}
	s := &session{alerts: report.NewOutput(out), out: report.NewOutput(out), table: report.NewTable(), loc: time.UTC}
	p := s.printer()
	var want string
	for i := range 3 {
		pkt := packetAlert(i).evs[0].Packet
		b := &drops.Batch{
			Records:  []drops.Record{{Count: 1, Packet: pkt}},
			Messages: []drops.Message{{First: 0, End: 1, Mode: dropmon.ModePacket}},
		}
		if err := p.Take(b); err != nil {
			t.Fatal(err)
		}
		want += string(report.AppendPacketBlock(nil, pkt, time.UTC))
	}
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	if out.writes != 1 || string(out.buf) != want || p.Count() != 3 {
		t.Errorf("%d writes of %d alerts:\n%s", out.writes, p.Count(), out.buf)
	}
}

// TestTracepointPacketText: a tracepoint packet alert has no NET_DM symbol
// text; dropwatch prints the location the engine resolved in its place,
// or the address (pkg/drops TestTracepointPacket has the record).
func TestTracepointPacketText(t *testing.T) {
	ts := time.Date(2026, 11, 25, 12, 38, 38, 730595860, time.UTC)
	pkt := &dropmon.PacketAlert{
		HasOrigin: true, Origin: dropmon.OriginSoftware, HasPC: true, PC: 0xffffffff878bcae2,
		HasTimestamp: true, Timestamp: ts, HasProto: true, Proto: 0x800, Reason: "NO_SOCKET",
	}
	r := drops.Record{Location: drops.Locate(testSymbols(), pkt.PC), Count: 1, Packet: pkt}
	want := "drop at: __udp4_lib_rcv+0x9a2 (0xffffffff878bcae2)\n" +
		"origin: software\n" +
		"timestamp: Wed Nov 25 12:38:38 2026 730595860 nsec\n" +
		"protocol: 0x800\n" +
		"drop reason: NO_SOCKET\n\n"
	if diff := cmp.Diff(want, string(report.AppendRecord(nil, &r, report.RecordPacket(&r), time.UTC))); diff != "" {
		t.Errorf("rendered (-want +got):\n%s", diff)
	}
	// The table and JSON name it as summary mode does.
	if diff := cmp.Diff(report.Location{PC: 0xffffffff878bcae2, Symbol: "__udp4_lib_rcv+0x9a2"}, report.RecordLocation(&r)); diff != "" {
		t.Errorf("location (-want +got):\n%s", diff)
	}
	r.Location = drops.Locate(nil, pkt.PC)
	if got := string(report.AppendRecord(nil, &r, report.RecordPacket(&r), time.UTC)); !strings.HasPrefix(got, "drop at: 0xffffffff878bcae2 (0xffffffff878bcae2)\n") {
		t.Errorf("without symbols:\n%s", got)
	}
	// Unresolved: the address alone, no symbol repeating it.
	if diff := cmp.Diff(report.Location{PC: 0xffffffff878bcae2}, report.RecordLocation(&r)); diff != "" {
		t.Errorf("location without symbols (-want +got):\n%s", diff)
	}
}
