package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/pkg/drops"
	"github.com/dropwatch-go/dropwatch/pkg/nlpcap"
)

// udpFrame is an Ethernet frame of an IPv4 UDP datagram from
// 192.0.2.1:sport to 192.0.2.2:dport, with 8 bytes of data (RFC 791 and
// 768 headers, checksums left zero: the filter does not read them).
func udpFrame(sport, dport uint16) []byte {
	b := make([]byte, 14+20+8+8)
	copy(b[0:6], []byte{0x02, 0, 0, 0, 0, 2})
	copy(b[6:12], []byte{0x02, 0, 0, 0, 0, 1})
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], 20+8+8)
	copy(ip[12:16], []byte{192, 0, 2, 1})
	copy(ip[16:20], []byte{192, 0, 2, 2})
	udp := ip[20:]
	binary.BigEndian.PutUint16(udp[0:], sport)
	binary.BigEndian.PutUint16(udp[2:], dport)
	binary.BigEndian.PutUint16(udp[4:], 8+8)
	return b
}

// udpBlock is the text of a udpAlert, without its empty line.
const udpBlock = "drop at: __udp4_lib_rcv+0x9a2/0xc30 (0xffffffff878bcae2)\n" +
	"origin: software\n" +
	"input port ifindex: 1\n" +
	"timestamp: Wed Nov 25 12:38:38 2026 000000001 nsec\n" +
	"protocol: 0x800\n" +
	"length: 50\n" +
	"original length: 50\n" +
	"drop reason: NO_SOCKET\n"

// udpAlert is packetAlert(1) carrying udpFrame(sport, dport).
func udpAlert(sport, dport uint16) received {
	r := packetAlert(1)
	p := *r.evs[0].Packet
	p.Payload = udpFrame(sport, dport)
	p.OrigLen = uint32(len(p.Payload))
	r.evs[0].Packet = &p
	return r
}

func TestFilterExpr(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--once", "1s", "udp", "and", "dst", "port", "53"}, "udp and dst port 53"},
		{[]string{"--once", "1s", "--filter", "udp or tcp"}, "udp or tcp"},
		{[]string{"--once", "1s", "--host", "192.0.2.1", "--port", "53"}, "host 192.0.2.1 and port 53"},
		{[]string{"--once", "1s", "--port", "53", "--filter", "udp or tcp"}, "port 53 and (udp or tcp)"},
		{[]string{"--once", "1s", "--filter", "udp", "--", "not", "port", "53"}, "(udp) and (not port 53)"},
		{[]string{"udp", "--once", "1s"}, "udp"}, // getopt permutes: options may follow
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			o, err := parseArgs(tt.args)
			if err != nil {
				t.Fatalf("parseArgs: %v", err)
			}
			if o.filter.Expr == nil || o.filter.Expr.String() != tt.want {
				t.Errorf("expression = %v, want %q", o.filter.Expr, tt.want)
			}
			if o.mode != "packet" {
				t.Errorf("mode = %q, want packet: a filter selects packet mode", o.mode)
			}
		})
	}
}

func TestFilterExprRefused(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"udp"}, "dropwatch: unexpected argument 'udp': a filter expression needs --once DURATION (try 'dropwatch --help')"},
		{[]string{"--filter", "udp"}, "dropwatch: --filter needs --once DURATION (the REPL has set commands) (try 'dropwatch --help')"},
		{[]string{"--once", "1s", "port", "domain"}, `dropwatch: invalid filter expression: pcapfilter: port "domain": port names are not looked up; give the number (at offset 5 of "port domain") (try 'dropwatch --help')`},
		{[]string{"--once", "1s", "--host", "example.com"}, `dropwatch: invalid filter expression: pcapfilter: host "example.com": host names are not resolved; give an address (at offset 5 of "host example.com") (try 'dropwatch --help')`},
		{[]string{"--once", "1s", "udp", "and"}, `dropwatch: invalid filter expression: pcapfilter: expression ends where a primitive was expected (at offset 7 of "udp and") (try 'dropwatch --help')`},
		{[]string{"--once", "1s", "--mode", "summary", "udp"}, "dropwatch: --filter needs --mode packet: summary alerts carry only locations and counts (try 'dropwatch --help')"},
		{[]string{"--once", "1s", "--top-by", "site,flow"}, "dropwatch: invalid --top-by 'site,flow': want site, flow, reason, interface, comm (try 'dropwatch --help')"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := parseArgs(tt.args)
			if err == nil || err.Error() != tt.want {
				t.Errorf("parseArgs error:\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}

// TestPcapFilter: a pcap-filter expression leaves the packets it does not
// match out of the text, the table and the pcap, and the loss line counts
// them as filtered out.
func TestPcapFilter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.pcap")
	kept := []byte("kept message")
	out := runOnce(t, []string{"-w", path, "udp", "and", "dst", "port", "53"},
		withRaw(udpAlert(40000, 53), kept),
		withRaw(udpAlert(40000, 54), []byte("port 54")),
		withRaw(packetAlert(1), []byte("zeros")))
	block := udpBlock + "\n"
	if !strings.HasPrefix(out, block) {
		t.Fatalf("stdout does not start with the kept alert:\n%s", out)
	}
	lines := tableLines(t, out[len(block):])
	wantEnd := [][]string{strings.Fields("total: 1 drop in 1 row"), strings.Fields(strings.Replace(zeroLosses, "filtered out 0", "filtered out 2", 1))}
	if diff := cmp.Diff(wantEnd, lines[len(lines)-2:]); diff != "" {
		t.Errorf("table end (-want +got):\n%s", diff)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]byte{nlpcap.NewFamilyMessage(nlpcap.NETDMFamily(testFamilyID, 0)), kept}, readRecords(t, b)); diff != "" {
		t.Errorf("pcap records (-want +got):\n%s", diff)
	}
}

// runOnce runs --once 1s with args, sends alerts, and returns standard
// output once dropwatch has ended.
func runOnce(t *testing.T, args []string, alerts ...received) string {
	t.Helper()
	h := newHarness("")
	h.app.stdin = blockingReader{}
	h.start(append([]string{"--once", "1s"}, args...)...)
	h.be.waitCall(t, "start -")
	for _, a := range alerts {
		h.be.send(t, a)
	}
	h.fire(t, time.Second)
	h.fire(t, drops.DefaultTiming.PacketQuiet)
	h.fire(t, drops.DefaultTiming.FlushQuiet)
	checkCode(t, h.wait(t), 0)
	return h.stdout.String()
}

// runFlows runs --once with args over three UDP alerts, two of one flow.
func runFlows(t *testing.T, args ...string) string {
	return runOnce(t, args, udpAlert(40001, 54), udpAlert(40000, 53), udpAlert(40000, 53))
}

// TestFlowsText: --flows adds the flow: line before each block's empty
// line, and --top-by flow ranks the flows.
func TestFlowsText(t *testing.T) {
	out := runFlows(t, "--flows", "--top-by", "flow")
	block := func(dport string) string {
		return udpBlock + "flow: udp 192.0.2.1:" + dport + "\n\n"
	}
	want := block("40001 > 192.0.2.2:54") + block("40000 > 192.0.2.2:53") + block("40000 > 192.0.2.2:53") +
		"#  DROPS  SHARE  FLOW\n" +
		"1      2  66.7%  udp 192.0.2.1:40000 > 192.0.2.2:53\n" +
		"2      1  33.3%  udp 192.0.2.1:40001 > 192.0.2.2:54\n" +
		"total: 3 drops in 2 rows\n" + zeroLosses + "\n"
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
}

// TestFlowsJSON: JSON packet objects carry the flow, and the final line
// of --top-by flow its rows.
func TestFlowsJSON(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(runFlows(t, "--json", "--top-by", "flow"), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 3 packets and the final one:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	flow := `"flow":{"ethertype":2048,"src":"192.0.2.1","dst":"192.0.2.2","ip_proto":17,"src_port":40000,"dst_port":53,"depth":"transport"}}`
	if !strings.HasSuffix(lines[1], flow) {
		t.Errorf("packet line does not end with %s:\n%s", flow, lines[1])
	}
	rows := `"by":"flow","rows":[{"flow":{"ethertype":2048,"src":"192.0.2.1","dst":"192.0.2.2","ip_proto":17,"src_port":40000,"dst_port":53},"count":2,"share":0.6666666666666666},` +
		`{"flow":{"ethertype":2048,"src":"192.0.2.1","dst":"192.0.2.2","ip_proto":17,"src_port":40001,"dst_port":54},"count":1,"share":0.3333333333333333}]`
	if !strings.Contains(lines[3], rows) {
		t.Errorf("final line does not hold %s:\n%s", rows, lines[3])
	}
}
