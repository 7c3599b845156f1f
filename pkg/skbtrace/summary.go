package skbtrace

import (
	"cmp"
	"slices"
)

// Summary is the number of drops at one location in an interval, what a
// NET_DM summary alert reports per entry ("N drops at sym+off (0x...)").
type Summary struct {
	PC    uint64
	Count uint64
}

// Aggregator counts drops per location between flushes. The zero value is
// ready to use. It is not safe for concurrent use.
type Aggregator struct {
	counts map[uint64]uint64
}

// Add counts drops.
func (a *Aggregator) Add(drops ...Drop) {
	if a.counts == nil {
		a.counts = map[uint64]uint64{}
	}
	for _, d := range drops {
		a.counts[d.Location]++
	}
}

// Flush returns the counts since the last flush, most drops first (ties by
// ascending PC), and starts a new interval. It returns nil if nothing was
// added.
func (a *Aggregator) Flush() []Summary {
	if len(a.counts) == 0 {
		return nil
	}
	out := make([]Summary, 0, len(a.counts))
	for pc, n := range a.counts {
		out = append(out, Summary{PC: pc, Count: n})
	}
	clear(a.counts)
	slices.SortFunc(out, func(x, y Summary) int {
		if c := cmp.Compare(y.Count, x.Count); c != 0 {
			return c
		}
		return cmp.Compare(x.PC, y.PC)
	})
	return out
}
