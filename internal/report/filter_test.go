package report

import (
	"regexp"
	"testing"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/google/go-cmp/cmp"
)

func TestParseProto(t *testing.T) {
	const names = "want ipv4, ip, ipv6, ip6, arp, vlan, qinq, mpls or lldp, or an EtherType such as 0x0800 or 2048"
	tests := []struct {
		in      string
		want    uint16
		wantErr string
	}{
		{in: "0x0800", want: 0x0800},
		{in: "0X86DD", want: 0x86dd},
		{in: "0x86dd", want: 0x86dd},
		{in: "0xffff", want: 0xffff},
		{in: "0x0", want: 0},
		{in: "2048", want: 0x0800},
		{in: "0", want: 0},
		{in: "65535", want: 0xffff},
		{in: "ipv4", want: 0x0800},
		{in: "IPv4", want: 0x0800},
		{in: "ip", want: 0x0800},
		{in: "ipv6", want: 0x86dd},
		{in: "ip6", want: 0x86dd},
		{in: "ARP", want: 0x0806},
		{in: "vlan", want: 0x8100},
		{in: "qinq", want: 0x88a8},
		{in: "mpls", want: 0x8847},
		{in: "lldp", want: 0x88cc},
		{in: "", wantErr: "empty protocol: want a name such as ipv4, or an EtherType such as 0x0800"},
		{in: "0800", wantErr: `protocol "0800" is ambiguous: write 0x0800 for hex or 800 for decimal`},
		{in: "00", wantErr: `protocol "00" is ambiguous: write 0x00 for hex or 0 for decimal`},
		{in: "0x10000", wantErr: `protocol "0x10000" is out of range: EtherTypes are 16 bits, at most 0xffff`},
		{in: "65536", wantErr: `protocol "65536" is out of range: EtherTypes are 16 bits, at most 0xffff`},
		{in: "ipx", wantErr: `unknown protocol "ipx": ` + names},
		{in: "0x", wantErr: `unknown protocol "0x": ` + names},
		{in: "0abc", wantErr: `unknown protocol "0abc": ` + names},
		{in: "-1", wantErr: `unknown protocol "-1": ` + names},
		{in: "+2048", wantErr: `unknown protocol "+2048": ` + names},
		{in: "2_048", wantErr: `unknown protocol "2_048": ` + names},
		{in: " ipv4", wantErr: `unknown protocol " ipv4": ` + names},
	}
	type result struct {
		Proto uint16
		Err   string
	}
	for _, tt := range tests {
		p, err := ParseProto(tt.in)
		got := result{Proto: p}
		if err != nil {
			got.Err = err.Error()
		}
		if diff := cmp.Diff(result{tt.want, tt.wantErr}, got); diff != "" {
			t.Errorf("ParseProto(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestNormalizeReason(t *testing.T) {
	for in, want := range map[string]string{
		"NO_SOCKET":                 "NO_SOCKET",
		"no_socket":                 "NO_SOCKET",
		"SKB_DROP_REASON_NO_SOCKET": "NO_SOCKET",
		"skb_drop_reason_no_socket": "NO_SOCKET",
		"SKB_DROP_REASON_":          "",
		"SKB_DROP":                  "SKB_DROP",
	} {
		if got := NormalizeReason(in); got != want {
			t.Errorf("NormalizeReason(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFilterKinds(t *testing.T) {
	tests := []struct {
		name            string
		f               *Filter
		wantEmpty       bool
		wantPacketMode  bool
		wantMatchesLocs bool // whether the filter lets any summary location through
	}{
		{name: "nil", f: nil, wantEmpty: true, wantMatchesLocs: true},
		{name: "zero", f: &Filter{}, wantEmpty: true, wantMatchesLocs: true},
		{name: "empty lists", f: &Filter{Reasons: []string{}, Protos: []uint16{}, Ifindexes: []uint32{}}, wantEmpty: true, wantMatchesLocs: true},
		{name: "reason", f: &Filter{Reasons: []string{"NO_SOCKET"}}, wantPacketMode: true, wantMatchesLocs: true},
		{name: "protocol", f: &Filter{Protos: []uint16{0x0800}}, wantPacketMode: true, wantMatchesLocs: true},
		{name: "ifindex", f: &Filter{Ifindexes: []uint32{1}}, wantPacketMode: true, wantMatchesLocs: true},
		{name: "symbol", f: &Filter{Symbol: regexp.MustCompile("^none$")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Empty(); got != tt.wantEmpty {
				t.Errorf("Empty() = %v, want %v", got, tt.wantEmpty)
			}
			if got := tt.f.NeedsPacketMode(); got != tt.wantPacketMode {
				t.Errorf("NeedsPacketMode() = %v, want %v", got, tt.wantPacketMode)
			}
			if got := tt.f.MatchLocation(udpRcv); got != tt.wantMatchesLocs {
				t.Errorf("MatchLocation(%v) = %v, want %v", udpRcv, got, tt.wantMatchesLocs)
			}
		})
	}
}

// A UDP packet to a closed port on eth0 (ifindex 2), as Linux 6.12 reports
// it, and its variants.
var (
	noSocket = dropmon.PacketAlert{
		PC: udpRcv.PC, HasPC: true, Symbol: "__udp4_lib_rcv+0x9a2/0xc30",
		InPort: &dropmon.Port{Ifindex: 2, HasIfindex: true, Name: "eth0"},
		Proto:  0x0800, HasProto: true,
		Reason: "NO_SOCKET",
	}
	oldKernel = dropmon.PacketAlert{PC: udpRcv.PC, HasPC: true, Proto: 0x0800, HasProto: true} // no reason, no port
	portName  = dropmon.PacketAlert{InPort: &dropmon.Port{Name: "eth0"}}                       // a port without ifindex
	hwPacket  = dropmon.PacketAlert{HWTrapName: "ingress_vlan_filter", HWTrapGroupName: "l2_drops"}
)

func TestMatchPacket(t *testing.T) {
	type packetCase struct {
		p    *dropmon.PacketAlert
		loc  Location
		want bool
	}
	tests := []struct {
		name  string
		f     *Filter
		cases []packetCase
	}{
		{
			name: "empty selects all",
			f:    &Filter{},
			cases: []packetCase{
				{&noSocket, udpRcv, true}, {&oldKernel, unknown, true}, {&hwPacket, vlanHW, true},
			},
		},
		{
			name: "reason: any of them, case and prefix ignored, none on old kernels",
			f:    &Filter{Reasons: []string{"udp_csum", "SKB_DROP_REASON_no_socket"}},
			cases: []packetCase{
				{&noSocket, udpRcv, true},
				{&dropmon.PacketAlert{Reason: "UDP_CSUM"}, udpRcv, true},
				{&dropmon.PacketAlert{Reason: "SKB_DROP_REASON_UDP_CSUM"}, udpRcv, true},
				{&dropmon.PacketAlert{Reason: "NOT_SPECIFIED"}, udpRcv, false},
				{&oldKernel, udpRcv, false},
			},
		},
		{
			name: "protocol: any of them, none without a protocol",
			f:    &Filter{Protos: []uint16{0x86dd, 0x0800}},
			cases: []packetCase{
				{&noSocket, udpRcv, true},
				{&dropmon.PacketAlert{Proto: 0x0806, HasProto: true}, udpRcv, false},
				{&dropmon.PacketAlert{Proto: 0x0800}, udpRcv, false}, // HasProto false
			},
		},
		{
			name: "ifindex: any of them, none without an ifindex",
			f:    &Filter{Ifindexes: []uint32{5, 2}},
			cases: []packetCase{
				{&noSocket, udpRcv, true},
				{&dropmon.PacketAlert{InPort: &dropmon.Port{Ifindex: 3, HasIfindex: true}}, udpRcv, false},
				{&portName, udpRcv, false},
				{&oldKernel, udpRcv, false},
			},
		},
		{
			name: "symbol: against the location, not the kernel's text",
			f:    &Filter{Symbol: regexp.MustCompile("^__udp4_lib_rcv$")},
			cases: []packetCase{
				{&noSocket, udpRcv, true},
				{&noSocket, Location{PC: udpRcv.PC, Symbol: noSocket.Symbol}, true},
				{&noSocket, unknown, false},
			},
		},
		{
			name: "every kind set: all must match",
			f: &Filter{
				Reasons: []string{"NO_SOCKET"}, Protos: []uint16{0x0800}, Ifindexes: []uint32{2},
				Symbol: regexp.MustCompile("udp"),
			},
			cases: []packetCase{
				{&noSocket, udpRcv, true},
				{&noSocket, tcpRcv, false},
				{&oldKernel, udpRcv, false},
				{&dropmon.PacketAlert{Reason: "NO_SOCKET", Proto: 0x0800, HasProto: true}, udpRcv, false},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want, got []bool
			for _, c := range tt.cases {
				want = append(want, c.want)
				got = append(got, tt.f.MatchPacket(c.p, c.loc))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("MatchPacket of each case mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatchLocation(t *testing.T) {
	locs := []Location{udpRcv, tcpRcv, nftDrop, unknown, vlanHW, rxDrop}
	tests := []struct {
		name string
		f    *Filter
		want []Location
	}{
		{name: "no filter", f: &Filter{}, want: locs},
		{
			name: "packet-only filters are ignored",
			f:    &Filter{Reasons: []string{"NO_SOCKET"}, Protos: []uint16{1}, Ifindexes: []uint32{1}},
			want: locs,
		},
		{name: "name, anchored", f: &Filter{Symbol: regexp.MustCompile(`^tcp_v4_rcv$`)}, want: []Location{tcpRcv}},
		{name: "offset in the full text", f: &Filter{Symbol: regexp.MustCompile(`\+0x9a2$`)}, want: []Location{udpRcv}},
		{name: "substring", f: &Filter{Symbol: regexp.MustCompile(`_rcv`)}, want: []Location{udpRcv, tcpRcv}},
		{name: "module", f: &Filter{Symbol: regexp.MustCompile(`\[nf_tables\]`)}, want: []Location{nftDrop}},
		{name: "unresolved address", f: &Filter{Symbol: regexp.MustCompile(`^0xffffffff81`)}, want: []Location{unknown}},
		{name: "hardware trap name", f: &Filter{Symbol: regexp.MustCompile(`^ingress_vlan_filter$`)}, want: []Location{vlanHW}},
		{name: "hardware marker", f: &Filter{Symbol: regexp.MustCompile(`\[hardware\]`)}, want: []Location{vlanHW}},
		{name: "rx_dropped", f: &Filter{Symbol: regexp.MustCompile(`rx_dropped`)}, want: []Location{rxDrop}},
		{name: "nothing", f: &Filter{Symbol: regexp.MustCompile(`^$`)}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Location
			for _, l := range locs {
				if tt.f.MatchLocation(l) {
					got = append(got, l)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("MatchLocation selection mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
