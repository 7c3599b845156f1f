//go:build linux

package dropmon

import (
	"context"
	"errors"
)

var errTODO = errors.New("dropmon: not implemented yet")

const (
	cmdStart = 3
	cmdStop  = 4
)

type client struct {
	familyID uint16
	groupID  uint32
}

func newClient() (*client, error)                                        { return nil, errTODO }
func (c *client) Close() error                                           { return nil }
func (c *client) trace(ctx context.Context, cmd uint8, src Source) error { return errTODO }
func (c *client) setConfig(ctx context.Context, u ConfigUpdate) error    { return errTODO }
func (c *client) config(ctx context.Context) (*Config, error)            { return nil, errTODO }
func (c *client) stats(ctx context.Context) (*Stats, error)              { return nil, errTODO }
func (c *client) listen(cfg MonitorConfig) (*monitor, error)             { return nil, errTODO }

type monitor struct{}

func (m *monitor) receive(ctx context.Context) ([]Event, error) { return nil, errTODO }
func (m *monitor) statsSnapshot() MonitorStats                  { return MonitorStats{} }
func (m *monitor) socketDrops() (uint64, error)                 { return 0, errTODO }
func (m *monitor) close() error                                 { return nil }
