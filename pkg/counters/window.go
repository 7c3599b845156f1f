package counters

import (
	"context"
	"errors"
	"time"
)

// Snapshotter takes snapshots: a *Reader, or a test's fake of one.
type Snapshotter interface {
	Snapshot(ctx context.Context) (*Snapshot, error)
}

// SnapshotTimeout bounds one snapshot of every source taken by Take,
// Window and Every; each netlink request within it has the Reader's own
// deadline (Config.Timeout).
const SnapshotTimeout = 15 * time.Second

// ErrNoBaseline is returned by Window.Since when no Start has succeeded.
var ErrNoBaseline = errors.New("counters: no baseline snapshot")

// Take takes one snapshot of r, within SnapshotTimeout of ctx.
func Take(ctx context.Context, r Snapshotter) (*Snapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, SnapshotTimeout)
	defer cancel()
	return r.Snapshot(ctx)
}

// Window measures what grew during a span of time, such as one
// monitoring session: Start takes the baseline, Stop what grew since it,
// which Last then returns. Make one with NewWindow; a nil *Window, for
// counters that cannot be read, measures nothing (Start and Stop do
// nothing, Last is nil, Since returns ErrNoBaseline).
type Window struct {
	r    Snapshotter
	base *Snapshot
	last *Delta
}

// NewWindow returns a Window over the snapshots of r, without a baseline.
func NewWindow(r Snapshotter) *Window { return &Window{r: r} }

// Start forgets the last window and takes a new baseline. When the
// snapshot fails it returns the error and keeps the previous baseline.
func (w *Window) Start(ctx context.Context) error {
	if w == nil {
		return nil
	}
	w.last = nil
	b, err := Take(ctx, w.r)
	if err != nil {
		return err
	}
	w.base = b
	return nil
}

// Stop computes what changed since the baseline, which Last returns until
// the next Start. Without a baseline it does nothing; when the snapshot
// fails it returns the error and Last stays nil.
func (w *Window) Stop(ctx context.Context) error {
	if w == nil || w.base == nil {
		return nil
	}
	cur, err := Take(ctx, w.r)
	if err != nil {
		return err
	}
	d := Diff(w.base, cur)
	w.last = &d
	return nil
}

// Last returns what changed between the last Start and the Stop after it,
// or nil when no Stop has computed it since the last Start.
func (w *Window) Last() *Delta {
	if w == nil {
		return nil
	}
	return w.last
}

// Since returns what changed from the baseline to a snapshot taken now,
// without ending the window; ErrNoBaseline when no Start has succeeded.
func (w *Window) Since(ctx context.Context) (Delta, error) {
	if w == nil || w.base == nil {
		return Delta{}, ErrNoBaseline
	}
	cur, err := Take(ctx, w.r)
	if err != nil {
		return Delta{}, err
	}
	return Diff(w.base, cur), nil
}

// Every takes a snapshot of r every interval after first until ctx is
// done, and one more when it is, and calls fn with what changed since the
// snapshot before each. It returns what changed from first to the last
// snapshot. It stops at the first error of a snapshot or of fn, and
// returns it as it is. The snapshots are not cancelled with ctx: each has
// SnapshotTimeout.
func Every(ctx context.Context, r Snapshotter, first *Snapshot, interval time.Duration, fn func(Delta) error) (Delta, error) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	snapCtx := context.WithoutCancel(ctx)
	prev := first
	for done := false; !done; {
		select {
		case <-tick.C:
			// A tick and the end may come together: the end wins.
			done = ctx.Err() != nil
		case <-ctx.Done():
			done = true
		}
		cur, err := Take(snapCtx, r)
		if err != nil {
			return Delta{}, err
		}
		if err := fn(Diff(prev, cur)); err != nil {
			return Delta{}, err
		}
		prev = cur
	}
	return Diff(first, prev), nil
}
