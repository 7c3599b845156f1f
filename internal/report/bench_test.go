package report

import (
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"testing"
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
)

// benchLocations are 64 resolved locations, as many as one full summary
// alert holds.
func benchLocations() []Location {
	locs := make([]Location, 64)
	for i := range locs {
		locs[i] = Location{
			PC:     0xffffffff81000000 + uint64(i)*0x40,
			Symbol: fmt.Sprintf("net_function_%d+0x%x", i, i*4),
		}
	}
	return locs
}

// BenchmarkTableAdd counts packet alerts at locations already in the
// table: the steady state of a session.
func BenchmarkTableAdd(b *testing.B) {
	locs := benchLocations()
	tab := NewTable()
	for _, l := range locs {
		tab.Add(l, "NO_SOCKET", 0x0800, true, 1)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tab.Add(locs[i%len(locs)], "NO_SOCKET", 0x0800, true, 1)
		i++
	}
}

// BenchmarkJSONSummary writes one entry of a summary alert.
func BenchmarkJSONSummary(b *testing.B) {
	j := NewJSONWriter(io.Discard)
	at := time.Unix(0, 1764074318730595860)
	b.ReportAllocs()
	for b.Loop() {
		if err := j.Summary(at, udpRcv, 3, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONPacket writes a packet alert like those of Linux 6.12 for a
// UDP packet to a closed port, with a 74-byte payload and a short stack.
func BenchmarkJSONPacket(b *testing.B) {
	p := noSocket
	p.Timestamp, p.HasTimestamp = dropTime, true
	p.Payload, p.HasPayload = make([]byte, 74), true
	p.OrigLen, p.HasOrigLen = 74, true
	stack := []string{"__udp4_lib_rcv+0x9a2", "ip_protocol_deliver_rcu+0x2c", "ip_local_deliver_finish+0x77"}
	j := NewJSONWriter(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		if err := j.Packet(&p, udpRcv, stack, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteTable renders a 64-row table whole, as "top" does every
// refresh.
func BenchmarkWriteTable(b *testing.B) {
	tab := NewTable()
	for i, l := range benchLocations() {
		tab.Add(l, "NO_SOCKET", 0x0800, true, uint64(1000-i*10))
	}
	rows := tab.Rows()
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteTable(io.Discard, rows, tab.Total(), Losses{}, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatchPacket applies a filter of every kind to a packet alert
// that passes them all.
func BenchmarkMatchPacket(b *testing.B) {
	f := &Filter{
		Reasons: []string{"UDP_CSUM", "NO_SOCKET"}, Protos: []uint16{0x0800}, Ifindexes: []uint32{2},
		Symbol: regexp.MustCompile(`^__udp4_lib_rcv$`),
	}
	b.ReportAllocs()
	for b.Loop() {
		if !f.MatchPacket(&noSocket, udpRcv) {
			b.Fatal("no match")
		}
	}
}

// BenchmarkAnnotate is the per-alert work of --flows and of the REPL's
// top --by: decode the payload's flow, and count the drop by flow,
// reason, interface and comm.
func BenchmarkAnnotate(b *testing.B) {
	udp, err := hex.DecodeString(corpusUDP4)
	if err != nil {
		b.Fatal(err)
	}
	p := dropmon.PacketAlert{HasProto: true, Proto: 0x800, HasPayload: true, Payload: udp, InPort: &dropmon.Port{Name: "lo"}}
	r := drops.Record{Count: 1, Reason: "NO_SOCKET", Packet: &p}
	for _, tc := range []struct {
		name          string
		decode, group bool
	}{{"decode", true, false}, {"decode+group", true, true}} {
		b.Run(tc.name, func(b *testing.B) {
			a := Annotator{Decode: tc.decode, Group: tc.group}
			b.ReportAllocs()
			for b.Loop() {
				if fl, _ := a.Add(&r, &p); fl == nil {
					b.Fatal("no flow")
				}
			}
		})
	}
}
