//go:build !linux

package skbtrace

import (
	"context"
	"errors"
)

// tracer is a stand-in: perf events and tracepoints exist only on Linux.
type tracer struct{ info }

func unsupported(op string) error {
	return &Error{Op: op, Err: errors.ErrUnsupported, Hint: "skb:kfree_skb tracing needs Linux"}
}

func openTracer(Options) (*tracer, error) { return nil, unsupported("open") }

func (t *tracer) read(context.Context) ([]Drop, error) { return nil, unsupported("read") }

func (t *tracer) close() error { return nil }

func (t *tracer) disable() error { return nil }

func (t *tracer) stats() Stats { return t.counters.snapshot() }
