package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
)

// backend is the kernel side of dropwatch: NET_DM through pkg/dropmon, or
// the skb:kfree_skb tracepoint for kernels without NET_DM. Tests replace it
// with a fake.
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

// stackSource is an eventSource that knows the kernel call chain of each
// packet alert of its last Receive (the tracepoint with --stack): one
// entry per event, nil where there is none.
type stackSource interface {
	lastStacks() [][]uint64
}

// Backend names accepted by --backend.
const (
	backendAuto       = "auto"
	backendNetDM      = "netdm"
	backendTracepoint = "tracepoint"
)

var backendNames = []string{backendAuto, backendNetDM, backendTracepoint}

// backends opens the two backends; tests replace them.
type backends struct {
	// netdm resolves the NET_DM family; its error matches os.ErrNotExist
	// when the family is missing.
	netdm func() (backend, error)
	// tracepoint opens skb:kfree_skb once to check that it can be used.
	tracepoint func(stacks bool) (backend, error)
	// diagnose explains a missing NET_DM family.
	diagnose func() dropmon.Diagnosis
}

var realBackends = backends{
	netdm: func() (backend, error) {
		c, err := dropmon.New()
		if err != nil {
			return nil, err
		}
		return &netdm{Client: c}, nil
	},
	tracepoint: func(stacks bool) (backend, error) {
		tp := newTracepoint(stacks)
		if err := tp.probe(); err != nil {
			return nil, err
		}
		return tp, nil
	},
	diagnose: dropmon.Diagnose,
}

// selectBackend opens the backend --backend names and returns it with its
// name, or prints why none can run and returns the exit status.
//
// auto is NET_DM when the family exists, as the C tool, else the
// tracepoint, with one line on stderr saying so. netdm keeps the C tool's
// failure: its two lines on stdout and exit 1, which scripts test for.
func selectBackend(b backends, name string, stacks bool, stdout, stderr io.Writer) (backend, string, int) {
	if name == backendTracepoint {
		be, err := b.tracepoint(stacks)
		if err != nil {
			fmt.Fprintln(stderr, tracepointUnusable(err))
			return nil, "", 1
		}
		return be, backendTracepoint, 0
	}
	be, err := b.netdm()
	switch {
	case err == nil:
		return be, backendNetDM, 0
	case !errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(stderr, "dropwatch: %v\n", err)
		return nil, "", 1
	}
	d := b.diagnose()
	if name == backendAuto {
		be, tpErr := b.tracepoint(stacks)
		if tpErr == nil {
			fmt.Fprintf(stderr, "dropwatch: no NET_DM family (%s); using the skb:kfree_skb tracepoint\n", shortCause(d))
			return be, backendTracepoint, 0
		}
		err = tpErr
	}
	fmt.Fprintln(stdout, msgNoFamily)
	fmt.Fprintln(stdout, msgSocketCleanup)
	fmt.Fprint(stderr, noFamilyHelp(d))
	if name == backendAuto {
		fmt.Fprintln(stderr, tracepointUnusable(err))
	} else {
		fmt.Fprint(stderr, tryTracepoint)
	}
	return nil, "", 1
}

// netdm adapts a dropmon.Client to backend.
type netdm struct {
	*dropmon.Client
	// keepRaw keeps each alert's netlink message, for -w.
	keepRaw bool
}

func (n *netdm) Listen() (eventSource, error) {
	m, err := n.Client.Listen(dropmon.MonitorConfig{KeepRaw: n.keepRaw, Idle: holdFor})
	if err != nil {
		return nil, err
	}
	return netdmSource{m}, nil
}

// holdFor is how long the receiving goroutine may gather NET_DM alerts
// before it hands them to the printer, and how long the monitor waits
// before saying it is idle. The kernel sends each packet alert in a
// datagram of its own; handing each over on its own woke the printer and
// wrote once per alert, where the C tool's stdio writes a file in 4 KiB
// blocks (docs/benchmarks.md). A tenth of a second is not noticed by a
// person watching, and on a tty the C tool's line buffering has no
// advantage over it that a script could see.
const holdFor = 100 * time.Millisecond

// holdText is how much text the receiving goroutine gathers at most
// before it hands a batch over, whatever its age.
const holdText = 32 << 10

// idleSource is an eventSource whose Receive returns an error matching
// os.ErrDeadlineExceeded once nothing has come for holdFor, so that the
// receiving goroutine may hold alerts: it hands them over at the latest
// then.
type idleSource interface {
	eventSource
	idles()
}

// netdmSource is a dropmon.Monitor opened with Idle: holdFor.
type netdmSource struct{ *dropmon.Monitor }

func (netdmSource) idles() {}
