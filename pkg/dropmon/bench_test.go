package dropmon

import (
	"testing"

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
	msg := nlmsg(b, 0x1c, cmdPacketAlert, encode(b, func(ae *netlink.AttributeEncoder) {
		ae.Uint16(attrOrigin, 0)
		ae.Uint64(attrPC, 0xffffffff878bcae2)
		ae.String(attrReason, "NO_SOCKET")
		ae.String(attrSymbol, "__udp4_lib_rcv+0x9a2/0xc30")
		ae.Nested(attrInPort, func(nae *netlink.AttributeEncoder) error {
			nae.Uint32(attrPortNetdevIfindex, 1)
			return nil
		})
		ae.Uint64(attrTimestamp, 1764074318730595860)
		ae.Uint32(attrOrigLen, 74)
		ae.Uint16(attrProto, 0x0800)
		ae.Bytes(attrPayload, make([]byte, 74))
	}))
	var strs interner
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if ev, _ := decodeEvent(msg, &strs); ev.Err != nil {
			b.Fatal(ev.Err)
		}
	}
}
