//go:build !linux

package counters

import (
	"context"
	"fmt"
	"runtime"
)

// Reader takes snapshots; it works only on Linux.
type Reader struct{}

// New returns an error: the sources are Linux's.
func New(cfg Config) (*Reader, error) {
	return nil, fmt.Errorf("counters: not supported on %s/%s", runtime.GOOS, runtime.GOARCH)
}

// Close does nothing.
func (r *Reader) Close() error { return nil }

// Snapshot returns an error: the sources are Linux's.
func (r *Reader) Snapshot(ctx context.Context) (*Snapshot, error) {
	return nil, fmt.Errorf("counters: not supported on %s/%s", runtime.GOOS, runtime.GOARCH)
}
