package counters

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// seq is a Snapshotter whose UdpNoPorts takes the values given, one per
// snapshot, a second apart; after the last it repeats it. A snapshot fails
// where fail says so.
type seq struct {
	mu     sync.Mutex
	values []uint64
	fail   map[int]bool
	calls  int
}

var errSnapshot = errors.New("snapshot failed")

func (s *seq) Snapshot(ctx context.Context) (*Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.calls
	s.calls++
	if _, ok := ctx.Deadline(); !ok {
		panic("a snapshot without a deadline")
	}
	if s.fail[n] {
		return nil, errSnapshot
	}
	v := s.values[min(n, len(s.values)-1)]
	return &Snapshot{
		Time:     time.Unix(int64(n), 0),
		Counters: []Counter{{Source: SNMP, Name: "UdpNoPorts", Value: v, Bits: 64}},
		Read:     []Source{SNMP},
	}, nil
}

// grew is how much UdpNoPorts grew in d.
func grew(d Delta) uint64 {
	for _, c := range d.Changes {
		if c.Name == "UdpNoPorts" {
			return c.Delta
		}
	}
	return 0
}

func TestWindow(t *testing.T) {
	ctx := context.Background()
	w := NewWindow(&seq{values: []uint64{10, 15, 40, 100}})
	if _, err := w.Since(ctx); !errors.Is(err, ErrNoBaseline) {
		t.Errorf("Since before Start: %v, want ErrNoBaseline", err)
	}
	if err := w.Stop(ctx); err != nil || w.Last() != nil {
		t.Errorf("Stop before Start: %v, %v; want nothing", err, w.Last())
	}
	if err := w.Start(ctx); err != nil { // 10
		t.Fatal(err)
	}
	if d, err := w.Since(ctx); err != nil || grew(d) != 5 { // 15
		t.Errorf("Since = %d, %v; want 5", grew(d), err)
	}
	if w.Last() != nil {
		t.Error("Since ended the window")
	}
	if err := w.Stop(ctx); err != nil || w.Last() == nil || grew(*w.Last()) != 30 { // 40
		t.Fatalf("Stop: %v; want a window of 30", err)
	}
	if err := w.Start(ctx); err != nil || w.Last() != nil { // 100
		t.Errorf("Start: %v, last %v; want the last window forgotten", err, w.Last())
	}
}

// TestWindowFailures: a failed Start keeps the previous baseline; a
// failed Stop leaves no window.
func TestWindowFailures(t *testing.T) {
	ctx := context.Background()
	w := NewWindow(&seq{values: []uint64{10, 20, 30, 40}, fail: map[int]bool{1: true, 2: true}})
	if err := w.Start(ctx); err != nil { // 10
		t.Fatal(err)
	}
	if err := w.Start(ctx); !errors.Is(err, errSnapshot) {
		t.Errorf("Start: %v, want the snapshot's error", err)
	}
	if err := w.Stop(ctx); !errors.Is(err, errSnapshot) || w.Last() != nil {
		t.Errorf("Stop: %v, last %v; want the error and no window", err, w.Last())
	}
	if err := w.Stop(ctx); err != nil || grew(*w.Last()) != 30 { // 40 - 10
		t.Errorf("Stop: %v; want 30 since the first baseline", err)
	}
}

// TestNilWindow: the Window of counters that cannot be read measures
// nothing and never fails but for Since.
func TestNilWindow(t *testing.T) {
	var w *Window
	ctx := context.Background()
	if w.Start(ctx) != nil || w.Stop(ctx) != nil || w.Last() != nil {
		t.Error("a nil Window did something")
	}
	if _, err := w.Since(ctx); !errors.Is(err, ErrNoBaseline) {
		t.Errorf("Since: %v, want ErrNoBaseline", err)
	}
}

func TestEvery(t *testing.T) {
	r := &seq{values: []uint64{0, 1, 3, 6}}
	first, err := Take(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var got []uint64
	total, err := Every(ctx, r, first, time.Millisecond, func(d Delta) error {
		got = append(got, grew(d))
		if len(got) == 2 {
			cancel() // one more snapshot follows: the loop's last
		}
		return nil
	})
	if err != nil || len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 || grew(total) != 6 {
		t.Errorf("Every: intervals %v, total %d, %v; want [1 2 3], 6", got, grew(total), err)
	}
}

// TestEveryErrors: Every stops at the first error of a snapshot or of fn,
// and returns it as it is.
func TestEveryErrors(t *testing.T) {
	r := &seq{values: []uint64{0, 1}, fail: map[int]bool{2: true}}
	first, _ := Take(context.Background(), r)
	calls := 0
	if _, err := Every(context.Background(), r, first, time.Millisecond, func(Delta) error { calls++; return nil }); !errors.Is(err, errSnapshot) || calls != 1 {
		t.Errorf("Every: %v after %d intervals; want the snapshot's error after 1", err, calls)
	}
	errWrite := errors.New("write failed")
	r = &seq{values: []uint64{0}}
	first, _ = Take(context.Background(), r)
	if _, err := Every(context.Background(), r, first, time.Millisecond, func(Delta) error { return errWrite }); err != errWrite {
		t.Errorf("Every: %v, want fn's error", err)
	}
}

// TestEveryEndsAtOnce: a ctx done before the first tick still takes the
// last snapshot, so that the caller reports the interval so far.
func TestEveryEndsAtOnce(t *testing.T) {
	r := &seq{values: []uint64{0, 4}}
	first, _ := Take(context.Background(), r)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	total, err := Every(ctx, r, first, time.Hour, func(Delta) error { calls++; return nil })
	if err != nil || calls != 1 || grew(total) != 4 {
		t.Errorf("Every: %d intervals, total %d, %v; want 1, 4", calls, grew(total), err)
	}
}
