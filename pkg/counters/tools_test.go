package counters

import (
	"bufio"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Helpers that read the tools' own output (ip, tc, ethtool) and compare a
// snapshot with it.

func value(s *Snapshot, src Source, obj, name string) (uint64, bool) {
	for _, c := range s.Counters {
		if c.Source == src && c.Object == obj && c.Name == name {
			return c.Value, true
		}
	}
	return 0, false
}

func mustValue(t testing.TB, s *Snapshot, src Source, obj, name string) uint64 {
	t.Helper()
	v, ok := value(s, src, obj, name)
	if !ok {
		t.Fatalf("no %s %q %s in the snapshot", src, obj, name)
	}
	return v
}

// ipLinkNames maps `ip -s -s -j link` stats64 keys to our names.
var ipLinkNames = map[string]string{
	"rx.bytes": "rx_bytes", "rx.packets": "rx_packets", "rx.errors": "rx_errors", "rx.dropped": "rx_dropped",
	"rx.over_errors": "rx_over_errors", "rx.multicast": "multicast", "rx.length_errors": "rx_length_errors",
	"rx.crc_errors": "rx_crc_errors", "rx.frame_errors": "rx_frame_errors", "rx.fifo_errors": "rx_fifo_errors",
	"rx.missed_errors": "rx_missed_errors", "rx.compressed": "rx_compressed", "rx.nohandler": "rx_nohandler",
	"rx.otherhost": "rx_otherhost_dropped",
	"tx.bytes":     "tx_bytes", "tx.packets": "tx_packets", "tx.errors": "tx_errors", "tx.dropped": "tx_dropped",
	"tx.carrier_errors": "tx_carrier_errors", "tx.collisions": "collisions", "tx.aborted_errors": "tx_aborted_errors",
	"tx.fifo_errors": "tx_fifo_errors", "tx.window_errors": "tx_window_errors", "tx.heartbeat_errors": "tx_heartbeat_errors",
	"tx.compressed": "tx_compressed",
}

// ipLinkStats reads `ip -s -s -j link show` output: per interface, our
// counter names and the values ip printed.
func ipLinkStats(t testing.TB, out []byte) map[string]map[string]uint64 {
	t.Helper()
	var links []struct {
		Ifname  string                       `json:"ifname"`
		Stats64 map[string]map[string]uint64 `json:"stats64"`
	}
	if err := json.Unmarshal(out, &links); err != nil {
		t.Fatal(err)
	}
	m := map[string]map[string]uint64{}
	for _, l := range links {
		m[l.Ifname] = map[string]uint64{}
		for dir, kv := range l.Stats64 {
			for k, v := range kv {
				if name, ok := ipLinkNames[dir+"."+k]; ok {
					m[l.Ifname][name] = v
				}
			}
		}
	}
	return m
}

type tcQdisc struct {
	Kind       string `json:"kind"`
	Handle     string `json:"handle"`
	Root       bool   `json:"root"`
	Parent     string `json:"parent"`
	Dev        string `json:"dev"`
	Bytes      uint64 `json:"bytes"`
	Packets    uint64 `json:"packets"`
	Drops      uint64 `json:"drops"`
	Overlimits uint64 `json:"overlimits"`
	Requeues   uint64 `json:"requeues"`
	Backlog    uint64 `json:"backlog"`
	Qlen       uint64 `json:"qlen"`
}

// tcStats reads `tc -s -j qdisc show` output into our objects and names.
func tcStats(t testing.TB, out []byte) map[string]map[string]uint64 {
	t.Helper()
	var qs []tcQdisc
	if err := json.Unmarshal(out, &qs); err != nil {
		t.Fatal(err)
	}
	m := map[string]map[string]uint64{}
	for _, q := range qs {
		where := "root"
		if !q.Root {
			where = "parent " + q.Parent
		}
		obj := q.Kind + " " + q.Handle + " dev " + q.Dev + " " + where
		m[obj] = map[string]uint64{
			"bytes": q.Bytes, "packets": q.Packets, "drops": q.Drops, "overlimits": q.Overlimits,
			"requeues": q.Requeues, "backlog": q.Backlog, "qlen": q.Qlen,
		}
	}
	return m
}

// ethtoolS reads `ethtool -S` output: "     name: value" lines.
func ethtoolS(t testing.TB, out string) map[string]uint64 {
	t.Helper()
	m := map[string]uint64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		name, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ": ")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("ethtool -S line %q: %v", sc.Text(), err)
		}
		m[name] = n
	}
	return m
}

func ours(s *Snapshot, src Source) map[string]map[string]uint64 {
	m := map[string]map[string]uint64{}
	for _, c := range s.Counters {
		if c.Source == src {
			if m[c.Object] == nil {
				m[c.Object] = map[string]uint64{}
			}
			m[c.Object][c.Name] = c.Value
		}
	}
	return m
}

// compareWithTools checks a snapshot against ip/tc/ethtool output taken
// right after it, in a quiet namespace.
func compareWithTools(t *testing.T, s *Snapshot, ipOut, tcOut []byte, ethOut map[string]string) {
	t.Helper()
	link := ours(s, Link)
	for dev, want := range ipLinkStats(t, ipOut) {
		got := link[dev]
		// ip leaves out rx_nohandler, rx_otherhost_dropped and the
		// compressed counters when they are 0.
		for _, opt := range []string{"rx_nohandler", "rx_otherhost_dropped", "rx_compressed", "tx_compressed"} {
			if _, printed := want[opt]; !printed && got[opt] == 0 {
				delete(got, opt)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: link counters differ from ip -s -s link's (-ip +ours):\n%s", dev, diff)
		}
	}
	if diff := cmp.Diff(tcStats(t, tcOut), ours(s, Qdisc)); diff != "" {
		t.Errorf("qdisc counters differ from tc -s qdisc's (-tc +ours):\n%s", diff)
	}
	eth := ours(s, Ethtool)
	for dev, out := range ethOut {
		want := ethtoolS(t, out)
		if len(want) == 0 {
			t.Fatalf("ethtool -S %s printed no statistics:\n%s", dev, out)
		}
		if diff := cmp.Diff(want, eth[dev]); diff != "" {
			t.Errorf("%s: ethtool counters differ from ethtool -S's (-ethtool +ours):\n%s", dev, diff)
		}
	}
}

// ethtoolGroupKeys returns the group names `ethtool --json -S DEV
// --all-groups` printed for the first device, in its order.
func ethtoolGroupKeys(out string) []string {
	dec := json.NewDecoder(strings.NewReader(out))
	var keys []string
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			continue
		case json.Delim('}'), json.Delim(']'):
			depth--
			continue
		}
		if k, ok := tok.(string); ok && depth == 2 && dec.More() {
			if k == "ifname" {
				dec.Token() // its value
				continue
			}
			keys = append(keys, k)
		}
	}
}
