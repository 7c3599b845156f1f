package exporter

import (
	"context"
	"errors"
	"time"
)

// Source is one opened drop monitor: cmd/dropwatch_exporter adapts a
// started pkg/drops Watch to it.
type Source interface {
	// Info says which backend and mode the source uses.
	Info() Info
	// Run reports drops through add until ctx is done (then it returns
	// nil) or monitoring fails. add may be called from one goroutine at a
	// time; its sites must never hold an address (see Site).
	Run(ctx context.Context, add func(Site, uint64)) error
	// Losses returns the source's losses since it was opened. It is called
	// at every scrape, concurrently with Run.
	Losses() Losses
	// Close releases the source and stops kernel monitoring if, and only
	// if, the source started it.
	Close() error
}

// OpenFunc opens a source; Run calls it to restart monitoring.
type OpenFunc func(ctx context.Context) (Source, error)

// EventKind says what happened to monitoring.
type EventKind int

// Event kinds.
const (
	// EventFailed: the running source failed with Err; it is closed and
	// will be reopened after Backoff.
	EventFailed EventKind = iota
	// EventReopenFailed: reopening failed with Err; the next try is after
	// Backoff.
	EventReopenFailed
	// EventRestarted: a new source runs, with Info.
	EventRestarted
	// EventStarted: the first source is attached, with Info: from now on
	// the metrics say monitoring is up.
	EventStarted
)

// Event is a change of the monitoring state, for the caller to log.
type Event struct {
	Kind    EventKind
	Err     error
	Info    Info
	Backoff time.Duration
}

// RunOptions tune Run.
type RunOptions struct {
	// MinBackoff and MaxBackoff bound the wait before reopening a failed
	// source; it doubles after every failed attempt and is reset once a
	// source has run for MaxBackoff. Zero means 1 s and 1 min.
	MinBackoff, MaxBackoff time.Duration
	// Notify, if set, is called on every Event.
	Notify func(Event)
}

// Run runs src, which the caller opened (so that it can report a failure to
// start as it likes), and after any failure closes it and reopens another
// with open, until ctx is done. It closes the last source before it returns
// nil. Drops go to the exporter's store, and its metrics say whether
// monitoring is up, which backend runs and how often it was restarted.
func (e *Exporter) Run(ctx context.Context, src Source, open OpenFunc, opts RunOptions) error {
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = time.Minute
	}
	opts.MaxBackoff = max(opts.MaxBackoff, opts.MinBackoff)
	notify := opts.Notify
	if notify == nil {
		notify = func(Event) {}
	}
	backoff := opts.MinBackoff
	first := true
	for {
		e.attach(src)
		if first {
			first = false
			notify(Event{Kind: EventStarted, Info: src.Info()})
		}
		began := time.Now()
		err := src.Run(ctx, e.Add)
		e.detach(src)
		cerr := src.Close()
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			err = errors.New("drop monitor stopped")
		}
		if time.Since(began) >= opts.MaxBackoff {
			backoff = opts.MinBackoff
		}
		notify(Event{Kind: EventFailed, Err: errors.Join(err, cerr), Backoff: backoff})
		for {
			if !sleep(ctx, backoff) {
				return nil
			}
			backoff = min(2*backoff, opts.MaxBackoff)
			var oerr error
			src, oerr = open(ctx)
			if oerr == nil {
				break
			}
			if ctx.Err() != nil {
				return nil
			}
			notify(Event{Kind: EventReopenFailed, Err: oerr, Backoff: backoff})
		}
		e.mu.Lock()
		e.restarts++
		e.mu.Unlock()
		notify(Event{Kind: EventRestarted, Info: src.Info()})
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
