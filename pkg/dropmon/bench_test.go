package dropmon

import (
	"testing"
	"time"

	"github.com/mdlayher/netlink"
)

// A full summary alert (64 points) and a packet alert shaped like the
// kernel's (see TestDecodePacketAlert), decoded as the monitor decodes them.

func BenchmarkDecodeSummary(b *testing.B) {
	points := make([]DropPoint, MaxSummaryPoints)
	for i := range points {
		points[i] = DropPoint{PC: 0xffffffff81000000 + uint64(i)*0x40, Count: uint32(i)}
	}
	msg := nlmsg(b, 0x1c, cmdAlert, encode(b, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(attrUnspec, alertMsg(MaxSummaryPoints, points...))
	}))
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if ev, _ := decodeEvent(msg, nil); ev.Err != nil {
			b.Fatal(ev.Err)
		}
	}
}

func BenchmarkDecodePacket(b *testing.B) {
	msg := nlmsg(b, 0x1c, cmdPacketAlert, softwareDrop(b, time.Unix(0, 1764074318730595860), make([]byte, 74)))
	var strs interner
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if ev, _ := decodeEvent(msg, &strs); ev.Err != nil {
			b.Fatal(ev.Err)
		}
	}
}
