package flow_test

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"

	"github.com/dropwatch-go/dropwatch/pkg/flow"
	"github.com/google/go-cmp/cmp"
)

// wantLines are the corpus's flows, one per packet, written from tcpdump's
// reading of the same file (testdata/packets/corpus.txt, made by
// "tcpdump -r corpus.pcap -nn -e -v"): its addresses, ports, ICMP type
// names (RFC 792 and RFC 4443 numbers here), TCP flags and VLAN tags.
var wantLines = []string{
	1:  "icmp6 :: > ff02::16 type 143 code 0",              // HBH, MLDv2 report
	2:  "icmp6 :: > ff02::1:ff00:b type 135 code 0",        // neighbor solicitation
	3:  "icmp6 fe80::ff:fe00:a > ff02::16 type 143 code 0", // HBH
	4:  "icmp6 fe80::ff:fe00:a > ff02::2 type 133 code 0",  // router solicitation
	5:  "icmp6 fe80::ff:fe00:a > ff02::16 type 143 code 0", // HBH
	6:  "icmp6 fe80::ff:fe00:b > ff02::16 type 143 code 0", // HBH
	7:  "icmp6 fe80::ff:fe00:b > ff02::2 type 133 code 0",
	8:  "icmp6 fe80::ff:fe00:b > ff02::16 type 143 code 0", // HBH
	9:  "arp request 192.0.2.1 > 192.0.2.2",                // who-has 192.0.2.2 tell 192.0.2.1
	10: "arp reply 192.0.2.2 > 192.0.2.1",
	11: "icmp 192.0.2.1 > 192.0.2.2 type 8 code 0", // echo request
	12: "icmp 192.0.2.2 > 192.0.2.1 type 0 code 0", // echo reply
	13: "icmp6 2001:db8::1 > ff02::1:ff00:2 type 135 code 0",
	14: "icmp6 2001:db8::2 > 2001:db8::1 type 136 code 0", // neighbor advertisement
	15: "icmp6 2001:db8::1 > 2001:db8::2 type 128 code 0", // echo request
	16: "icmp6 2001:db8::2 > 2001:db8::1 type 129 code 0", // echo reply
	17: "icmp 192.0.2.1 > 192.0.2.2 type 8 code 0",        // first fragment
	18: "icmp 192.0.2.1 > 192.0.2.2 fragment",             // ip-proto-1
	19: "icmp 192.0.2.1 > 192.0.2.2 fragment",
	20: "icmp 192.0.2.2 > 192.0.2.1 type 0 code 0",
	21: "icmp 192.0.2.2 > 192.0.2.1 fragment",
	22: "icmp 192.0.2.2 > 192.0.2.1 fragment",
	23: "icmp6 2001:db8::1 > 2001:db8::2 type 128 code 0", // frag (0|1448)
	24: "icmp6 2001:db8::1 > 2001:db8::2 fragment",        // frag (1448|1448)
	25: "icmp6 2001:db8::1 > 2001:db8::2 fragment",        // frag (2896|112)
	26: "icmp6 2001:db8::2 > 2001:db8::1 type 129 code 0",
	27: "icmp6 2001:db8::2 > 2001:db8::1 fragment",
	28: "icmp6 2001:db8::2 > 2001:db8::1 fragment",
	29: "icmp 192.0.2.1 > 192.0.2.2 type 8 code 0", // IP options: NOP, record route
	30: "icmp 192.0.2.2 > 192.0.2.1 type 0 code 0", // IP options: record route, EOL
	31: "udp 192.0.2.1:41001 > 192.0.2.2:53",
	32: "udp 192.0.2.2:53 > 192.0.2.1:41001",
	33: "udp [2001:db8::1]:41002 > [2001:db8::2]:53",
	34: "udp [2001:db8::2]:53 > [2001:db8::1]:41002",
	35: "udp 192.0.2.1:41003 > 192.0.2.2:9",
	36: "icmp 192.0.2.2 > 192.0.2.1 type 3 code 3", // port unreachable
	37: "udp [2001:db8::1]:41004 > [2001:db8::2]:9",
	38: "icmp6 2001:db8::2 > 2001:db8::1 type 1 code 4", // unreachable port
	39: "udp [2001:db8::1]:41005 > [2001:db8::2]:53",    // HBH
	40: "udp [2001:db8::2]:53 > [2001:db8::1]:41005",
	41: "udp [2001:db8::1]:41006 > [2001:db8::2]:53", // DSTOPT
	42: "udp [2001:db8::2]:53 > [2001:db8::1]:41006",
	43: "udp 192.0.2.1:41007 > 192.0.2.2:53", // IP options: NOP,NOP,NOP,EOL
	44: "udp 192.0.2.2:53 > 192.0.2.1:41007",
	45: "tcp 192.0.2.1:42001 > 192.0.2.2:8080 [S]",
	46: "tcp 192.0.2.2:8080 > 192.0.2.1:42001 [S.]",
	47: "tcp 192.0.2.1:42001 > 192.0.2.2:8080 [.]",
	48: "tcp 192.0.2.1:42001 > 192.0.2.2:8080 [P.]",
	49: "tcp 192.0.2.2:8080 > 192.0.2.1:42001 [.]",
	50: "tcp 192.0.2.2:8080 > 192.0.2.1:42001 [P.]",
	51: "tcp 192.0.2.1:42001 > 192.0.2.2:8080 [.]",
	52: "tcp 192.0.2.2:8080 > 192.0.2.1:42001 [F.]",
	53: "tcp 192.0.2.1:42001 > 192.0.2.2:8080 [F.]",
	54: "tcp 192.0.2.2:8080 > 192.0.2.1:42001 [.]",
	55: "tcp [2001:db8::1]:42002 > [2001:db8::2]:8080 [S]",
	56: "tcp [2001:db8::2]:8080 > [2001:db8::1]:42002 [S.]",
	57: "tcp [2001:db8::1]:42002 > [2001:db8::2]:8080 [.]",
	58: "tcp [2001:db8::1]:42002 > [2001:db8::2]:8080 [P.]",
	59: "tcp [2001:db8::2]:8080 > [2001:db8::1]:42002 [.]",
	60: "tcp [2001:db8::2]:8080 > [2001:db8::1]:42002 [P.]",
	61: "tcp [2001:db8::1]:42002 > [2001:db8::2]:8080 [.]",
	62: "tcp [2001:db8::1]:42002 > [2001:db8::2]:8080 [F.]",
	63: "tcp [2001:db8::2]:8080 > [2001:db8::1]:42002 [F.]",
	64: "tcp [2001:db8::1]:42002 > [2001:db8::2]:8080 [.]",
	65: "tcp 192.0.2.1:42003 > 192.0.2.2:9 [S]",
	66: "tcp 192.0.2.2:9 > 192.0.2.1:42003 [R.]",
	67: "icmp6 fe80::ff:fe00:a > ff02::2 type 133 code 0",
	68: "tcp [2001:db8::1]:42004 > [2001:db8::2]:9 [S]",
	69: "tcp [2001:db8::2]:9 > [2001:db8::1]:42004 [R.]",
	70: "icmp6 fe80::ff:fe00:b > ff02::2 type 133 code 0",
	71: "vlan 100 arp request 198.51.100.1 > 198.51.100.2",
	72: "vlan 100 udp 198.51.100.1:40000 > 198.51.100.2:53",
	73: "vlan 100 tcp 198.51.100.1:40001 > 198.51.100.2:8080 [S]",
	74: "vlan 200 udp [2001:db8:100::1]:40002 > [2001:db8:100::2]:5353", // priority 5
}

func TestDecodeCorpus(t *testing.T) {
	frames := readCorpus(t)
	if len(frames) != len(wantLines)-1 {
		t.Fatalf("corpus has %d packets, the table %d", len(frames), len(wantLines)-1)
	}
	d := flow.NewDecoder()
	for i, frame := range frames {
		f, err := d.Decode(flow.LinkEthernet, 0, frame)
		if err != nil {
			t.Errorf("packet %d: %v", i+1, err)
			continue
		}
		if f.Truncated {
			t.Errorf("packet %d: truncated", i+1)
		}
		if diff := cmp.Diff(wantLines[i+1], f.String()); diff != "" {
			t.Errorf("packet %d (-want +got):\n%s", i+1, diff)
		}
	}
}

// TestDecodeFields checks whole Flows for one packet of each kind.
func TestDecodeFields(t *testing.T) {
	frames := readCorpus(t)
	a := netip.MustParseAddr
	tests := []struct {
		packet int
		want   flow.Flow
	}{
		{3, flow.Flow{EtherType: 0x86dd, Src: a("fe80::ff:fe00:a"), Dst: a("ff02::16"), Proto: 58, ICMPType: 143, Depth: flow.DepthTransport}},
		{9, flow.Flow{EtherType: 0x0806, Src: a("192.0.2.1"), Dst: a("192.0.2.2"), ARPOp: 1, Depth: flow.DepthNetwork}},
		{18, flow.Flow{EtherType: 0x0800, Src: a("192.0.2.1"), Dst: a("192.0.2.2"), Proto: 1, Fragment: true, Depth: flow.DepthNetwork}},
		{24, flow.Flow{EtherType: 0x86dd, Src: a("2001:db8::1"), Dst: a("2001:db8::2"), Proto: 58, Fragment: true, Depth: flow.DepthNetwork}},
		{36, flow.Flow{EtherType: 0x0800, Src: a("192.0.2.2"), Dst: a("192.0.2.1"), Proto: 1, ICMPType: 3, ICMPCode: 3, Depth: flow.DepthTransport}},
		{39, flow.Flow{EtherType: 0x86dd, Src: a("2001:db8::1"), Dst: a("2001:db8::2"), Proto: 17, SrcPort: 41005, DstPort: 53, Depth: flow.DepthTransport}},
		{46, flow.Flow{EtherType: 0x0800, Src: a("192.0.2.2"), Dst: a("192.0.2.1"), Proto: 6, SrcPort: 8080, DstPort: 42001, TCPFlags: flow.TCPSyn | flow.TCPAck, Depth: flow.DepthTransport}},
		{74, flow.Flow{EtherType: 0x86dd, VLAN: 200, Tagged: true, Src: a("2001:db8:100::1"), Dst: a("2001:db8:100::2"), Proto: 17, SrcPort: 40002, DstPort: 5353, Depth: flow.DepthTransport}},
	}
	d := flow.NewDecoder()
	for _, tt := range tests {
		got, err := d.Decode(flow.LinkEthernet, 0, frames[tt.packet-1])
		if err != nil {
			t.Fatalf("packet %d: %v", tt.packet, err)
		}
		if diff := cmp.Diff(tt.want, got, cmpAddr); diff != "" {
			t.Errorf("packet %d (-want +got):\n%s", tt.packet, diff)
		}
	}
}

// TestDecodeRaw checks the network-header entry point: every untagged
// corpus frame without its Ethernet header, given its EtherType as
// NET_DM_ATTR_PROTO would, decodes to the same flow, with LinkRaw and with
// LinkAuto.
func TestDecodeRaw(t *testing.T) {
	d := flow.NewDecoder()
	for i, frame := range readCorpus(t) {
		proto := binary.BigEndian.Uint16(frame[12:14])
		if proto == flow.EtherTypeDot1Q {
			continue
		}
		want, _ := d.Decode(flow.LinkEthernet, 0, frame)
		for _, link := range []flow.Link{flow.LinkRaw, flow.LinkAuto} {
			got, err := d.Decode(link, proto, frame[14:])
			if err != nil {
				t.Errorf("packet %d %v: %v", i+1, link, err)
			}
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Errorf("packet %d %v (-ethernet +raw):\n%s", i+1, link, diff)
			}
		}
		if got := flow.GuessLink(proto, frame); got != flow.LinkEthernet {
			t.Errorf("packet %d: GuessLink(frame) = %v", i+1, got)
		}
	}
}

// TestDecodeTruncated cuts every corpus frame at every length: decoding
// never fails, marks the cut flows Truncated (unless the cut fell past
// the headers Decode reads), never goes deeper than the whole frame, and
// every field it sets holds the whole frame's value.
func TestDecodeTruncated(t *testing.T) {
	d := flow.NewDecoder()
	for i, frame := range readCorpus(t) {
		full, _ := d.Decode(flow.LinkEthernet, 0, frame)
		for n := 0; n < len(frame); n++ {
			got, err := d.Decode(flow.LinkEthernet, 0, frame[:n])
			if err != nil {
				t.Fatalf("packet %d cut to %d: %v", i+1, n, err)
			}
			if got.Depth > full.Depth {
				t.Errorf("packet %d cut to %d: depth %v > %v", i+1, n, got.Depth, full.Depth)
			}
			if got.Depth < full.Depth && !got.Truncated && n > 0 {
				t.Errorf("packet %d cut to %d: depth %v, not marked truncated", i+1, n, got.Depth)
			}
			if diff := cmp.Diff(mask(full, got), got, cmpAddr); diff != "" {
				t.Errorf("packet %d cut to %d (-whole +cut):\n%s", i+1, n, diff)
			}
		}
	}
}

var cmpAddr = cmp.Comparer(func(x, y netip.Addr) bool { return x == y })

// mask returns full with the fields cut left zero zeroed, and cut's Depth
// and Truncated.
func mask(full, cut flow.Flow) flow.Flow {
	m := full
	m.Depth, m.Truncated = cut.Depth, cut.Truncated
	if cut.EtherType == 0 || (cut.Truncated && cut.EtherType == flow.EtherTypeDot1Q) {
		// Not reached, or cut inside a VLAN tag: the tag's type.
		m.EtherType = cut.EtherType
	}
	if !cut.Tagged {
		m.Tagged, m.VLAN = false, 0
	}
	if !cut.Src.IsValid() {
		m.Src, m.Dst = netip.Addr{}, netip.Addr{}
	}
	switch cut.Proto {
	case 0, 43, 44, 51, 60:
		// Not reached, or cut among the IPv6 extension headers: the last
		// one reached.
		if cut.Truncated || cut.Depth < flow.DepthNetwork {
			m.Proto = cut.Proto
		}
	}
	if !cut.Fragment {
		m.Fragment = false
	}
	if cut.SrcPort == 0 && cut.DstPort == 0 {
		m.SrcPort, m.DstPort = 0, 0
	}
	if cut.TCPFlags == 0 {
		m.TCPFlags = 0
	}
	if cut.ICMPType == 0 && cut.ICMPCode == 0 {
		m.ICMPType, m.ICMPCode = 0, 0
	}
	if cut.ARPOp == 0 {
		m.ARPOp = 0
	}
	return m
}

// TestDecodeTruncatedExamples pins what a cut shows.
func TestDecodeTruncatedExamples(t *testing.T) {
	frames := readCorpus(t)
	tests := []struct {
		packet, cut int
		want        string
	}{
		{31, 0, "unknown"},
		{31, 10, "unknown truncated"},
		{31, 14, "ip truncated"},
		{31, 30, "ip truncated"},
		{31, 34, "udp 192.0.2.1 > 192.0.2.2 truncated"},
		{31, 38, "udp 192.0.2.1:41001 > 192.0.2.2:53 truncated"},
		{45, 40, "tcp 192.0.2.1:42001 > 192.0.2.2:8080 truncated"},
		{39, 60, "ip6 proto 0 2001:db8::1 > 2001:db8::2 truncated"}, // in the hop-by-hop header
		{11, 35, "icmp 192.0.2.1 > 192.0.2.2 truncated"},
		{11, 36, "icmp 192.0.2.1 > 192.0.2.2 type 8 code 0 truncated"},
		{71, 16, "ethertype 0x8100 truncated"},
		{71, 18, "vlan 100 arp truncated"},
		{9, 20, "arp truncated"},
		{9, 22, "arp request truncated"},
	}
	d := flow.NewDecoder()
	for _, tt := range tests {
		got, err := d.Decode(flow.LinkEthernet, 0, frames[tt.packet-1][:tt.cut])
		if err != nil {
			t.Fatalf("packet %d cut %d: %v", tt.packet, tt.cut, err)
		}
		if diff := cmp.Diff(tt.want, got.String()); diff != "" {
			t.Errorf("packet %d cut %d (-want +got):\n%s", tt.packet, tt.cut, diff)
		}
	}
}

func TestDecodeMalformed(t *testing.T) {
	frames := readCorpus(t)
	d := flow.NewDecoder()
	tests := []struct {
		name    string
		link    flow.Link
		proto   uint16
		payload []byte
	}{
		{"ipv4 version 6", flow.LinkRaw, 0x0800, frames[32][14:]},
		{"ipv6 version 4", flow.LinkRaw, 0x86dd, frames[44][14:]},
		{"ipv4 header length 4", flow.LinkRaw, 0x0800, append([]byte{0x41}, frames[30][15:]...)},
	}
	for _, tt := range tests {
		_, err := d.Decode(tt.link, tt.proto, tt.payload)
		if !errors.Is(err, flow.ErrMalformed) {
			t.Errorf("%s: err %v, want ErrMalformed", tt.name, err)
		}
	}
	if _, err := d.Decode(flow.Link(9), 0, frames[0]); err == nil {
		t.Error("unknown link: no error")
	}
}

func TestDecodeOther(t *testing.T) {
	d := flow.NewDecoder()
	// An LLDP frame: an EtherType Decode does not read.
	lldp := make([]byte, 60)
	lldp[12], lldp[13] = 0x88, 0xcc
	f, err := d.Decode(flow.LinkEthernet, 0, lldp)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("ethertype 0x88cc", f.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestKey: the TCP handshake's packets from 192.0.2.1 share a key, the
// replies have another.
func TestKey(t *testing.T) {
	frames := readCorpus(t)
	d := flow.NewDecoder()
	keys := map[flow.Key]int{}
	for _, n := range []int{45, 46, 47, 48, 49} {
		f, _ := d.Decode(flow.LinkEthernet, 0, frames[n-1])
		keys[f.Key()]++
	}
	a := netip.MustParseAddr
	want := map[flow.Key]int{
		{EtherType: 0x0800, Src: a("192.0.2.1"), Dst: a("192.0.2.2"), Proto: 6, SrcPort: 42001, DstPort: 8080}: 3,
		{EtherType: 0x0800, Src: a("192.0.2.2"), Dst: a("192.0.2.1"), Proto: 6, SrcPort: 8080, DstPort: 42001}: 2,
	}
	if diff := cmp.Diff(want, keys, cmpAddr); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestGuessLink(t *testing.T) {
	frames := readCorpus(t)
	udp4 := frames[30] // 192.0.2.1 > 192.0.2.2
	from8 := append([]byte(nil), udp4[14:]...)
	from8[12], from8[13] = 8, 0 // source 8.0.0.1: bytes 12-13 read 0x0800
	tests := []struct {
		name    string
		proto   uint16
		payload []byte
		want    flow.Link
	}{
		{"ethernet ipv4", 0x0800, udp4, flow.LinkEthernet},
		{"raw ipv4", 0x0800, udp4[14:], flow.LinkRaw},
		{"raw ipv4 from 8.0.0.0/16", 0x0800, from8, flow.LinkRaw},
		{"ethernet ipv6", 0x86dd, frames[32], flow.LinkEthernet},
		{"raw ipv6", 0x86dd, frames[32][14:], flow.LinkRaw},
		{"ethernet arp", 0x0806, frames[8], flow.LinkEthernet},
		{"raw arp", 0x0806, frames[8][14:], flow.LinkRaw},
		{"vlan frame, inner type", 0x0800, frames[71], flow.LinkEthernet},
		{"empty", 0x0800, nil, flow.LinkEthernet},
		{"other ethertype", 0x88cc, []byte{1, 2, 3}, flow.LinkEthernet},
	}
	for _, tt := range tests {
		if got := flow.GuessLink(tt.proto, tt.payload); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestDecodeQinQ: a corpus VLAN frame with an outer 802.1ad tag added
// reports the outer VLAN and the inner flow.
func TestDecodeQinQ(t *testing.T) {
	frame := readCorpus(t)[71] // vlan 100 udp 198.51.100.1:40000 > 198.51.100.2:53
	q := append(append(append([]byte(nil), frame[:12]...), 0x88, 0xa8, 0x00, 0x07), frame[12:]...)
	f, err := flow.NewDecoder().Decode(flow.LinkEthernet, 0, q)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("vlan 7 udp 198.51.100.1:40000 > 198.51.100.2:53", f.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
