package drops

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
)

// Kernel is the kernel side of a drop source: NET_DM through pkg/dropmon,
// or the skb:kfree_skb tracepoint for kernels without NET_DM. Tests replace
// it with a fake (Backends).
type Kernel interface {
	Start(ctx context.Context, src dropmon.Source) error
	Stop(ctx context.Context, src dropmon.Source) error
	SetConfig(ctx context.Context, u dropmon.ConfigUpdate) error
	Config(ctx context.Context) (*dropmon.Config, error)
	Stats(ctx context.Context) (*dropmon.Stats, error)
	// Listen opens a source of alerts. The engine opens one before each
	// START, so that no alert sent after the kernel's reply is missed.
	Listen() (Events, error)
	Close() error
}

// Events is an open source of alerts: a dropmon.Monitor, or the
// tracepoint's imitation of one. Receive returns the messages of one
// datagram.
type Events interface {
	Receive(ctx context.Context) ([]dropmon.Event, error)
	Stats() dropmon.MonitorStats
	SocketDrops() (uint64, error)
	Close() error
}

// IdleEvents is an Events whose Receive returns an error matching
// os.ErrDeadlineExceeded when it has nothing more queued after returning
// alerts, so that the receiving goroutine may gather the alerts that came
// together: it hands them over then, or once they are HoldFor old.
type IdleEvents interface {
	Events
	Idles()
}

// StackEvents is an Events that knows the kernel call chain of each packet
// alert of its last Receive (the tracepoint with stacks): one entry per
// event, nil where there is none.
type StackEvents interface {
	LastStacks() [][]uint64
}

// TaskEvents is an Events that knows the task of each packet alert of its
// last Receive (the tracepoint in packet mode): one entry per event.
type TaskEvents interface {
	LastTasks() []Task
}

// Backend names.
const (
	BackendAuto       = "auto"
	BackendNetDM      = "netdm"
	BackendTracepoint = "tracepoint"
)

// Backends opens the two backends; tests replace them.
type Backends struct {
	// NetDM resolves the NET_DM family; its error matches os.ErrNotExist
	// when the family is missing.
	NetDM func() (Kernel, error)
	// Tracepoint opens skb:kfree_skb once to check that it can be used.
	Tracepoint func(stacks bool) (Kernel, error)
	// Diagnose explains a missing NET_DM family.
	Diagnose func() dropmon.Diagnosis
}

// DefaultBackends are the running kernel's.
func DefaultBackends() Backends {
	return Backends{
		NetDM: func() (Kernel, error) {
			c, err := dropmon.New()
			if err != nil {
				return nil, err
			}
			return &netdm{Client: c}, nil
		},
		Tracepoint: func(stacks bool) (Kernel, error) {
			tp := newTracepoint(stacks)
			if err := tp.probe(); err != nil {
				return nil, err
			}
			return tp, nil
		},
		Diagnose: dropmon.Diagnose,
	}
}

// NoNetDMError is Open's error when the kernel has no NET_DM family and no
// tracepoint was opened instead. It matches os.ErrNotExist.
type NoNetDMError struct {
	// Diagnosis is why the family is missing, as far as dropmon.Diagnose
	// can tell.
	Diagnosis dropmon.Diagnosis
	// Err is NET_DM's error.
	Err error
	// Tracepoint is why the tracepoint could not be used instead (auto);
	// nil when it was not tried (netdm).
	Tracepoint error
}

func (e *NoNetDMError) Error() string {
	if e.Tracepoint != nil {
		return fmt.Sprintf("no NET_DM family (%v), and the skb:kfree_skb tracepoint: %v", e.Err, e.Tracepoint)
	}
	return fmt.Sprintf("no NET_DM family: %v", e.Err)
}

func (e *NoNetDMError) Unwrap() error { return e.Err }

// open opens the backend name selects: auto is NET_DM when the family
// exists, else the tracepoint, with the diagnosis of the missing family.
func open(b Backends, name string, stacks bool) (Kernel, string, *dropmon.Diagnosis, error) {
	switch name {
	case BackendTracepoint:
		k, err := b.Tracepoint(stacks)
		if err != nil {
			return nil, "", nil, err
		}
		return k, BackendTracepoint, nil, nil
	case BackendAuto, BackendNetDM:
	default:
		return nil, "", nil, fmt.Errorf("unknown backend %q: want %s, %s or %s", name, BackendAuto, BackendNetDM, BackendTracepoint)
	}
	k, err := b.NetDM()
	switch {
	case err == nil:
		return k, BackendNetDM, nil, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, "", nil, err
	}
	nerr := &NoNetDMError{Diagnosis: b.Diagnose(), Err: err}
	if name == BackendAuto {
		k, tpErr := b.Tracepoint(stacks)
		if tpErr == nil {
			return k, BackendTracepoint, &nerr.Diagnosis, nil
		}
		nerr.Tracepoint = tpErr
	}
	return nil, "", nil, nerr
}

// netdm adapts a dropmon.Client to Kernel.
type netdm struct {
	*dropmon.Client
	// keepRaw keeps each alert's netlink message (Options.KeepRaw).
	keepRaw bool
}

func (n *netdm) Listen() (Events, error) {
	m, err := n.Client.Listen(dropmon.MonitorConfig{KeepRaw: n.keepRaw, Drained: true})
	if err != nil {
		return nil, err
	}
	return netdmEvents{m}, nil
}

// HoldFor is how long the receiving goroutine may gather NET_DM alerts
// that keep coming before it hands them over. It hands over what it
// holds as soon as the monitor's socket is empty (dropmon's Drained),
// so a trickle of alerts is printed as each comes, with no timer to
// wake the process; a stream that does not pause is cut into tenths of a
// second, and one write each, where the C tool's stdio writes a file in
// 4 KiB blocks (docs/benchmarks.md).
const HoldFor = 100 * time.Millisecond

// holdRecords is how many records the receiving goroutine gathers at most
// before it hands a batch over, whatever its age: about 32 KiB of the C
// tool's text.
const holdRecords = 128

// netdmEvents is a dropmon.Monitor opened with Drained.
type netdmEvents struct{ *dropmon.Monitor }

func (netdmEvents) Idles() {}
