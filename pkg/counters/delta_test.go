package counters

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestIncrease(t *testing.T) {
	tests := []struct {
		name      string
		prev, cur uint64
		bits      uint8
		delta     uint64
		reset     bool
	}{
		{"grew", 10, 15, 64, 5, false},
		{"unchanged", 10, 10, 32, 0, false},
		{"32-bit wrap", 1<<32 - 3, 4, 32, 7, false},
		{"32-bit counter cleared: the implied growth is over 2^31", 1000, 3, 32, 3, true},
		{"64-bit counter lower: reset", 1 << 40, 9, 64, 9, true},
		{"32-bit counter with a value past 32 bits is not wrapped", 1 << 33, 1, 32, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, r := increase(tt.prev, tt.cur, tt.bits)
			if d != tt.delta || r != tt.reset {
				t.Errorf("increase(%d, %d, %d) = %d, %v; want %d, %v", tt.prev, tt.cur, tt.bits, d, r, tt.delta, tt.reset)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	t1 := t0.Add(2 * time.Second)
	all := []Source{Link, Ethtool, Softnet, SNMP, Qdisc}
	lc := func(obj, name string, v uint64, gen uint32) Counter {
		return Counter{Source: Link, Object: obj, Name: name, Value: v, Bits: 64, Gen: gen}
	}
	prev := &Snapshot{Time: t0, Read: all, Counters: []Counter{
		lc("eth0", "rx_packets", 100, 2),
		lc("eth0", "rx_dropped", 5, 2),
		lc("eth0", "rx_missed_errors", 1, 2),
		lc("veth0", "tx_dropped", 50, 7), // re-created below with ifindex 9
		lc("gone0", "rx_dropped", 3, 4),  // vanishes
		{Source: Softnet, Object: "cpu0", Name: "dropped", Value: 1<<32 - 2, Bits: 32},
		{Source: Softnet, Object: "cpu0", Name: "backlog_len", Value: 3, Bits: 32, Gauge: true},
		{Source: SNMP, Name: "UdpRcvbufErrors", Value: 10, Bits: 64},
		{Source: SNMP, Name: "UdpNoPorts", Value: 7, Bits: 64},
		{Source: Ethtool, Object: "eth0", Name: "rx_queue_0_drops", Value: 1000, Bits: 64, Gen: 2},
	}}
	cur := &Snapshot{Time: t1, Read: all, Counters: []Counter{
		lc("eth0", "rx_packets", 300, 2),                                                           // traffic: +200
		lc("eth0", "rx_dropped", 5, 2),                                                             // unchanged: left out
		lc("eth0", "rx_missed_errors", 41, 2),                                                      // drop: +40
		lc("eth0", "rx_nohandler", 8, 2),                                                           // a name eth0 did not have: no baseline
		lc("veth0", "tx_dropped", 6, 9),                                                            // created again: counts from 0
		lc("new0", "rx_dropped", 2, 11),                                                            // appeared: counts from creation
		lc("new0", "rx_packets", 0, 11),                                                            // appeared but zero: left out
		{Source: Softnet, Object: "cpu0", Name: "dropped", Value: 4, Bits: 32},                     // wrapped: +6
		{Source: Softnet, Object: "cpu0", Name: "backlog_len", Value: 1, Bits: 32, Gauge: true},    // gauge changed
		{Source: SNMP, Name: "UdpRcvbufErrors", Value: 30, Bits: 64},                               // +20
		{Source: SNMP, Name: "UdpNoPorts", Value: 2, Bits: 64},                                     // reset
		{Source: Ethtool, Object: "eth0", Name: "rx_queue_0_drops", Value: 1000, Bits: 64, Gen: 2}, // unchanged
	}}
	d := Diff(prev, cur)
	type row struct {
		Source       Source
		Object, Name string
		Class        Class
		Prev, Delta  uint64
		Rate         float64
		Reset, New   bool
		Gauge        bool
	}
	var got []row
	for _, c := range d.Changes {
		got = append(got, row{c.Source, c.Object, c.Name, c.Class, c.Prev, c.Delta, c.Rate, c.Reset, c.New, c.Gauge})
	}
	want := []row{
		{Link, "eth0", "rx_missed_errors", ClassDrop, 1, 40, 20, false, false, false},
		{SNMP, "", "UdpRcvbufErrors", ClassDrop, 10, 20, 10, false, false, false},
		{Link, "veth0", "tx_dropped", ClassDrop, 50, 6, 3, false, true, false},
		{Softnet, "cpu0", "dropped", ClassDrop, 1<<32 - 2, 6, 3, false, false, false},
		{Link, "new0", "rx_dropped", ClassDrop, 0, 2, 1, false, true, false},
		{SNMP, "", "UdpNoPorts", ClassDrop, 7, 2, 1, true, false, false},
		{Link, "eth0", "rx_packets", ClassTraffic, 100, 200, 100, false, false, false},
		{Softnet, "cpu0", "backlog_len", ClassOther, 3, 0, 0, false, false, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Object{{Link, "new0"}, {Link, "veth0"}}, d.Appeared); diff != "" {
		t.Errorf("appeared (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Object{{Link, "gone0"}}, d.Vanished); diff != "" {
		t.Errorf("vanished (-want +got):\n%s", diff)
	}
	if d.Interval != 2*time.Second {
		t.Errorf("interval %v", d.Interval)
	}
}

// TestDiffNoBaseline: counters of a source that failed in the earlier
// snapshot have no baseline and are not reported as grown; objects of a
// source that failed in the later one have not vanished.
func TestDiffNoBaseline(t *testing.T) {
	t0 := time.Now()
	prev := &Snapshot{Time: t0, Read: []Source{Link}, Counters: []Counter{
		{Source: Link, Object: "eth0", Name: "rx_dropped", Value: 1, Bits: 64, Gen: 2},
	}, Errors: []*SourceError{{Source: Ethtool, Object: "eth0", Err: ErrMalformed}}}
	cur := &Snapshot{Time: t0.Add(time.Second), Read: []Source{Ethtool, SNMP}, Counters: []Counter{
		{Source: Ethtool, Object: "eth0", Name: "rx_drops", Value: 500, Bits: 64, Gen: 2},
		{Source: SNMP, Name: "UdpNoPorts", Value: 9, Bits: 64},
	}, Errors: []*SourceError{{Source: Link, Err: ErrMalformed}}}
	d := Diff(prev, cur)
	if len(d.Changes) != 0 || len(d.Appeared) != 0 || len(d.Vanished) != 0 {
		t.Errorf("changes %+v, appeared %v, vanished %v; want none", d.Changes, d.Appeared, d.Vanished)
	}
	if len(d.Errors) != 1 || d.Errors[0] != cur.Errors[0] {
		t.Errorf("errors %v, want the later snapshot's %v", d.Errors, cur.Errors)
	}
}
