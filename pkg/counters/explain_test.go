package counters

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// kernelReasons returns the drop reason names a capture's kfree_skb
// tracepoint format lists (its __print_symbolic table), without MAX.
func kernelReasons(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "kfree_skb-format"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`\{ \d+, "([A-Z0-9_]+)" \}`).FindAllSubmatch(b, -1) {
		if n := string(m[1]); n != "MAX" {
			names = append(names, n)
		}
	}
	if len(names) < 50 {
		t.Fatalf("%s: only %d reasons found", dir, len(names))
	}
	return names
}

// TestExplainEveryKernelReason: every drop reason of every captured kernel
// has exactly one explanation, and the table has no reason that none of
// them lists (a misspelt name would never be found).
func TestExplainEveryKernelReason(t *testing.T) {
	known := map[string]bool{}
	for _, dir := range captures(t) {
		for _, n := range kernelReasons(t, dir) {
			known[n] = true
			if es := Explain("reason/" + n); len(es) != 1 {
				t.Errorf("%s: %s has %d explanations, want 1", filepath.Base(dir), n, len(es))
			}
		}
	}
	for _, e := range Entries() {
		if e.Source == DropReason && !known[e.Name] {
			t.Errorf("reason %s is in no captured kernel's list", e.Name)
		}
	}
}

// TestExplainSNMPNamesExist: every SNMP counter the table explains is one
// that nstat printed on a captured kernel.
func TestExplainSNMPNamesExist(t *testing.T) {
	seen := map[string]bool{}
	for _, dir := range captures(t) {
		for n := range readNstat(t, filepath.Join(dir, "nstat-az.txt")) {
			seen[n] = true
		}
	}
	for _, e := range Entries() {
		if e.Source == SNMP && !seen[e.Name] {
			t.Errorf("%s: no captured kernel has this counter", e.Name)
		}
	}
}

// TestExplainEveryDropLikeSNMPCounter: every MIB counter of a captured
// kernel whose name says drop or error (as Classify guesses) has an entry,
// so that nothing that moves with drops goes unexplained.
func TestExplainEveryDropLikeSNMPCounter(t *testing.T) {
	for _, dir := range captures(t) {
		for n := range readNstat(t, filepath.Join(dir, "nstat-az.txt")) {
			if _, ok := byKey[entryKey{SNMP, n}]; ok {
				continue
			}
			if c := guessClass(n); c == ClassDrop || c == ClassError {
				t.Errorf("%s: %s looks like a %s counter and has no entry", filepath.Base(dir), n, c)
			}
		}
	}
}

// TestExplainEveryProducedName: every name the link, softnet and qdisc
// sources produce has an explanation.
func TestExplainEveryProducedName(t *testing.T) {
	var cs []Counter
	for _, n := range linkStatNames {
		cs = append(cs, Counter{Source: Link, Name: n})
	}
	cs = softnetCounters(nil, cs)
	cs = qdiscCounters(qdisc{hasStats: true}, "x", cs)
	st := make([]byte, 200)
	cs = linkCounters(link{name: "x", stats: st}, cs)
	for _, c := range cs {
		if _, ok := ExplainCounter(c); !ok {
			t.Errorf("%s %s has no explanation", c.Source, c.Name)
		}
	}
	// softnetCounters(nil) gave none; name them here.
	for _, n := range []string{"processed", "dropped", "time_squeeze", "received_rps", "flow_limit_count", "backlog_len"} {
		if _, ok := ExplainCounter(Counter{Source: Softnet, Name: n}); !ok {
			t.Errorf("softnet %s has no explanation", n)
		}
	}
}

func TestEntriesComplete(t *testing.T) {
	seen := map[entryKey]bool{}
	for _, e := range Entries() {
		k := entryKey{e.Source, e.Name}
		if seen[k] {
			t.Errorf("%s %s twice", e.Source, e.Name)
		}
		seen[k] = true
		if e.Meaning == "" {
			t.Errorf("%s %s: no meaning", e.Source, e.Name)
		}
		if (e.Class == ClassDrop || e.Class == ClassError) && e.Remedy == "" {
			t.Errorf("%s %s: a %s counter without a remedy", e.Source, e.Name, e.Class)
		}
	}
}

func TestExplain(t *testing.T) {
	type hit struct {
		Source Source
		Name   string
	}
	tests := []struct {
		in   string
		want []hit
	}{
		{"UdpRcvbufErrors", []hit{{SNMP, "UdpRcvbufErrors"}}},
		{"udprcvbuferrors", []hit{{SNMP, "UdpRcvbufErrors"}}},
		{"TcpExtListenDrops", []hit{{SNMP, "TcpExtListenDrops"}}},
		{"NO_SOCKET", []hit{{DropReason, "NO_SOCKET"}}},
		{"SKB_DROP_REASON_SOCKET_RCVBUFF", []hit{{DropReason, "SOCKET_RCVBUFF"}}},
		{"reason/NETFILTER_DROP", []hit{{DropReason, "NETFILTER_DROP"}}},
		{"time_squeeze", []hit{{Softnet, "time_squeeze"}}},
		{"softnet/dropped", []hit{{Softnet, "dropped"}}},
		{"qdisc.drops", []hit{{Qdisc, "drops"}}},
		{"rx_missed_errors", []hit{{Link, "rx_missed_errors"}}},
		{" rx_fifo_errors ", []hit{{Link, "rx_fifo_errors"}}},
		{"packets", []hit{{Qdisc, "packets"}}},
		{"bytes", []hit{{Qdisc, "bytes"}}},
		{"link/drops", nil},
		{"no-such-counter", nil},
		{"", nil},
	}
	for _, tt := range tests {
		var got []hit
		for _, e := range Explain(tt.in) {
			got = append(got, hit{e.Source, e.Name})
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Explain(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestExplainCounterAndClassify(t *testing.T) {
	tests := []struct {
		c     Counter
		ok    bool
		class Class
	}{
		{Counter{Source: Ethtool, Name: "rx_queue_0_drops"}, true, ClassDrop},
		{Counter{Source: Ethtool, Name: "rx_missed_errors"}, true, ClassDrop}, // the standard name's entry
		{Counter{Source: Ethtool, Name: "rx_crc_errors"}, true, ClassError},
		{Counter{Source: Ethtool, Name: "tx_timeout_count"}, true, ClassError},
		{Counter{Source: Ethtool, Name: "tx_kicks"}, false, ClassOther},
		{Counter{Source: Ethtool, Name: "rx_queue_0_packets"}, false, ClassTraffic},
		{Counter{Source: SNMP, Name: "UdpRcvbufErrors"}, true, ClassDrop},
		{Counter{Source: SNMP, Name: "TcpExtTCPFutureDrop"}, false, ClassDrop}, // guessed from its name
		{Counter{Source: SNMP, Name: "IpInReceives"}, false, ClassTraffic},
		{Counter{Source: Qdisc, Name: "drops"}, true, ClassDrop},
		{Counter{Source: Softnet, Name: "time_squeeze"}, true, ClassError},
	}
	for _, tt := range tests {
		e, ok := ExplainCounter(tt.c)
		if ok != tt.ok {
			t.Errorf("ExplainCounter(%s %s): ok %v, want %v", tt.c.Source, tt.c.Name, ok, tt.ok)
		}
		if ok && (e.Meaning == "" || e.Name != tt.c.Name || e.Source != tt.c.Source) {
			t.Errorf("ExplainCounter(%s %s) = %+v", tt.c.Source, tt.c.Name, e)
		}
		if got := tt.c.Class(); got != tt.class {
			t.Errorf("%s %s: class %s, want %s", tt.c.Source, tt.c.Name, got, tt.class)
		}
	}
}
