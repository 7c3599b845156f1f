//go:build !linux

package dropmon

import (
	"context"
	"fmt"
	"runtime"
)

var errUnsupported = fmt.Errorf("dropmon: not supported on %s/%s", runtime.GOOS, runtime.GOARCH)

type client struct {
	familyID uint16
	groupID  uint32
}

type monitor struct{}

func newClient() (*client, error)                                        { return nil, errUnsupported }
func (c *client) Close() error                                           { return errUnsupported }
func (c *client) trace(ctx context.Context, cmd uint8, src Source) error { return errUnsupported }
func (c *client) setConfig(ctx context.Context, u ConfigUpdate) error    { return errUnsupported }
func (c *client) config(ctx context.Context) (*Config, error)            { return nil, errUnsupported }
func (c *client) stats(ctx context.Context) (*Stats, error)              { return nil, errUnsupported }
func (c *client) listen(cfg MonitorConfig) (*monitor, error)             { return nil, errUnsupported }
func (m *monitor) receive(ctx context.Context) ([]Event, error)          { return nil, errUnsupported }
func (m *monitor) appendReceiveRaw(ctx context.Context, dst []byte) ([]byte, error) {
	return dst, errUnsupported
}
func (m *monitor) statsSnapshot() MonitorStats  { return MonitorStats{} }
func (m *monitor) socketDrops() (uint64, error) { return 0, errUnsupported }
func (m *monitor) close() error                 { return errUnsupported }
