package exporter

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func site(f string) Site { return Site{Function: f, Reason: "NO_SOCKET", Origin: OriginSoftware} }

func TestStoreFolding(t *testing.T) {
	s := NewStore(2)
	s.Add(site("a"), 1)
	s.Add(site("b"), 2)
	s.Add(site("c"), 3) // folded: a new site beyond the limit
	s.Add(site("a"), 10)
	s.Add(site("c"), 4) // the same folded site again: not a new folded series
	s.Add(site("d"), 5)
	s.Add(site("b"), 0) // nothing
	s.Add(Site{Function: FunctionOther}, 7)

	got, folded := s.Snapshot(nil)
	want := []Series{
		{Site: site("a"), Drops: 11},
		{Site: site("b"), Drops: 2},
		{Site: Site{Function: FunctionOther}, Drops: 3 + 4 + 5 + 7},
	}
	if diff := cmp.Diff(want, got, ignoreLabels); diff != "" {
		t.Errorf("Snapshot (-want +got):\n%s", diff)
	}
	if folded != 2 {
		t.Errorf("folded = %d, want 2 (c and d)", folded)
	}
	if n := s.Len(); n != 3 {
		t.Errorf("Len = %d, want 3", n)
	}
}

func TestStoreAddSeries(t *testing.T) {
	s := NewStore(10)
	s.AddSeries([]Series{
		{Site: Site{Function: "f+0x10/0x20"}, Drops: 2},
		{Site: Site{Function: "f"}, Drops: 3},
		{Site: Site{Function: "g"}, Drops: 0},
	})
	got, _ := s.Snapshot(nil)
	want := []Series{{Site: Site{Function: "f", Origin: OriginSoftware}, Drops: 5}}
	if diff := cmp.Diff(want, got, ignoreLabels); diff != "" {
		t.Errorf("Snapshot (-want +got):\n%s", diff)
	}
}

// TestStoreMemoryBounded adds far more distinct sites than the limit, as
// days of drops at new sites would: the store keeps MaxSeries+1 series and
// a bounded set of folded hashes.
func TestStoreMemoryBounded(t *testing.T) {
	const max, sites = 100, 200_000
	s := NewStore(max)
	for i := range sites {
		s.Add(Site{Function: fmt.Sprintf("f%d", i), Module: "m"}, 1)
	}
	if n := s.Len(); n != max+1 {
		t.Errorf("Len = %d, want %d", n, max+1)
	}
	if len(s.seen) > s.seenMax {
		t.Errorf("folded hashes = %d, above the bound %d", len(s.seen), s.seenMax)
	}
	got, folded := s.Snapshot(nil)
	if folded != sites-max {
		t.Errorf("folded = %d, want %d", folded, sites-max)
	}
	var total uint64
	for _, g := range got {
		total += g.Drops
	}
	if total != sites {
		t.Errorf("total drops = %d, want %d: folding must not lose drops", total, sites)
	}
}

func TestStoreConcurrent(t *testing.T) {
	s := NewStore(50)
	var wg sync.WaitGroup
	const writers, per = 4, 2000
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				s.Add(site(fmt.Sprintf("f%d", (i+w)%80)), 1)
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			s.Snapshot(nil)
		}
	}()
	wg.Wait()
	<-done
	got, _ := s.Snapshot(nil)
	var total uint64
	for _, g := range got {
		total += g.Drops
	}
	if total != writers*per {
		t.Errorf("total = %d, want %d", total, writers*per)
	}
	if n := s.Len(); n != 51 {
		t.Errorf("Len = %d, want 51", n)
	}
}

func BenchmarkAdd(b *testing.B) {
	s := NewStore(DefaultMaxSeries)
	sites := make([]Site, 64)
	for i := range sites {
		sites[i] = Site{Function: fmt.Sprintf("function_%d", i), Reason: "NO_SOCKET", Origin: OriginSoftware}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Add(sites[i%len(sites)], 1)
		i++
	}
}

// ignoreLabels leaves the cached label pairs out of comparisons; TestCollect
// checks them through the exposition.
var ignoreLabels = cmpopts.IgnoreUnexported(Series{})
