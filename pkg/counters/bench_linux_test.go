package counters

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// vethPairs makes n veth pairs (2n interfaces, all up, each with its
// default noqueue qdisc) in a new namespace and returns its fd.
func vethPairs(t testing.TB, n int) int {
	t.Helper()
	needRoot(t)
	name, fd := newNetns(t)
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "link add v%d type veth peer name w%d\nlink set v%d up\nlink set w%d up\n", i, i, i, i)
	}
	batch := filepath.Join(t.TempDir(), "batch")
	if err := os.WriteFile(batch, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd(t, "ip", "-n", name, "-batch", batch)
	return fd
}

func countObjects(s *Snapshot, src Source) int {
	objs := map[string]bool{}
	for _, c := range s.Counters {
		if c.Source == src {
			objs[c.Object] = true
		}
	}
	return len(objs)
}

// BenchmarkSnapshot100Interfaces: a snapshot of every source in a
// namespace with 50 veth pairs and lo (101 interfaces, 101 qdiscs, 100
// with driver statistics).
func BenchmarkSnapshot100Interfaces(b *testing.B) {
	fd := vethPairs(b, 50)
	r, err := New(Config{NetNS: fd})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	s := snap(b, r)
	if len(s.Errors) != 0 {
		b.Fatal(s.Errors)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Snapshot(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(countObjects(s, Link)), "interfaces")
	b.ReportMetric(float64(len(s.Counters)), "counters")
}

// BenchmarkDiff100Interfaces: Diff of two such snapshots.
func BenchmarkDiff100Interfaces(b *testing.B) {
	fd := vethPairs(b, 50)
	r, err := New(Config{NetNS: fd})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	s0, s1 := snap(b, r), snap(b, r)
	b.ReportAllocs()
	for b.Loop() {
		_ = Diff(s0, s1)
	}
}

// TestSnapshot100Interfaces: with 101 interfaces every source reads every
// interface. It logs how long 50 snapshots took (the target is a
// 20 ms snapshot), but asserts nothing on time: that is what
// BenchmarkSnapshot100 reports, and a test that depends on how busy the
// machine is fails for reasons of its own.
func TestSnapshot100Interfaces(t *testing.T) {
	fd := vethPairs(t, 50)
	r, err := New(Config{NetNS: fd})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s := snap(t, r)
	if len(s.Errors) != 0 {
		t.Fatal(s.Errors)
	}
	if n := countObjects(s, Link); n != 101 {
		t.Fatalf("%d interfaces, want 101", n)
	}
	if n := countObjects(s, Ethtool); n != 100 {
		t.Errorf("%d interfaces with driver statistics, want the 100 veths", n)
	}
	if n := countObjects(s, Qdisc); n != 101 {
		t.Errorf("%d qdiscs, want 101", n)
	}
	var ds []time.Duration
	for i := 0; i < 50; i++ {
		t0 := time.Now()
		snap(t, r)
		ds = append(ds, time.Since(t0))
	}
	slices.Sort(ds)
	t.Logf("101 interfaces, %d counters: snapshot min %v, median %v, max %v", len(s.Counters), ds[0], ds[len(ds)/2], ds[len(ds)-1])
}

// TestSteadyHeap takes many snapshots (1000, 200 under -race, 300 in the
// VM guests), each diffed with the one before as a CLI refreshing once a
// second would, and checks that the heap in use after a GC does not grow
// between the 50th and the last: the Reader's buffers and interned names
// reach their size early, and nothing else is kept. With root it runs on 101 interfaces,
// else on the machine's own.
func TestSteadyHeap(t *testing.T) {
	cfg := Config{}
	if os.Geteuid() == 0 {
		cfg.NetNS = vethPairs(t, 50)
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 1000
	if raceEnabled {
		n = 200
	}
	if os.Getenv("DROPWATCH_VM") == "1" {
		// Under qemu's emulation (test/vm) a snapshot of 101
		// interfaces takes about 200 ms instead of 2: 1000 of them
		// would take most of the guest's time limit.
		n = 300
	}
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse
	}
	var start uint64
	prev := snap(t, r)
	for i := 1; i <= n; i++ {
		cur := snap(t, r)
		_ = Diff(prev, cur)
		prev = cur
		if i == 50 {
			start = heap()
		}
	}
	end := heap()
	t.Logf("%d snapshots of %d counters: heap in use %d KiB after 50, %d KiB after %d", n, len(prev.Counters), start>>10, end>>10, n)
	const tolerance = 256 << 10
	if end > start+tolerance {
		t.Errorf("heap in use grew from %d to %d bytes over %d snapshots (tolerance %d)", start, end, n-50, tolerance)
	}
}
