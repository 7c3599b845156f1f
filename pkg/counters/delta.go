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
	// Appeared lists the objects only in the later snapshot, Vanished
	// those only in the earlier one, each by source and name.
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

	prevObjs := objects(prev.Counters)
	curObjs := make(map[objectKey]uint32, len(prevObjs))
	// Snapshots of one Reader list their counters in the same order, so
	// the counter matching cur's next one is usually prev's next one; the
	// map is built only when that fails.
	var before map[counterKey]Counter
	next := 0
	find := func(c Counter) (Counter, bool) {
		if next < len(prev.Counters) {
			if p := prev.Counters[next]; p.Source == c.Source && p.Name == c.Name && p.Object == c.Object {
				next++
				return p, true
			}
		}
		if before == nil {
			before = make(map[counterKey]Counter, len(prev.Counters))
			for _, p := range prev.Counters {
				before[counterKey{p.Source, p.Object, p.Name}] = p
			}
		}
		p, ok := before[counterKey{c.Source, c.Object, c.Name}]
		return p, ok
	}
	var lastObj objectKey
	for i, c := range cur.Counters {
		ok := objectKey{c.Source, c.Object}
		if i == 0 || ok != lastObj {
			lastObj = ok
			if _, seen := curObjs[ok]; !seen {
				curObjs[ok] = c.Gen
				if gen, had := prevObjs[ok]; (!had || gen != c.Gen) && slices.Contains(prev.Read, c.Source) && !failedIn(prev, c.Source, c.Object) {
					d.Appeared = append(d.Appeared, Object{c.Source, c.Object})
				}
			}
		}
		ch := Change{Counter: c}
		p, had := find(c)
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
		ch.Class = c.Class()
		d.Changes = append(d.Changes, ch)
	}
	for ok := range prevObjs {
		if _, still := curObjs[ok]; still {
			continue
		}
		if !slices.Contains(cur.Read, ok.src) || failedIn(cur, ok.src, ok.obj) {
			continue
		}
		d.Vanished = append(d.Vanished, Object{ok.src, ok.obj})
	}
	byName := func(a, b Object) int {
		if c := cmp.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	}
	slices.SortFunc(d.Appeared, byName)
	slices.SortFunc(d.Vanished, byName)
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

// objects returns the objects of a snapshot's counters (which come grouped
// by object) and their Gen.
func objects(cs []Counter) map[objectKey]uint32 {
	m := make(map[objectKey]uint32, 64)
	var last objectKey
	for i, c := range cs {
		ok := objectKey{c.Source, c.Object}
		if i == 0 || ok != last {
			m[ok] = c.Gen
			last = ok
		}
	}
	return m
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
