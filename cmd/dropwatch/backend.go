package main

import (
	"context"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
)

// backend is the kernel side of dropwatch: NET_DM through pkg/dropmon today,
// and later the skb:kfree_skb tracepoint for kernels without NET_DM. Tests
// replace it with a fake.
type backend interface {
	Start(ctx context.Context, src dropmon.Source) error
	Stop(ctx context.Context, src dropmon.Source) error
	SetConfig(ctx context.Context, u dropmon.ConfigUpdate) error
	Config(ctx context.Context) (*dropmon.Config, error)
	Stats(ctx context.Context) (*dropmon.Stats, error)
	// Listen opens a source of alerts. dropwatch opens one before each
	// START, so that no alert sent after the kernel's reply is missed.
	Listen() (eventSource, error)
	Close() error
}

// eventSource is a dropmon.Monitor.
type eventSource interface {
	Receive(ctx context.Context) ([]dropmon.Event, error)
	Stats() dropmon.MonitorStats
	SocketDrops() (uint64, error)
	Close() error
}

// Backend names accepted by --backend.
const (
	backendAuto       = "auto"
	backendNetDM      = "netdm"
	backendTracepoint = "tracepoint"
)

var backendNames = []string{backendAuto, backendNetDM, backendTracepoint}

// openBackend opens the backend --backend names. "auto" is NET_DM: a
// kernel without it gets the C tool's "Unable to find NET_DM family" and a
// hint to try the tracepoint, not a silent change of data source.
func openBackend(name string) (backend, error) {
	if name == backendTracepoint {
		return newTracepoint(), nil
	}
	c, err := dropmon.New()
	if err != nil {
		return nil, err
	}
	return netdm{c}, nil
}

// netdm adapts a dropmon.Client to backend.
type netdm struct{ *dropmon.Client }

func (n netdm) Listen() (eventSource, error) {
	m, err := n.Client.Listen(dropmon.MonitorConfig{})
	if err != nil {
		return nil, err
	}
	return m, nil
}
