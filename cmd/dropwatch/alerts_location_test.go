package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/internal/report"
	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
)

func TestPacketLocation(t *testing.T) {
	tests := []struct {
		name string
		p    dropmon.PacketAlert
		want report.Location
	}{
		{"kernel text", dropmon.PacketAlert{HasPC: true, PC: 0xffffffff878bcae2, Symbol: "__udp4_lib_rcv+0x9a2/0xc30"},
			report.Location{PC: 0xffffffff878bcae2, Symbol: "__udp4_lib_rcv+0x9a2"}},
		{"module", dropmon.PacketAlert{HasPC: true, PC: 0xffffffffc0a01234, Symbol: "nft_do_chain+0x3c1/0x700 [nf_tables]"},
			report.Location{PC: 0xffffffffc0a01234, Symbol: "nft_do_chain+0x3c1", Module: "nf_tables"}},
		{"no size", dropmon.PacketAlert{HasPC: true, PC: 0xffffffff820a7f2c, Symbol: "__udp4_lib_rcv+0x4bc"},
			report.Location{PC: 0xffffffff820a7f2c, Symbol: "__udp4_lib_rcv+0x4bc"}},
		{"hardware trap", dropmon.PacketAlert{HWTrapName: "blackhole_route"},
			report.Location{Symbol: "blackhole_route", Hardware: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, packetLocation(&tt.p)); diff != "" {
				t.Errorf("packetLocation mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
