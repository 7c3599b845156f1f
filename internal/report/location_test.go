package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
)

func TestPacketLocation(t *testing.T) {
	tests := []struct {
		name string
		p    dropmon.PacketAlert
		want Location
	}{
		{"kernel text", dropmon.PacketAlert{HasPC: true, PC: 0xffffffff878bcae2, Symbol: "__udp4_lib_rcv+0x9a2/0xc30"},
			Location{PC: 0xffffffff878bcae2, Symbol: "__udp4_lib_rcv+0x9a2"}},
		{"module", dropmon.PacketAlert{HasPC: true, PC: 0xffffffffc0a01234, Symbol: "nft_do_chain+0x3c1/0x700 [nf_tables]"},
			Location{PC: 0xffffffffc0a01234, Symbol: "nft_do_chain+0x3c1", Module: "nf_tables"}},
		{"no size", dropmon.PacketAlert{HasPC: true, PC: 0xffffffff820a7f2c, Symbol: "__udp4_lib_rcv+0x4bc"},
			Location{PC: 0xffffffff820a7f2c, Symbol: "__udp4_lib_rcv+0x4bc"}},
		{"hardware trap", dropmon.PacketAlert{HWTrapName: "blackhole_route"},
			Location{Symbol: "blackhole_route", Hardware: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, PacketLocation(&tt.p)); diff != "" {
				t.Errorf("packetLocation mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
