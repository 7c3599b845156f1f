//go:build !linux

package nlpcap

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

// FetchFamily asks the kernel for a generic netlink family; netlink exists
// only on Linux, so elsewhere it fails with an error matching
// errors.ErrUnsupported.
func FetchFamily(ctx context.Context, name string) ([]byte, error) {
	return nil, fmt.Errorf("nlpcap: fetching family %q on %s: %w", name, runtime.GOOS, errors.ErrUnsupported)
}
