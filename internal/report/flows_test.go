package report

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/flow"
)

// Frames of testdata/packets/corpus.pcap, as tcpdump -xx prints them:
// "IP 192.0.2.1.41001 > 192.0.2.2.53" (UDP, 8 bytes of data) and
// "IP6 2001:db8::1.42002 > 2001:db8::2.8080: Flags [S]".
const (
	corpusUDP4 = "02000000000b02000000000a08004500002416f3400040119fd2c0000201c000" +
		"0202a02900350010842571756572792d7634"
	corpusSYN6 = "02000000000b02000000000a86dd600665280028064020010db8000000000000" +
		"00000000000120010db8000000000000000000000002a4121f90427f42bf0000" +
		"0000a002fd205ba30000020405a00402080aac79c8f8000000000103030a"
)

func frame(t *testing.T, h string) []byte {
	t.Helper()
	b, err := hex.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func alertWith(t *testing.T, h, ifname string, proto uint16) *dropmon.PacketAlert {
	b := frame(t, h)
	return &dropmon.PacketAlert{
		HasProto: true, Proto: proto, HasPayload: true, Payload: b, HasOrigLen: true, OrigLen: uint32(len(b)),
		InPort: &dropmon.Port{Name: ifname, Ifindex: 2, HasIfindex: true},
	}
}

func TestJSONPacketFlow(t *testing.T) {
	var fs Flows
	for _, tt := range []struct {
		name string
		p    *dropmon.PacketAlert
		want map[string]any
	}{
		{"udp4", alertWith(t, corpusUDP4, "veth0", 0x800), map[string]any{
			"ethertype": 2048.0, "src": "192.0.2.1", "dst": "192.0.2.2", "ip_proto": 17.0,
			"src_port": 41001.0, "dst_port": 53.0, "depth": "transport",
		}},
		{"syn6", alertWith(t, corpusSYN6, "veth0", 0x86dd), map[string]any{
			"ethertype": 34525.0, "src": "2001:db8::1", "dst": "2001:db8::2", "ip_proto": 6.0,
			"src_port": 42002.0, "dst_port": 8080.0, "tcp_flags": "S", "depth": "transport",
		}},
		{"cut in the UDP header", func() *dropmon.PacketAlert {
			p := alertWith(t, corpusUDP4, "", 0x800)
			p.Payload = p.Payload[:14+20+4]
			return p
		}(), map[string]any{
			"ethertype": 2048.0, "src": "192.0.2.1", "dst": "192.0.2.2", "ip_proto": 17.0,
			"src_port": 41001.0, "dst_port": 53.0, "depth": "network", "truncated": true,
		}},
		{"empty payload", &dropmon.PacketAlert{HasPayload: true, Payload: []byte{}}, map[string]any{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := fs.Of(tt.p)
			if !ok {
				t.Fatal("no flow")
			}
			var b strings.Builder
			if err := NewJSONWriter(&b).Packet(tt.p, Location{}, nil, &f, nil); err != nil {
				t.Fatal(err)
			}
			got := decodeLines(t, b.String())[0]["flow"]
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("flow (-want +got):\n%s", diff)
			}
		})
	}
	if _, ok := fs.Of(&dropmon.PacketAlert{}); ok {
		t.Error("a flow without payload")
	}
}

func TestGroups(t *testing.T) {
	var fs Flows
	var g Groups
	add := func(p *dropmon.PacketAlert, reason string, n uint64) {
		var fp *flow.Flow
		if f, ok := fs.Of(p); ok {
			fp = &f
		}
		k := KeysOf(reason, p, fp, nil)
		g.Add(&k, n)
	}
	add(alertWith(t, corpusUDP4, "veth0", 0x800), "NO_SOCKET", 3)
	add(alertWith(t, corpusSYN6, "veth1", 0x86dd), "NO_SOCKET", 2)
	add(alertWith(t, corpusSYN6, "veth1", 0x86dd), "TCP_INVALID_SYN", 4)
	add(nil, "", 1) // a summary entry
	tables := map[Group]string{
		ByFlow: "#  DROPS  SHARE  FLOW\n" +
			"1      6  60.0%  tcp [2001:db8::1]:42002 > [2001:db8::2]:8080\n" +
			"2      3  30.0%  udp 192.0.2.1:41001 > 192.0.2.2:53\n" +
			"3      1  10.0%  unknown\n",
		ByReason: "#  DROPS  SHARE  REASON\n" +
			"1      5  50.0%  NO_SOCKET\n" +
			"2      4  40.0%  TCP_INVALID_SYN\n" +
			"3      1  10.0%  -\n",
		ByInterface: "#  DROPS  SHARE  INTERFACE\n" +
			"1      6  60.0%  veth1\n" +
			"2      3  30.0%  veth0\n" +
			"3      1  10.0%  -\n",
		ByComm: "#  DROPS   SHARE  COMM\n" +
			"1     10  100.0%  -\n",
	}
	losses := "losses: kernel tail drops 0, socket overruns 0 (0 alerts lost), full summaries 0, malformed 0, tracepoint samples lost 0; filtered out 2\n"
	for by, want := range tables {
		var b strings.Builder
		if err := WriteGroupTable(&b, by, g.Rows(by), g.Total(), Losses{Filtered: 2}, 0); err != nil {
			t.Fatal(err)
		}
		rows := strings.Count(want, "\n") - 1
		want += "total: 10 drops in " + map[bool]string{true: "1 row", false: string(rune('0'+rows)) + " rows"}[rows == 1] + "\n" + losses
		if diff := cmp.Diff(want, b.String()); diff != "" {
			t.Errorf("by %v (-want +got):\n%s", by, diff)
		}
	}
	var b strings.Builder
	if err := NewJSONWriter(&b).FinalGroups(2*time.Second, ByFlow, g.Rows(ByFlow)[:2], g.Total(), Losses{}); err != nil {
		t.Fatal(err)
	}
	rows := decodeLines(t, b.String())[0]["rows"]
	want := []any{
		map[string]any{"flow": map[string]any{"ethertype": 34525.0, "src": "2001:db8::1", "dst": "2001:db8::2", "ip_proto": 6.0, "src_port": 42002.0, "dst_port": 8080.0}, "count": 6.0, "share": 0.6},
		map[string]any{"flow": map[string]any{"ethertype": 2048.0, "src": "192.0.2.1", "dst": "192.0.2.2", "ip_proto": 17.0, "src_port": 41001.0, "dst_port": 53.0}, "count": 3.0, "share": 0.3},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("final rows by flow (-want +got):\n%s", diff)
	}
	g.Reset()
	if g.Total() != 0 || len(g.Rows(ByFlow)) != 0 {
		t.Error("Reset left drops")
	}
}

// TestGroupsBounded: past maxGroupRows distinct flows, new ones are
// counted in one "(other)" row, and nothing is lost from the total.
func TestGroupsBounded(t *testing.T) {
	var g Groups
	for i := range maxGroupRows + 10 {
		k := GroupKeys{Flow: flow.Key{EtherType: 0x800, SrcPort: uint16(i), DstPort: uint16(i >> 16)}}
		g.Add(&k, 1)
	}
	rows := g.Rows(ByFlow)
	if len(rows) != maxGroupRows+1 || g.Total() != maxGroupRows+10 {
		t.Fatalf("%d rows, total %d", len(rows), g.Total())
	}
	last := rows[len(rows)-1]
	if first := rows[0]; !first.Other || first.Count != 10 {
		t.Errorf("first row %+v, want the 10 others; last %+v", first, last)
	}
}

// TestFlowLine: the text block's line.
func TestFlowLine(t *testing.T) {
	var fs Flows
	f, _ := fs.Of(alertWith(t, corpusSYN6, "", 0x86dd))
	if got, want := string(AppendFlowLine(nil, &f)), "flow: tcp [2001:db8::1]:42002 > [2001:db8::2]:8080 [S]\n"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

func TestTask(t *testing.T) {
	task := &Task{CPU: 1, PID: 4242, TID: 4243, Comm: "dropgen"}
	if got, want := string(AppendTaskLine(nil, task)), "task: dropgen pid 4242 tid 4243 cpu 1\n"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	if got, want := string(AppendTaskLine(nil, &Task{})), "task: - pid 0 tid 0 cpu 0\n"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	var b strings.Builder
	if err := NewJSONWriter(&b).Packet(&dropmon.PacketAlert{}, Location{}, nil, nil, task); err != nil {
		t.Fatal(err)
	}
	line := decodeLines(t, b.String())[0]
	got := map[string]any{"cpu": line["cpu"], "pid": line["pid"], "tid": line["tid"], "comm": line["comm"]}
	if diff := cmp.Diff(map[string]any{"cpu": 1.0, "pid": 4242.0, "tid": 4243.0, "comm": "dropgen"}, got); diff != "" {
		t.Errorf("task fields (-want +got):\n%s", diff)
	}
	k := KeysOf("", nil, nil, task)
	var g Groups
	g.Add(&k, 3)
	if rows := g.Rows(ByComm); len(rows) != 1 || rows[0].Name != "dropgen" || rows[0].Count != 3 {
		t.Errorf("by comm: %+v", rows)
	}
}

// TestJSONSummaryReason: the tracepoint's summaries have a reason; NET_DM's
// objects are as before, without the field.
func TestJSONSummaryReason(t *testing.T) {
	var b strings.Builder
	j := NewJSONWriter(&b)
	if err := j.Summary(dropTime, Location{PC: 0x10}, 2, "NO_SOCKET"); err != nil {
		t.Fatal(err)
	}
	if err := j.Summary(dropTime, Location{PC: 0x10}, 2, ""); err != nil {
		t.Fatal(err)
	}
	lines := decodeLines(t, b.String())
	if lines[0]["reason"] != "NO_SOCKET" {
		t.Errorf("reason %v, want NO_SOCKET", lines[0]["reason"])
	}
	if _, ok := lines[1]["reason"]; ok {
		t.Errorf("a summary without reason has one: %v", lines[1])
	}
}
