package counters

import (
	"cmp"
	"slices"
	"time"
)

// Change is a counter that moved between two snapshots.
type Change struct {
	// Counter is the counter as the later snapshot has it.
	Counter
	Class Class
	// Prev is the earlier value (0 for a new object).
	Prev uint64
	// Delta is how much a counter grew over the interval. It is 0 for
	// gauges, whose Change only says that the value changed.
	Delta uint64
	// Rate is Delta per second of the interval.
	Rate float64
	// Reset is true when the counter went back without wrapping (or its
	// interface was created again): Delta is then its value, counted from
	// zero.
	Reset bool
	// New is true when the object did not exist in the earlier snapshot
	// (an interface or qdisc created during the interval): Delta is then
	// its value, counted from the object's creation.
	New bool
}

// Object names an object of a source: an interface, a CPU, a qdisc.
type Object struct {
	Source Source
	Name   string
}

// Delta is what changed between two snapshots.
type Delta struct {
	From, To time.Time
	Interval time.Duration
	// Changes lists the counters that grew and the gauges that changed:
	// drops first, then errors, traffic and the rest (Class), within a
	// class counters before gauges and the largest growth first, and
	// equal growths in the later snapshot's order.
	Changes []Change
	// Appeared and Vanished list objects in only one of the snapshots.
	Appeared, Vanished []Object
	// Errors are the later snapshot's.
	Errors []*SourceError
}

type counterKey struct {
	src       Source
	obj, name string
}

type objectKey struct {
	src Source
	obj string
}

// Diff compares two snapshots of the same Reader.
//
// A counter that is lower than before either wrapped or was reset: a
// 32-bit counter (Bits 32) is taken to have wrapped when the growth that
// implies is below 2^31, and to have been reset otherwise; a 64-bit
// counter does not wrap in practice, so it was reset. A reset counter's
// Delta is its new value. Counters of an object that is new in cur, or
// whose Gen (ifindex) changed, count from zero. A counter with no
// baseline, because its source could not be read in prev, is left out.
func Diff(prev, cur *Snapshot) Delta {
	d := Delta{From: prev.Time, To: cur.Time, Interval: cur.Time.Sub(prev.Time), Errors: cur.Errors}
	secs := d.Interval.Seconds()

	before := make(map[counterKey]Counter, len(prev.Counters))
	prevObjs := make(map[objectKey]uint32)
	for _, c := range prev.Counters {
		before[counterKey{c.Source, c.Object, c.Name}] = c
		prevObjs[objectKey{c.Source, c.Object}] = c.Gen
	}
	curObjs := make(map[objectKey]uint32)
	for _, c := range cur.Counters {
		ok := objectKey{c.Source, c.Object}
		if _, seen := curObjs[ok]; !seen {
			curObjs[ok] = c.Gen
			if gen, had := prevObjs[ok]; (!had || gen != c.Gen) && slices.Contains(prev.Read, c.Source) && !failedIn(prev, c.Source, c.Object) {
				d.Appeared = append(d.Appeared, Object{c.Source, c.Object})
			}
		}
		ch := Change{Counter: c, Class: c.Class()}
		p, had := before[counterKey{c.Source, c.Object, c.Name}]
		switch {
		case had && p.Gen == c.Gen:
			ch.Prev = p.Value
			if c.Gauge {
				if p.Value == c.Value {
					continue
				}
			} else {
				ch.Delta, ch.Reset = increase(p.Value, c.Value, c.Bits)
				if ch.Delta == 0 && !ch.Reset {
					continue
				}
			}
		case had: // the same name, another ifindex: created again
			ch.Prev = p.Value
			ch.New = true
			if !c.Gauge {
				ch.Delta = c.Value
			}
			if ch.Delta == 0 && (!c.Gauge || c.Value == 0) {
				continue
			}
		default:
			gen, objHad := prevObjs[objectKey{c.Source, c.Object}]
			if objHad && gen == c.Gen {
				// A name the object did not have before: no baseline.
				continue
			}
			if !slices.Contains(prev.Read, c.Source) || failedIn(prev, c.Source, c.Object) {
				continue
			}
			ch.New = true
			if !c.Gauge {
				ch.Delta = c.Value
			}
			if ch.Delta == 0 && (!c.Gauge || c.Value == 0) {
				continue
			}
		}
		if secs > 0 {
			ch.Rate = float64(ch.Delta) / secs
		}
		d.Changes = append(d.Changes, ch)
	}
	for _, c := range prev.Counters {
		ok := objectKey{c.Source, c.Object}
		if _, still := curObjs[ok]; still {
			continue
		}
		if !slices.Contains(cur.Read, c.Source) || failedIn(cur, c.Source, c.Object) {
			continue
		}
		curObjs[ok] = 0 // report once
		d.Vanished = append(d.Vanished, Object{c.Source, c.Object})
	}
	slices.SortStableFunc(d.Changes, func(a, b Change) int {
		if c := cmp.Compare(a.Class, b.Class); c != 0 {
			return c
		}
		if a.Gauge != b.Gauge {
			if a.Gauge {
				return 1
			}
			return -1
		}
		return cmp.Compare(b.Delta, a.Delta)
	})
	return d
}

// failedIn reports whether s could not read the object (or its whole
// source).
func failedIn(s *Snapshot, src Source, obj string) bool {
	for _, e := range s.Errors {
		if e.Source == src && (e.Object == "" && e.Path == "" || e.Object == obj) {
			return true
		}
	}
	return false
}

// increase returns how much a counter of the given width grew from prev
// to cur, and whether it was reset rather than wrapped.
func increase(prev, cur uint64, bits uint8) (delta uint64, reset bool) {
	if cur >= prev {
		return cur - prev, false
	}
	if bits == 32 && prev <= 1<<32-1 {
		if wrapped := (1<<32 - prev) + cur; wrapped < 1<<31 {
			return wrapped, false
		}
	}
	return cur, true
}
