package report

import (
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/google/go-cmp/cmp"
)

// The drop time of the packet decoded in pkg/dropmon's tests:
// 1764074318730595860 ns since the epoch.
var dropTime = time.Unix(0, 1764074318730595860)

// decodeLines parses every line of out as a JSON object.
func decodeLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	if !strings.HasSuffix(out, "\n") {
		t.Fatalf("output %q does not end with a newline", out)
	}
	var objs []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		objs = append(objs, m)
	}
	return objs
}

// checkJSON calls write with a JSONWriter and compares the lines it wrote,
// decoded, with want.
func checkJSON(t *testing.T, write func(*JSONWriter) error, want ...map[string]any) {
	t.Helper()
	var b strings.Builder
	if err := write(NewJSONWriter(&b)); err != nil {
		t.Fatalf("writing: %v", err)
	}
	if diff := cmp.Diff(want, decodeLines(t, b.String())); diff != "" {
		t.Errorf("JSON lines mismatch (-want +got):\n%s", diff)
	}
}

// locJSON is a location object as written.
func locJSON(pc, symbol, module, origin string) map[string]any {
	return map[string]any{"pc": pc, "symbol": symbol, "module": module, "origin": origin}
}

// merge returns a new map with the entries of every m.
func merge(ms ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}

var (
	udpRcvJSON = locJSON("0xffffffff878bcae2", "__udp4_lib_rcv+0x9a2", "", "software")
	rxDropJSON = locJSON("0x0", "", "", "software")
	vlanHWJSON = locJSON("0x0", "ingress_vlan_filter", "", "hardware")
)

// summaryJSON is a summary object as written.
func summaryJSON(time string, loc map[string]any, count float64) map[string]any {
	return merge(loc, map[string]any{"type": "summary", "time": time, "count": count})
}

func TestJSONSummary(t *testing.T) {
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	const t0JSON = "2025-01-02T03:04:05.000000000Z"
	tests := []struct {
		name  string
		at    time.Time
		loc   Location
		count uint64
		want  map[string]any
	}{
		{
			name: "resolved, a time in another zone is written in UTC",
			at:   dropTime.In(time.FixedZone("CET", 3600)), loc: udpRcv, count: 3,
			want: summaryJSON("2025-11-25T12:38:38.730595860Z", udpRcvJSON, 3),
		},
		{
			name: "module, trailing zeros of the time kept",
			at:   t0.Add(100), loc: nftDrop, count: 1,
			want: summaryJSON("2025-01-02T03:04:05.000000100Z",
				locJSON("0xffffffffc0a1b3c1", "nft_do_chain+0x3c1", "nf_tables", "software"), 1),
		},
		{
			name: "unresolved",
			at:   t0, loc: unknown, count: 64,
			want: summaryJSON(t0JSON, locJSON("0xffffffff81abcdef", "", "", "software"), 64),
		},
		{
			name: "device rx_dropped",
			at:   t0, loc: rxDrop, count: 2,
			want: summaryJSON(t0JSON, rxDropJSON, 2),
		},
		{
			name: "hardware trap",
			at:   t0, loc: vlanHW, count: 7,
			want: summaryJSON(t0JSON, vlanHWJSON, 7),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkJSON(t, func(j *JSONWriter) error { return j.Summary(tt.at, tt.loc, tt.count, "") }, tt.want)
		})
	}
}

func TestJSONPacket(t *testing.T) {
	tests := []struct {
		name  string
		p     dropmon.PacketAlert
		loc   Location
		stack []string
		want  map[string]any
	}{
		{
			name: "every attribute",
			p: dropmon.PacketAlert{
				Origin: dropmon.OriginSoftware, HasOrigin: true,
				PC: udpRcv.PC, HasPC: true, Symbol: "__udp4_lib_rcv+0x9a2/0xc30",
				InPort:    &dropmon.Port{Ifindex: 3, HasIfindex: true, Name: "eth0"},
				Cookie:    []byte{0xde, 0xad, 0xbe, 0xef},
				Timestamp: dropTime, HasTimestamp: true,
				Proto: 0x0800, HasProto: true,
				Payload: []byte("E\x00\x00J"), HasPayload: true,
				OrigLen: 74, HasOrigLen: true,
				Reason: "NO_SOCKET",
			},
			loc:   udpRcv,
			stack: []string{"__udp4_lib_rcv+0x9a2", "ip_protocol_deliver_rcu+0x2c"},
			want: map[string]any{
				"type": "packet", "timestamp": "2025-11-25T12:38:38.730595860Z",
				"origin": "software", "pc": "0xffffffff878bcae2", "symbol": "__udp4_lib_rcv+0x9a2/0xc30",
				"reason": "NO_SOCKET", "location": udpRcvJSON,
				"stack":    []any{"__udp4_lib_rcv+0x9a2", "ip_protocol_deliver_rcu+0x2c"},
				"in_port":  map[string]any{"ifindex": 3.0, "name": "eth0"},
				"protocol": 2048.0, "length": 4.0, "orig_len": 74.0,
				"cookie": "deadbeef", "payload": "RQAASg==",
			},
		},
		{
			name: "only a PC: absent attributes are left out, the origin comes from the location",
			p:    dropmon.PacketAlert{PC: unknown.PC, HasPC: true},
			loc:  unknown,
			want: map[string]any{
				"type": "packet", "origin": "software", "pc": "0xffffffff81abcdef",
				"location": locJSON("0xffffffff81abcdef", "", "", "software"),
			},
		},
		{
			name: "a location other than the PC",
			p:    dropmon.PacketAlert{PC: 0xffffffff878bcae3, HasPC: true},
			loc:  udpRcv,
			want: map[string]any{
				"type": "packet", "origin": "software", "pc": "0xffffffff878bcae3", "location": udpRcvJSON,
			},
		},
		{
			name: "hardware trap, port name only, empty payload",
			p: dropmon.PacketAlert{
				Origin: dropmon.OriginHardware, HasOrigin: true,
				HWTrapGroupName: "l2_drops", HWTrapName: "ingress_vlan_filter",
				InPort:     &dropmon.Port{Name: "swp1"},
				HasPayload: true,
				Proto:      0, HasProto: true,
			},
			loc: vlanHW,
			want: map[string]any{
				"type": "packet", "origin": "hardware",
				"hw_trap_group": "l2_drops", "hw_trap": "ingress_vlan_filter",
				"location": vlanHWJSON,
				"in_port":  map[string]any{"name": "swp1"},
				"protocol": 0.0, "length": 0.0, "payload": "",
			},
		},
		{
			name: "the kernel's origin wins over the location's",
			p:    dropmon.PacketAlert{Origin: dropmon.Origin(7), HasOrigin: true},
			loc:  rxDrop,
			want: map[string]any{
				"type": "packet", "origin": "unknown",
				"location": rxDropJSON,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkJSON(t, func(j *JSONWriter) error { return j.Packet(&tt.p, tt.loc, tt.stack, nil, nil) }, tt.want)
		})
	}
}

// TestJSONWriterReuse writes a full packet alert, then a bare one, with the
// same writer: nothing of the first may show in the second.
func TestJSONWriterReuse(t *testing.T) {
	full := dropmon.PacketAlert{
		PC: udpRcv.PC, HasPC: true, InPort: &dropmon.Port{Ifindex: 1, HasIfindex: true},
		Proto: 0x86dd, HasProto: true, Payload: []byte{1}, HasPayload: true,
		OrigLen: 1, HasOrigLen: true, Cookie: []byte{1},
	}
	write := func(j *JSONWriter) error {
		return errors.Join(
			j.Packet(&full, udpRcv, []string{"a+0x1"}, nil, nil),
			j.Packet(&dropmon.PacketAlert{}, rxDrop, nil, nil, nil),
			j.Summary(dropTime, vlanHW, 1, ""),
		)
	}
	checkJSON(t, write,
		map[string]any{
			"type": "packet", "origin": "software", "pc": "0xffffffff878bcae2", "location": udpRcvJSON,
			"stack": []any{"a+0x1"}, "in_port": map[string]any{"ifindex": 1.0},
			"protocol": 34525.0, "length": 1.0, "orig_len": 1.0, "cookie": "01", "payload": "AQ==",
		},
		map[string]any{"type": "packet", "origin": "software", "location": rxDropJSON},
		summaryJSON("2025-11-25T12:38:38.730595860Z", vlanHWJSON, 1),
	)
}

func TestJSONFinal(t *testing.T) {
	tab := NewTable()
	fill(tab, []addArgs{
		{loc: udpRcv, reason: "NO_SOCKET", proto: 0x0800, hasProto: true, count: 3},
		{loc: vlanHW, count: 1},
	})
	tests := []struct {
		name   string
		d      time.Duration
		rows   []Row
		total  uint64
		losses Losses
		want   map[string]any
	}{
		{
			name: "empty",
			d:    time.Second,
			want: map[string]any{
				"type": "final", "duration_seconds": 1.0, "total": 0.0, "rows": []any{},
				"losses": map[string]any{
					"kernel_tail_drops": 0.0, "socket_overruns": 0.0, "socket_drops": 0.0,
					"full_summaries": 0.0, "malformed": 0.0, "filtered": 0.0, "tracepoint_lost": 0.0,
				},
			},
		},
		{
			name: "rows and losses",
			d:    10*time.Second + 500*time.Millisecond, rows: tab.Rows(), total: tab.Total(),
			losses: Losses{
				KernelTailDrops: 1, SocketOverruns: 2, SocketDrops: 3, FullSummaries: 4,
				Malformed: 5, Filtered: 6, TracepointLost: 7,
			},
			want: map[string]any{
				"type": "final", "duration_seconds": 10.5, "total": 4.0,
				"rows": []any{
					merge(udpRcvJSON, map[string]any{"reason": "NO_SOCKET", "protocol": 2048.0, "count": 3.0, "share": 0.75}),
					merge(vlanHWJSON, map[string]any{"count": 1.0, "share": 0.25}),
				},
				"losses": map[string]any{
					"kernel_tail_drops": 1.0, "socket_overruns": 2.0, "socket_drops": 3.0,
					"full_summaries": 4.0, "malformed": 5.0, "filtered": 6.0, "tracepoint_lost": 7.0,
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkJSON(t, func(j *JSONWriter) error { return j.Final(tt.d, tt.rows, tt.total, tt.losses) }, tt.want)
		})
	}
}

// TestJSONDocExamples checks the example lines of the documentation byte for
// byte: the field order is part of what they show.
func TestJSONDocExamples(t *testing.T) {
	var b strings.Builder
	j := NewJSONWriter(&b)
	if err := j.Summary(dropTime, udpRcv, 3, ""); err != nil {
		t.Fatal(err)
	}
	p := dropmon.PacketAlert{
		Origin: dropmon.OriginSoftware, HasOrigin: true,
		PC: udpRcv.PC, HasPC: true, Symbol: "__udp4_lib_rcv+0x9a2/0xc30",
		InPort:    &dropmon.Port{Ifindex: 1, HasIfindex: true},
		Timestamp: dropTime, HasTimestamp: true,
		Proto: 0x0800, HasProto: true,
		Payload: []byte("E\x00\x00J"), HasPayload: true,
		OrigLen: 74, HasOrigLen: true,
		Reason: "NO_SOCKET",
	}
	if err := j.Packet(&p, udpRcv, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	tab := NewTable()
	tab.Add(udpRcv, "NO_SOCKET", 0x0800, true, 4)
	if err := j.Final(10*time.Second+500*time.Millisecond, tab.Rows(), tab.Total(), Losses{}); err != nil {
		t.Fatal(err)
	}
	want := lines(
		`{"type":"summary","time":"2025-11-25T12:38:38.730595860Z","pc":"0xffffffff878bcae2","symbol":"__udp4_lib_rcv+0x9a2","module":"","count":3,"origin":"software"}`,
		`{"type":"packet","timestamp":"2025-11-25T12:38:38.730595860Z","origin":"software","pc":"0xffffffff878bcae2","symbol":"__udp4_lib_rcv+0x9a2/0xc30","reason":"NO_SOCKET","location":{"pc":"0xffffffff878bcae2","symbol":"__udp4_lib_rcv+0x9a2","module":"","origin":"software"},"in_port":{"ifindex":1},"protocol":2048,"length":4,"orig_len":74,"payload":"RQAASg=="}`,
		`{"type":"final","duration_seconds":10.5,"total":4,"rows":[{"pc":"0xffffffff878bcae2","symbol":"__udp4_lib_rcv+0x9a2","module":"","origin":"software","reason":"NO_SOCKET","protocol":2048,"count":4,"share":1}],"losses":{"kernel_tail_drops":0,"socket_overruns":0,"socket_drops":0,"full_summaries":0,"malformed":0,"filtered":0,"tracepoint_lost":0}}`,
	)
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("documented lines mismatch (-want +got):\n%s", diff)
	}
}

func TestJSONWriteError(t *testing.T) {
	j := NewJSONWriter(failingWriter{})
	for name, err := range map[string]error{
		"Summary": j.Summary(dropTime, udpRcv, 1, ""),
		"Packet":  j.Packet(&dropmon.PacketAlert{}, udpRcv, nil, nil, nil),
		"Final":   j.Final(0, nil, 0, Losses{}),
	} {
		if !errors.Is(err, errWrite) {
			t.Errorf("%s to a failing writer = %v, want %v", name, err, errWrite)
		}
	}
}
