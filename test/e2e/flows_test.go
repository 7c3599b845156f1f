//go:build vmtest

package e2e

// Issue 15: flows and pcap filters on the real kernels' packet alerts.
// The test sends UDP over IPv4 and IPv6 and TCP SYNs to a closed port from
// source ports of its own, so that it knows each drop's flow: NO_SOCKET in
// __udp4_lib_rcv, __udp6_lib_rcv and tcp_v4_rcv (net/ipv4/udp.c,
// net/ipv6/udp.c, net/ipv4/tcp_ipv4.c: no socket, so an ICMP port
// unreachable or a RST goes back and the packet is freed with
// kfree_skb_reason).

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// closedPort is where the test's packets go: nothing listens in the guest.
const closedPort = 9

// testFlow is one flow the test sends.
type testFlow struct {
	network string // "udp4", "udp6" or "tcp4"
	srcPort int
	n       int // packets to drop
}

func (f testFlow) loopback() string {
	if f.network == "udp6" {
		return "::1"
	}
	return "127.0.0.1"
}

// key is the flow as the test compares it: "udp 127.0.0.1:41001 > 127.0.0.1:9".
func (f testFlow) key() string {
	proto := f.network[:3]
	src, dst := net.JoinHostPort(f.loopback(), fmt.Sprint(f.srcPort)), net.JoinHostPort(f.loopback(), fmt.Sprint(closedPort))
	return proto + " " + src + " > " + dst
}

var (
	udp4Flow = testFlow{"udp4", 41001, 8}
	udp6Flow = testFlow{"udp6", 41002, 5}
	tcp4Flow = testFlow{"tcp4", 41003, 3}
	allFlows = []testFlow{udp4Flow, udp6Flow, tcp4Flow}
)

// send makes the kernel drop f.n packets of f. A connected UDP socket gets
// the ICMP port unreachable of its last datagram as an error on its next
// write, which then sends nothing (see test/vm/dropgen): only successful
// writes count. Each refused TCP connect is one SYN dropped; the RST frees
// the source port again at once.
func (f testFlow) send(t testing.TB) {
	t.Helper()
	dst := net.JoinHostPort(f.loopback(), fmt.Sprint(closedPort))
	if f.network == "tcp4" {
		for i := 0; i < f.n; i++ {
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: f.srcPort}, Timeout: stateTimeout}
			c, err := d.Dial("tcp4", dst)
			if err == nil {
				c.Close()
				t.Fatalf("connecting to %s succeeded: something listens there", dst)
			}
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("connecting to %s from port %d: %v, want connection refused", dst, f.srcPort, err)
			}
		}
		return
	}
	laddr, err := net.ResolveUDPAddr(f.network, net.JoinHostPort(f.loopback(), fmt.Sprint(f.srcPort)))
	if err != nil {
		t.Fatal(err)
	}
	raddr, _ := net.ResolveUDPAddr(f.network, dst)
	c, err := net.DialUDP(f.network, laddr, raddr)
	if err != nil {
		t.Fatalf("%s socket: %v", f.network, err)
	}
	defer c.Close()
	for sent, refused := 0, 0; sent < f.n; {
		if _, err := c.Write(make([]byte, 16)); err != nil {
			if !errors.Is(err, syscall.ECONNREFUSED) || refused > 100 {
				t.Fatalf("%s write: %v", f.network, err)
			}
			refused++
			continue
		}
		sent++
	}
}

// sendFlows sends every flow and waits until the kernel has reported at
// least as many drops (the test's listener sees every alert any listener
// does).
func sendFlows(t testing.TB, k *kernel, flows []testFlow) {
	t.Helper()
	before, want := k.w.total(), 0
	for _, f := range flows {
		f.send(t)
		want += f.n
	}
	deadline := time.Now().Add(alertTimeout)
	for k.w.total()-before < want {
		if time.Now().After(deadline) {
			t.Fatalf("the kernel reported %d of the %d drops within %v", k.w.total()-before, want, alertTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// flowLine is a packet object's fields the test checks.
type flowLine struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
	Flow   *struct {
		EtherType int    `json:"ethertype"`
		Src       string `json:"src"`
		Dst       string `json:"dst"`
		IPProto   int    `json:"ip_proto"`
		SrcPort   int    `json:"src_port"`
		DstPort   int    `json:"dst_port"`
		TCPFlags  string `json:"tcp_flags"`
		Depth     string `json:"depth"`
	} `json:"flow"`
	Losses map[string]int `json:"losses"`
}

// flowKey is a JSON flow as testFlow.key writes it.
func (l flowLine) flowKey() string {
	f := l.Flow
	proto := map[int]string{6: "tcp", 17: "udp"}[f.IPProto]
	if proto == "" {
		proto = fmt.Sprintf("proto-%d", f.IPProto)
	}
	return proto + " " + net.JoinHostPort(f.Src, fmt.Sprint(f.SrcPort)) + " > " + net.JoinHostPort(f.Dst, fmt.Sprint(f.DstPort))
}

// ourFlows counts the JSON packet lines of out by flow, those of the
// test's flows apart from the others, and returns the final line.
func ourFlows(t *testing.T, out string) (ours, others map[string]int, final flowLine) {
	t.Helper()
	ours, others = map[string]int{}, map[string]int{}
	keys := map[string]testFlow{}
	for _, f := range allFlows {
		keys[f.key()] = f
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, line := range lines {
		var l flowLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("stdout line %d is not JSON: %v: %q", i+1, err, line)
		}
		switch {
		case l.Type == "final":
			final = l
			continue
		case l.Type != "packet":
			t.Fatalf("line %d: type %q, want packet", i+1, l.Type)
		case l.Flow == nil:
			others["no flow"]++
			continue
		}
		f, ok := keys[l.flowKey()]
		if !ok {
			others[l.flowKey()]++
			continue
		}
		ours[l.flowKey()]++
		// The whole flow object, as the test sent it.
		ethertype, flags := 0x0800, ""
		if f.network == "udp6" {
			ethertype = 0x86dd
		}
		if f.network == "tcp4" {
			flags = "S"
		}
		if l.Flow.EtherType != ethertype || l.Flow.TCPFlags != flags || l.Flow.Depth != "transport" || l.Reason != "NO_SOCKET" {
			t.Errorf("line %d: %s: ethertype %#x, tcp_flags %q, depth %q, reason %q; want %#x, %q, transport, NO_SOCKET",
				i+1, l.flowKey(), l.Flow.EtherType, l.Flow.TCPFlags, l.Flow.Depth, l.Reason, ethertype, flags)
		}
	}
	if final.Type != "final" {
		t.Fatal("no final line")
	}
	return ours, others, final
}

func wantFlows(flows ...testFlow) map[string]int {
	m := map[string]int{}
	for _, f := range flows {
		m[f.key()] += f.n
	}
	return m
}

// TestFlowsJSON: each JSON packet object's flow is what the test sent,
// every sent packet once.
func TestFlowsJSON(t *testing.T) {
	k := newKernel(t)
	r := runOnce(t, func() { sendFlows(t, k, allFlows) }, "--backend", "netdm", "--mode", "packet", "--json")
	ours, others, final := ourFlows(t, r.stdout)
	if diff := cmp.Diff(wantFlows(allFlows...), ours); diff != "" {
		t.Errorf("drops per flow (-want +got):\n%s", diff)
	}
	t.Logf("other drops: %v; filtered out %d", others, final.Losses["filtered"])
	if final.Losses["filtered"] != 0 {
		t.Errorf("filtered out %d without a filter", final.Losses["filtered"])
	}
}

// TestFlowFilters: a pcap filter keeps exactly the drops of the flow it
// names; the others are counted as filtered out.
func TestFlowFilters(t *testing.T) {
	tests := []struct {
		name string
		args []string
		kept testFlow
	}{
		{"trailing expression", []string{"udp", "and", "src", "port", "41001"}, udp4Flow},
		{"host and port", []string{"--host", "::1", "--port", "41002"}, udp6Flow},
		{"tcp flags", []string{"--filter", "tcp[tcpflags] & tcp-syn != 0 and src port 41003"}, tcp4Flow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := newKernel(t)
			var seenBefore int
			r := runOnce(t, func() {
				seenBefore = k.w.total()
				sendFlows(t, k, allFlows)
			}, append([]string{"--backend", "netdm", "--json"}, tc.args...)...)
			seen := k.w.total() - seenBefore
			ours, others, final := ourFlows(t, r.stdout)
			if diff := cmp.Diff(wantFlows(tc.kept), ours); diff != "" {
				t.Errorf("drops kept per flow (-want +got):\n%s", diff)
			}
			if len(others) > 0 {
				t.Errorf("kept drops of other flows: %v", others)
			}
			// Every other alert the kernel sent while the test sent its
			// flows is counted as filtered out.
			want := seen - tc.kept.n
			if got := final.Losses["filtered"]; got != want {
				t.Errorf("filtered out %d, want %d (%d alerts seen by the test's own listener, %d kept)", got, want, seen, tc.kept.n)
			}
		})
	}
}

// TestTopByFlow: --top-by flow ranks the flows by their drops.
func TestTopByFlow(t *testing.T) {
	k := newKernel(t)
	r := runOnce(t, func() { sendFlows(t, k, allFlows) }, "--backend", "netdm", "--mode", "packet", "--flows", "--top-by", "flow")
	lines := strings.Split(r.stdout, "\n")
	head := slices.IndexFunc(lines, func(l string) bool { return slices.Equal(strings.Fields(l), []string{"#", "DROPS", "SHARE", "FLOW"}) })
	if head < 0 {
		t.Fatalf("no table by flow on stdout")
	}
	rank := map[string][2]int{} // flow: rank, drops
	for _, l := range lines[head+1:] {
		if strings.HasPrefix(l, "total: ") {
			break
		}
		f := strings.Fields(l)
		if len(f) < 4 {
			t.Fatalf("table line %q", l)
		}
		var n, d int
		fmt.Sscan(f[0], &n)
		fmt.Sscan(f[1], &d)
		rank[strings.Join(f[3:], " ")] = [2]int{n, d}
	}
	prev := 0
	for _, f := range allFlows { // in decreasing order of their counts
		got, ok := rank[f.key()]
		if !ok {
			t.Errorf("no row for %s in %v", f.key(), rank)
			continue
		}
		if got[1] != f.n || got[0] <= prev {
			t.Errorf("%s: rank %d with %d drops, want %d drops ranked after %d", f.key(), got[0], got[1], f.n, prev)
		}
		prev = got[0]
	}
	// --flows: the text blocks carry the flow lines.
	for _, f := range allFlows {
		line := "flow: " + f.key()
		if f.network == "tcp4" {
			line += " [S]"
		}
		if got := strings.Count(r.stdout, line+"\n"); got != f.n {
			t.Errorf("%d lines %q, want %d", got, line, f.n)
		}
	}
}

// TestFlowFilterText: the text output of a filtered run holds the kept
// flow's blocks only, each with its flow: line (--flows), and the table's
// loss line counts the others as filtered out.
func TestFlowFilterText(t *testing.T) {
	k := newKernel(t)
	var seenBefore int
	r := runOnce(t, func() {
		seenBefore = k.w.total()
		sendFlows(t, k, allFlows)
	}, "-l", "kas", "--backend", "netdm", "--flows", "udp", "and", "src", "port", "41001")
	seen := k.w.total() - seenBefore
	alerts, _, _ := splitTable(t, r.stdout)
	flows := map[string]int{}
	for _, b := range packetBlocks(t, alerts) {
		for _, l := range b {
			if f, ok := strings.CutPrefix(l, "flow: "); ok {
				flows[f]++
			}
		}
	}
	if diff := cmp.Diff(wantFlows(udp4Flow), flows); diff != "" {
		t.Errorf("flow: lines (-want +got):\n%s", diff)
	}
	tb := topTableOf(t, r.stdout)
	if got, want := tb.filteredOut(t), seen-udp4Flow.n; got != want {
		t.Errorf("filtered out %d, want %d (%d alerts seen by the test's own listener)", got, want, seen)
	}
	if tb.total != udp4Flow.n {
		t.Errorf("table total %d, want %d", tb.total, udp4Flow.n)
	}
}
