package report

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/pkg/counters"
)

// grewDelta is what Diff gives for 20 datagrams to a closed port and 20
// packets into a full tbf qdisc over 3 s, with one traffic counter.
func grewDelta() counters.Delta {
	t0 := time.Date(2026, 12, 3, 17, 20, 0, 0, time.UTC)
	ch := func(src counters.Source, obj, name string, class counters.Class, v, d uint64) counters.Change {
		return counters.Change{Counter: counters.Counter{Source: src, Object: obj, Name: name, Value: v, Bits: 64},
			Class: class, Prev: v - d, Delta: d, Rate: float64(d) / 3}
	}
	return counters.Delta{
		From: t0, To: t0.Add(3 * time.Second), Interval: 3 * time.Second,
		Changes: []counters.Change{
			ch(counters.SNMP, "", "UdpNoPorts", counters.ClassDrop, 57, 20),
			ch(counters.Qdisc, "tbf 1: dev va root", "drops", counters.ClassDrop, 20, 20),
			ch(counters.SNMP, "", "IpInReceives", counters.ClassTraffic, 1000, 20),
		},
		Errors: []*counters.SourceError{
			{Source: counters.Ethtool, Object: "eth0", Err: os.ErrPermission},
			{Source: counters.SNMP, Path: "/proc/net/snmp6", Err: os.ErrNotExist},
		},
	}
}

func TestWriteCountersGrew(t *testing.T) {
	var b bytes.Buffer
	rows := []Row{{Reason: "NO_SOCKET", Count: 20}, {Reason: "QDISC_DROP", Count: 20}, {Count: 1}}
	if err := WriteCountersGrew(&b, grewDelta(), rows); err != nil {
		t.Fatal(err)
	}
	want := `Counters that grew in 3.00 s:
SOURCE  COUNTER     DELTA  RATE/S  OBJECT
snmp    UdpNoPorts     20    6.67  -
qdisc   drops          20    6.67  tbf 1: dev va root
(1 traffic and other counters moved too: dropwatch --counters --all)
What they mean (dropwatch --explain NAME for the usual remedy):
  snmp/UdpNoPorts: ` + counters.Explain("snmp/UdpNoPorts")[0].Meaning + `
  qdisc/drops: ` + counters.Explain("qdisc/drops")[0].Meaning + `
  reason/NO_SOCKET: ` + counters.Explain("NO_SOCKET")[0].Meaning + `
  reason/QDISC_DROP: ` + counters.Explain("QDISC_DROP")[0].Meaning + `
counters not read without privileges (run as root): ethtool eth0
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestWriteCounterTotals(t *testing.T) {
	tests := []struct {
		name string
		d    counters.Delta
		all  bool
		want string
	}{
		{"drops", grewDelta(), false, "Counters that grew in 3.00 s:\n" +
			"SOURCE  COUNTER     DELTA  RATE/S  OBJECT\n" +
			"snmp    UdpNoPorts     20    6.67  -\n" +
			"qdisc   drops          20    6.67  tbf 1: dev va root\n"},
		{"all", grewDelta(), true, "Counters that grew in 3.00 s:\n" +
			"SOURCE  COUNTER       DELTA  RATE/S  OBJECT\n" +
			"snmp    UdpNoPorts       20    6.67  -\n" +
			"qdisc   drops            20    6.67  tbf 1: dev va root\n" +
			"snmp    IpInReceives     20    6.67  -\n"},
		{"none", counters.Delta{Interval: time.Second}, false, "No drop and error counters grew in 1.00 s.\n"},
		{"gauge", counters.Delta{Interval: time.Second, Changes: []counters.Change{{
			Counter: counters.Counter{Source: counters.Qdisc, Object: "pfifo_fast 0: dev lo root", Name: "backlog", Value: 7, Gauge: true},
			Class:   counters.ClassOther, Prev: 3,
		}}}, true, "Counters that grew in 1.00 s:\n" +
			"SOURCE  COUNTER  DELTA  RATE/S  OBJECT\n" +
			"qdisc   backlog     =7    0.00  pfifo_fast 0: dev lo root\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := WriteCounterTotals(&b, tt.d, tt.all); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteCounterIntervalQuiet(t *testing.T) {
	var b strings.Builder
	d := grewDelta()
	d.Changes = d.Changes[2:] // traffic only
	if err := WriteCounterInterval(&b, d, false, time.UTC); err != nil || b.Len() != 0 {
		t.Errorf("an interval with only traffic: %q, %v; want nothing", b.String(), err)
	}
	if err := WriteCounterInterval(&b, d, true, time.UTC); err != nil {
		t.Fatal(err)
	}
	want := "17:20:03 counters that moved in 3.00 s:\n" +
		"SOURCE  COUNTER       DELTA  RATE/S  OBJECT\n" +
		"snmp    IpInReceives     20    6.67  -\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestWriteCountersJSON(t *testing.T) {
	var b strings.Builder
	if err := WriteCountersJSON(&b, grewDelta(), false, true); err != nil {
		t.Fatal(err)
	}
	want := `{"type":"counters_total","from":"2026-12-03T17:20:00.000000000Z","to":"2026-12-03T17:20:03.000000000Z","interval_seconds":3,` +
		`"changes":[{"source":"snmp","object":"","name":"UdpNoPorts","class":"drop","delta":20,"rate":6.666666666666667,"value":57},` +
		`{"source":"qdisc","object":"tbf 1: dev va root","name":"drops","class":"drop","delta":20,"rate":6.666666666666667,"value":20}],` +
		`"unreadable":[{"source":"ethtool","object":"eth0","error":"permission denied","permission":true},` +
		`{"source":"snmp","path":"/proc/net/snmp6","error":"file does not exist","permission":false}]}` + "\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestWriteExplain(t *testing.T) {
	var b strings.Builder
	e := counters.Entry{Source: counters.Softnet, Name: "dropped", Class: counters.ClassDrop, Meaning: "m", Remedy: "r"}
	if err := WriteExplain(&b, []counters.Entry{e, {Source: counters.DropReason, Name: "X", Class: counters.ClassDrop, Meaning: "n"}}); err != nil {
		t.Fatal(err)
	}
	want := "softnet/dropped (drop)\n  meaning: m\n  remedy:  r\nreason/X (drop)\n  meaning: n\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
