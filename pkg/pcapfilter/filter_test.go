package pcapfilter_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dropwatch-go/dropwatch/pkg/flow"
	"github.com/dropwatch-go/dropwatch/pkg/pcapfilter"
	"github.com/google/go-cmp/cmp"
)

// TestCompileRefuses: what this compiler does not implement is refused,
// naming the part, never compiled into something else.
func TestCompileRefuses(t *testing.T) {
	tests := []struct {
		expr        string
		part        string // in the message
		pos         int
		unsupported bool
	}{
		{"port domain", `"domain"`, 5, true},
		{"host example.com", `"example.com"`, 5, true},
		{"tcp and gateway router", `"gateway"`, 8, true},
		{"ip6 protochain 6", `"protochain"`, 4, true},
		{"mpls and ip", `"mpls"`, 0, true},
		{"pppoes", `"pppoes"`, 0, true},
		{"ip broadcast", `"ip broadcast"`, 3, true},
		{"src 53", `"53"`, 4, true},
		{"ether proto 100", "802.3", 12, true},
		{"inbound", `"inbound"`, 0, true},
		{"net 10.0.0.0 mask 255.0.255.0", "non-contiguous", 18, true},
		{"udp port 53 and icmp6type = 1", `"icmp6type"`, 16, true},
		{"ip port 53", "illegal qualifier", 8, false},
		{"net 192.0.2.1/24", "non-network bits", 4, false},
		{"udp[0:3] = 1", "data size", 6, false},
		{"tcp[0] / 0 = 1", "division by zero", 7, false},
		{"ip[0] << 32 = 1", "shift", 6, false},
		{"vlan 4096", "4095", 5, false},
		{"(tcp", "missing )", 4, false},
		{"tcp or", "ends where a primitive", 6, false},
		{"tcp $ udp", "'$'", 4, false},
		{"host 02:00:00:00:00:01", "ether host", 5, false},
		{strings.Repeat("(", 200) + "tcp" + strings.Repeat(")", 200), "nested", 100, false},
		{strings.Repeat("not ", 200) + "tcp", "nested", 400, false},
	}
	for _, tt := range tests {
		_, err := pcapfilter.Compile(tt.expr)
		var e *pcapfilter.Error
		if !errors.As(err, &e) {
			t.Errorf("Compile(%.40q) = %v, want an *Error", tt.expr, err)
			continue
		}
		if !strings.Contains(e.Msg, tt.part) {
			t.Errorf("Compile(%.40q): message %q does not name %q", tt.expr, e.Msg, tt.part)
		}
		if tt.pos >= 0 && tt.pos != e.Pos && tt.pos < 100 {
			t.Errorf("Compile(%.40q): at %d, want %d", tt.expr, e.Pos, tt.pos)
		}
		if e.Unsupported != tt.unsupported {
			t.Errorf("Compile(%.40q): Unsupported %v, want %v (%v)", tt.expr, e.Unsupported, tt.unsupported, err)
		}
		if !strings.HasPrefix(err.Error(), "pcapfilter: ") {
			t.Errorf("Compile(%.40q): %q", tt.expr, err)
		}
	}
}

func TestString(t *testing.T) {
	f, err := pcapfilter.Compile("udp port 53")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("udp port 53", f.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestMatchEntryPoints: one packet (corpus packet 31, UDP 192.0.2.1 > .2
// port 53) seen from the Ethernet header, from the IP header, and through
// LinkAuto, cut before its UDP header, and with the wire length.
func TestMatchEntryPoints(t *testing.T) {
	frame := readCorpus(t)[30]
	tests := []struct {
		expr    string
		link    flow.Link
		payload []byte
		origLen uint32
		want    bool
	}{
		{"udp port 53", flow.LinkEthernet, frame, 50, true},
		{"udp port 53", flow.LinkRaw, frame[14:], 36, true},
		{"udp port 53", flow.LinkAuto, frame[14:], 36, true},
		{"udp port 53", flow.LinkAuto, frame, 50, true},
		{"ether proto 0x0800", flow.LinkRaw, frame[14:], 36, true},
		{"ether host 02:00:00:00:00:0a", flow.LinkRaw, frame[14:], 36, false},
		{"ether host 00:00:00:00:00:00", flow.LinkRaw, frame[14:], 36, true},
		// Cut before the UDP header: no verdict, so no match, negated or not.
		{"port 53", flow.LinkEthernet, frame[:34], 50, false},
		{"not port 53", flow.LinkEthernet, frame[:34], 50, false},
		{"not port 53", flow.LinkRaw, frame[14:34], 36, false},
		{"ip and not port 53", flow.LinkRaw, frame[14:34], 36, false},
		{"host 192.0.2.2", flow.LinkEthernet, frame[:34], 50, true},
		// len is the wire length, from the Ethernet header.
		{"len = 50", flow.LinkEthernet, frame[:34], 50, true},
		{"len = 50", flow.LinkRaw, frame[14:34], 36, true},
		{"len = 34", flow.LinkEthernet, frame[:34], 0, true},
		{"", flow.LinkEthernet, nil, 0, true},
		{"ip", flow.LinkEthernet, nil, 0, false},
		{"not ip", flow.LinkEthernet, nil, 0, false},
	}
	for _, tt := range tests {
		f, err := pcapfilter.Compile(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Match(tt.link, 0x0800, tt.payload, tt.origLen); got != tt.want {
			t.Errorf("%q %v %d bytes: Match %v, want %v", tt.expr, tt.link, len(tt.payload), got, tt.want)
		}
	}
}

func TestMatchAllocs(t *testing.T) {
	frames := readCorpus(t)
	f, err := pcapfilter.Compile("host 192.0.2.1 and (tcp[tcpflags] & tcp-syn != 0 or udp port 53) or ip6 net 2001:db8::/64 or vlan and arp")
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(10, func() {
		for _, fr := range frames {
			f.Match(flow.LinkEthernet, 0, fr, uint32(len(fr)))
			f.Match(flow.LinkRaw, 0x0800, fr[14:], uint32(len(fr)-14))
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations, want 0", allocs)
	}
}
