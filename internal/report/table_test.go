package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Locations shared by the tests. The addresses are shaped like x86-64
// kernel text addresses.
var (
	udpRcv  = Location{PC: 0xffffffff878bcae2, Symbol: "__udp4_lib_rcv+0x9a2"}
	tcpRcv  = Location{PC: 0xffffffff87891234, Symbol: "tcp_v4_rcv+0x1a0"}
	nftDrop = Location{PC: 0xffffffffc0a1b3c1, Symbol: "nft_do_chain+0x3c1", Module: "nf_tables"}
	unknown = Location{PC: 0xffffffff81abcdef}
	vlanHW  = Location{Symbol: "ingress_vlan_filter", Hardware: true}
	rxDrop  = Location{}
)

type addArgs struct {
	loc      Location
	reason   string
	proto    uint16
	hasProto bool
	count    uint64
}

func fill(t *Table, adds []addArgs) {
	for _, a := range adds {
		t.Add(a.loc, a.reason, a.proto, a.hasProto, a.count)
	}
}

func TestTableRows(t *testing.T) {
	tests := []struct {
		name      string
		adds      []addArgs
		wantRows  []Row
		wantTotal uint64
	}{
		{
			name:     "empty",
			wantRows: []Row{},
		},
		{
			name: "summary counts aggregate per location",
			adds: []addArgs{
				{loc: udpRcv, count: 3},
				{loc: tcpRcv, count: 1},
				{loc: udpRcv, count: 4},
			},
			wantRows: []Row{
				{Location: udpRcv, Count: 7, Share: 7.0 / 8},
				{Location: tcpRcv, Count: 1, Share: 1.0 / 8},
			},
			wantTotal: 8,
		},
		{
			name: "reason and protocol split a location",
			adds: []addArgs{
				{loc: udpRcv, reason: "NO_SOCKET", proto: 0x0800, hasProto: true, count: 1},
				{loc: udpRcv, reason: "NO_SOCKET", proto: 0x86dd, hasProto: true, count: 1},
				{loc: udpRcv, reason: "UDP_CSUM", proto: 0x0800, hasProto: true, count: 1},
				{loc: udpRcv, reason: "NO_SOCKET", proto: 0x0800, hasProto: true, count: 1},
			},
			wantRows: []Row{
				{Location: udpRcv, Reason: "NO_SOCKET", Proto: 0x0800, HasProto: true, Count: 2, Share: 0.5},
				{Location: udpRcv, Reason: "NO_SOCKET", Proto: 0x86dd, HasProto: true, Count: 1, Share: 0.25},
				{Location: udpRcv, Reason: "UDP_CSUM", Proto: 0x0800, HasProto: true, Count: 1, Share: 0.25},
			},
			wantTotal: 4,
		},
		{
			name: "proto is ignored without hasProto",
			adds: []addArgs{
				{loc: tcpRcv, proto: 0x0800, count: 1},
				{loc: tcpRcv, proto: 0x86dd, count: 1},
			},
			wantRows:  []Row{{Location: tcpRcv, Count: 2, Share: 1}},
			wantTotal: 2,
		},
		{
			name: "a zero count adds no row",
			adds: []addArgs{
				{loc: tcpRcv, count: 0},
				{loc: udpRcv, count: 5},
			},
			wantRows:  []Row{{Location: udpRcv, Count: 5, Share: 1}},
			wantTotal: 5,
		},
		{
			name: "ties: symbol, then PC, then reason",
			adds: []addArgs{
				{loc: udpRcv, reason: "UDP_CSUM", count: 2},
				{loc: Location{PC: 0xffffffff80000002}, count: 2},
				{loc: udpRcv, reason: "NO_SOCKET", count: 2},
				{loc: tcpRcv, count: 2},
				{loc: Location{PC: 0xffffffff80000001}, count: 2},
				{loc: nftDrop, count: 9},
			},
			wantRows: []Row{
				{Location: nftDrop, Count: 9, Share: 9.0 / 19},
				{Location: Location{PC: 0xffffffff80000001}, Count: 2, Share: 2.0 / 19},
				{Location: Location{PC: 0xffffffff80000002}, Count: 2, Share: 2.0 / 19},
				{Location: udpRcv, Reason: "NO_SOCKET", Count: 2, Share: 2.0 / 19},
				{Location: udpRcv, Reason: "UDP_CSUM", Count: 2, Share: 2.0 / 19},
				{Location: tcpRcv, Count: 2, Share: 2.0 / 19},
			},
			wantTotal: 19,
		},
		{
			name: "ties beyond reason: module, origin, protocol",
			adds: []addArgs{
				{loc: Location{Symbol: "x", Hardware: true}, count: 1},
				{loc: Location{Symbol: "x", Module: "m"}, count: 1},
				{loc: Location{Symbol: "x"}, proto: 2, hasProto: true, count: 1},
				{loc: Location{Symbol: "x"}, proto: 1, hasProto: true, count: 1},
				{loc: Location{Symbol: "x"}, count: 1},
			},
			wantRows: []Row{
				{Location: Location{Symbol: "x"}, Count: 1, Share: 0.2},
				{Location: Location{Symbol: "x"}, Proto: 1, HasProto: true, Count: 1, Share: 0.2},
				{Location: Location{Symbol: "x"}, Proto: 2, HasProto: true, Count: 1, Share: 0.2},
				{Location: Location{Symbol: "x", Hardware: true}, Count: 1, Share: 0.2},
				{Location: Location{Symbol: "x", Module: "m"}, Count: 1, Share: 0.2},
			},
			wantTotal: 5,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := NewTable()
			fill(tab, tt.adds)
			if diff := cmp.Diff(tt.wantRows, tab.Rows()); diff != "" {
				t.Errorf("Rows() mismatch (-want +got):\n%s", diff)
			}
			if got := tab.Total(); got != tt.wantTotal {
				t.Errorf("Total() = %d, want %d", got, tt.wantTotal)
			}
			if got := tab.Len(); got != len(tt.wantRows) {
				t.Errorf("Len() = %d, want %d", got, len(tt.wantRows))
			}
		})
	}
}

func TestTableReset(t *testing.T) {
	tab := NewTable()
	fill(tab, []addArgs{{loc: udpRcv, count: 3}, {loc: tcpRcv, count: 1}})
	tab.Reset()
	if diff := cmp.Diff([]Row{}, tab.Rows()); diff != "" {
		t.Errorf("Rows() after Reset mismatch (-want +got):\n%s", diff)
	}
	if got := tab.Total(); got != 0 {
		t.Errorf("Total() after Reset = %d, want 0", got)
	}

	// The table counts from zero again, with shares of the new total only.
	fill(tab, []addArgs{{loc: tcpRcv, count: 2}, {loc: nftDrop, count: 2}})
	want := []Row{
		{Location: nftDrop, Count: 2, Share: 0.5},
		{Location: tcpRcv, Count: 2, Share: 0.5},
	}
	if diff := cmp.Diff(want, tab.Rows()); diff != "" {
		t.Errorf("Rows() after Reset and Add mismatch (-want +got):\n%s", diff)
	}
	if got := tab.Total(); got != 4 {
		t.Errorf("Total() after Reset and Add = %d, want 4", got)
	}
}

func TestZeroTable(t *testing.T) {
	var tab Table
	tab.Reset()
	tab.Add(udpRcv, "", 0, false, 2)
	if diff := cmp.Diff([]Row{{Location: udpRcv, Count: 2, Share: 1}}, tab.Rows()); diff != "" {
		t.Errorf("Rows() of a zero Table mismatch (-want +got):\n%s", diff)
	}
}

func TestLocationText(t *testing.T) {
	tests := []struct {
		loc      Location
		wantText string
		wantName string
	}{
		{udpRcv, "__udp4_lib_rcv+0x9a2", "__udp4_lib_rcv"},
		{Location{PC: 1, Symbol: "__udp4_lib_rcv+0x9a2/0xc30"}, "__udp4_lib_rcv+0x9a2/0xc30", "__udp4_lib_rcv"},
		{nftDrop, "nft_do_chain+0x3c1 [nf_tables]", "nft_do_chain"},
		{Location{Symbol: "nft_do_chain"}, "nft_do_chain", "nft_do_chain"},
		{unknown, "0xffffffff81abcdef", ""},
		{Location{PC: 0xffffffffc0001000, Module: "veth"}, "0xffffffffc0001000 [veth]", ""},
		{vlanHW, "ingress_vlan_filter [hardware]", "ingress_vlan_filter"},
		{Location{Symbol: "a+b_trap", Hardware: true}, "a+b_trap [hardware]", "a+b_trap"},
		{rxDrop, "device rx_dropped", ""},
	}
	for _, tt := range tests {
		if got := tt.loc.String(); got != tt.wantText {
			t.Errorf("%#v.String() = %q, want %q", tt.loc, got, tt.wantText)
		}
		if got := tt.loc.Name(); got != tt.wantName {
			t.Errorf("%#v.Name() = %q, want %q", tt.loc, got, tt.wantName)
		}
	}
}
