package main

import (
	"context"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
)

// kernel is what dwdump asks of the drop monitor: the subset of
// *dropmon.Client it uses, so that tests can stand in for the kernel.
type kernel interface {
	FamilyID() uint16
	SetConfig(context.Context, dropmon.ConfigUpdate) error
	Start(context.Context, dropmon.Source) error
	Stop(context.Context, dropmon.Source) error
	Config(context.Context) (*dropmon.Config, error)
	Stats(context.Context) (*dropmon.Stats, error)
	Listen(dropmon.MonitorConfig) (monitor, error)
	Close() error
}

// monitor is the subset of *dropmon.Monitor dwdump uses.
type monitor interface {
	AppendReceiveRaw(ctx context.Context, dst []byte) ([]byte, error)
	Stats() dropmon.MonitorStats
	SocketDrops() (uint64, error)
	Close() error
}

// dropmonKernel is the real kernel behind a *dropmon.Client.
type dropmonKernel struct{ *dropmon.Client }

func (k dropmonKernel) Listen(cfg dropmon.MonitorConfig) (monitor, error) {
	m, err := k.Client.Listen(cfg)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func openKernel() (kernel, error) {
	c, err := dropmon.New()
	if err != nil {
		return nil, err
	}
	return dropmonKernel{c}, nil
}
