package skbtrace

import (
	"cmp"
	"slices"
)

// Summary is the number of drops at one location for one reason in an
// interval, what a NET_DM summary alert reports per entry ("N drops at
// sym+off (0x...)"), which has no reason: the tracepoint knows it for every
// sample.
type Summary struct {
	PC     uint64
	Reason string // Drop.Reason: "" without a reason field, or an unnamed code
	Count  uint64
}

type summaryKey struct {
	pc     uint64
	reason string
}

// Aggregator counts drops per location and reason between flushes. The
// zero value is ready to use. It is not safe for concurrent use.
type Aggregator struct {
	counts map[summaryKey]uint64
}

// Add counts drops.
func (a *Aggregator) Add(drops ...Drop) {
	if a.counts == nil {
		a.counts = map[summaryKey]uint64{}
	}
	for _, d := range drops {
		a.counts[summaryKey{d.Location, d.Reason}]++
	}
}

// Flush returns the counts since the last flush, most drops first (ties by
// ascending PC, then reason), and starts a new interval. It returns nil if nothing was
// added.
func (a *Aggregator) Flush() []Summary {
	if len(a.counts) == 0 {
		return nil
	}
	out := make([]Summary, 0, len(a.counts))
	for k, n := range a.counts {
		out = append(out, Summary{PC: k.pc, Reason: k.reason, Count: n})
	}
	clear(a.counts)
	slices.SortFunc(out, func(x, y Summary) int {
		if c := cmp.Compare(y.Count, x.Count); c != 0 {
			return c
		}
		if c := cmp.Compare(x.PC, y.PC); c != 0 {
			return c
		}
		return cmp.Compare(x.Reason, y.Reason)
	})
	return out
}
