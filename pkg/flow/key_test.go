package flow

import (
	"net/netip"
	"testing"
)

func TestKeyText(t *testing.T) {
	a4, b4 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	a6, b6 := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	tests := []struct {
		k    Key
		want string
	}{
		{Key{}, "unknown"},
		{Key{EtherType: EtherTypeIPv4, Src: a4, Dst: b4, Proto: ProtoUDP, SrcPort: 40000, DstPort: 53}, "udp 192.0.2.1:40000 > 192.0.2.2:53"},
		{Key{EtherType: EtherTypeIPv6, Src: a6, Dst: b6, Proto: ProtoTCP, SrcPort: 50682, DstPort: 8080, VLAN: 100, Tagged: true}, "vlan 100 tcp [2001:db8::1]:50682 > [2001:db8::2]:8080"},
		{Key{EtherType: EtherTypeIPv4, Src: a4, Dst: b4, Proto: ProtoTCP}, "tcp 192.0.2.1 > 192.0.2.2"},
		{Key{EtherType: EtherTypeIPv4, Src: a4, Dst: b4, Proto: ProtoICMP}, "icmp 192.0.2.1 > 192.0.2.2"},
		{Key{EtherType: EtherTypeIPv6, Src: a6, Dst: b6, Proto: ProtoICMPv6}, "icmp6 2001:db8::1 > 2001:db8::2"},
		{Key{EtherType: EtherTypeIPv6, Src: a6, Dst: b6, Proto: 0}, "ip6 proto 0 2001:db8::1 > 2001:db8::2"},
		{Key{EtherType: EtherTypeIPv4}, "ip"},
		{Key{EtherType: EtherTypeARP, Src: a4, Dst: b4}, "arp 192.0.2.1 > 192.0.2.2"},
		{Key{EtherType: EtherTypeARP}, "arp"},
		{Key{EtherType: 0x88cc}, "ethertype 0x88cc"},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.k, got, tt.want)
		}
	}
}

// TestKeyTextOfFlow: a decoded flow's key reads as its flow line without
// the flags.
func TestKeyTextOfFlow(t *testing.T) {
	f := Flow{EtherType: EtherTypeIPv4, Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"),
		Proto: ProtoTCP, SrcPort: 1, DstPort: 2, TCPFlags: TCPSyn, Depth: DepthTransport}
	if got, want := f.String(), f.Key().String()+" [S]"; got != want {
		t.Errorf("flow %q, key + flags %q", got, want)
	}
}
