package dropmon

import (
	"context"
	"time"
)

// DefaultTimeout bounds every request whose context has no deadline.
const DefaultTimeout = 5 * time.Second

// Client sends requests to the kernel's drop monitor. Its methods are safe
// for concurrent use. Alerts are not received on a Client: open a Monitor.
type Client struct{ c *client }

// New resolves the NET_DM family and returns a Client. If the family is not
// registered (no CONFIG_NET_DROP_MONITOR, module not loaded and not
// auto-loadable, or not the initial network namespace) the error matches
// ErrFamilyNotFound and os.ErrNotExist.
func New() (*Client, error) {
	c, err := newClient()
	if err != nil {
		return nil, err
	}
	return &Client{c: c}, nil
}

// Close releases the client's socket. It does not stop monitoring.
func (c *Client) Close() error { return c.c.Close() }

// FamilyID returns the generic netlink family ID the kernel assigned NET_DM.
func (c *Client) FamilyID() uint16 { return c.c.familyID }

// GroupID returns the ID of the "events" multicast group (1 on every
// kernel, resolved by name all the same).
func (c *Client) GroupID() uint32 { return c.c.groupID }

// Start asks the kernel to start monitoring the given sources
// (NET_DM_CMD_START). If monitoring is already on, the error matches
// ErrAlreadyMonitoring. Without CAP_NET_ADMIN on 6.7+ kernels it matches
// os.ErrPermission.
func (c *Client) Start(ctx context.Context, src Source) error { return c.c.trace(ctx, cmdStart, src) }

// Stop asks the kernel to stop monitoring the given sources
// (NET_DM_CMD_STOP). On 5.4+ kernels stopping a monitor that is not running
// succeeds; on older ones it returns EAGAIN, which Stop treats as success.
func (c *Client) Stop(ctx context.Context, src Source) error { return c.c.trace(ctx, cmdStop, src) }

// SetConfig changes the kernel's configuration (NET_DM_CMD_CONFIG). While
// monitoring is on the error matches ErrBusy; before Linux 5.4 it matches
// errors.ErrUnsupported; without CAP_NET_ADMIN, os.ErrPermission.
func (c *Client) SetConfig(ctx context.Context, u ConfigUpdate) error { return c.c.setConfig(ctx, u) }

// Config returns the kernel's configuration (NET_DM_CMD_CONFIG_GET, 5.4+).
func (c *Client) Config(ctx context.Context) (*Config, error) { return c.c.config(ctx) }

// Stats returns the kernel's statistics (NET_DM_CMD_STATS_GET, 5.4+).
func (c *Client) Stats(ctx context.Context) (*Stats, error) { return c.c.stats(ctx) }

// MonitorConfig configures a Monitor.
type MonitorConfig struct {
	// ReadBuffer is the socket receive buffer in bytes. Zero means
	// DefaultReadBuffer. It is set with SO_RCVBUFFORCE when the process has
	// CAP_NET_ADMIN, otherwise with SO_RCVBUF, which net.core.rmem_max caps.
	ReadBuffer int
	// KeepRaw keeps each message's bytes in Event.Raw (for pcap output).
	KeepRaw bool
	// Hold, when positive, makes Receive and ReceiveRaw return an error
	// matching os.ErrDeadlineExceeded once Hold has passed since the first
	// datagram they returned after the last such error: a caller that
	// gathers alerts writes what it holds then, so that none waits longer.
	// Until a datagram comes there is nothing to report, and nothing is
	// timed: an idle monitor does not wake. Zero means Receive and
	// ReceiveRaw always wait for a datagram or the context's end.
	Hold time.Duration
	// Drained makes Receive and ReceiveRaw return the Hold error as soon
	// as no datagram is queued, once a datagram was returned since the
	// last such error: a caller writes what it holds before the monitor
	// waits. With Hold zero nothing is timed at all: a stream that never
	// pauses is for the caller to cut.
	Drained bool
}

// DefaultReadBuffer is large enough for a full per-CPU packet-alert queue
// (1000 alerts of about 200 bytes of truncated packet, plus overhead) on
// several CPUs.
const DefaultReadBuffer = 32 << 20

// MonitorStats counts what a Monitor has seen and lost.
type MonitorStats struct {
	Messages  uint64 // messages received
	Summaries uint64 // summary alerts
	Packets   uint64 // packet alerts
	// FullSummaries counts summary alerts carrying MaxSummaryPoints
	// locations, after which the kernel ignores new locations until the
	// alert is sent.
	FullSummaries uint64
	// Overruns counts ENOBUFS errors: the socket buffer overflowed and the
	// kernel discarded alerts. The kernel reports an overflow once per
	// episode, so this is not the number of alerts lost; SocketDrops is.
	Overruns uint64
	// Malformed counts messages that could not be decoded.
	Malformed uint64
	// Ignored counts messages of other commands or families.
	Ignored uint64
}

// Monitor receives alerts on a socket of its own, joined to the "events"
// multicast group. Alerts are multicast to every listener whoever started
// monitoring, so a Monitor can watch beside another tool.
type Monitor struct{ m *monitor }

// Listen opens a Monitor. Joining the group needs CAP_SYS_ADMIN on 6.7+
// kernels; the error then matches os.ErrPermission.
func (c *Client) Listen(cfg MonitorConfig) (*Monitor, error) {
	m, err := c.c.listen(cfg)
	if err != nil {
		return nil, err
	}
	return &Monitor{m: m}, nil
}

// Receive blocks until at least one message arrives, ctx is done, the
// monitor's Hold time passes (or, Drained, the socket has nothing more),
// or the socket fails. A done context ends a
// blocked Receive at once, as Close does. It returns the messages of
// one datagram as Events; a message that cannot be decoded is an Event
// with Err set. ENOBUFS (alerts lost to a full socket buffer) is counted in
// Stats and receiving goes on. When ctx is done Receive returns ctx.Err().
//
// The Events and their byte slices belong to the caller.
func (m *Monitor) Receive(ctx context.Context) ([]Event, error) { return m.m.receive(ctx) }

// ReceiveRaw is Receive without decoding: it returns the next datagram as
// the kernel sent it (one or more whole netlink messages), for callers that
// only store alerts, as dwdump does. ENOBUFS is counted and skipped as by
// Receive. A Monitor is read with Receive or ReceiveRaw, not both at once.
func (m *Monitor) ReceiveRaw(ctx context.Context) ([]byte, error) {
	return m.m.appendReceiveRaw(ctx, nil)
}

// AppendReceiveRaw is ReceiveRaw that appends the datagram to dst and
// returns the extended slice, so that a caller that only copies each
// datagram on (dwdump writes it to a pcap buffer) can reuse one buffer
// instead of leaving a copy per alert for the garbage collector.
func (m *Monitor) AppendReceiveRaw(ctx context.Context, dst []byte) ([]byte, error) {
	return m.m.appendReceiveRaw(ctx, dst)
}

// Stats returns the monitor's counters.
func (m *Monitor) Stats() MonitorStats { return m.m.statsSnapshot() }

// SocketDrops returns the exact number of messages the kernel discarded
// because this monitor's socket buffer was full: the Drops column of
// /proc/net/netlink for the socket's inode.
func (m *Monitor) SocketDrops() (uint64, error) { return m.m.socketDrops() }

// Close leaves the group, ends a blocked Receive, reads what is still
// queued and closes the socket: a netlink socket closed with datagrams
// queued has the kernel free them as drops (skb_queue_purge), which every
// drop monitor on the host would report.
func (m *Monitor) Close() error { return m.m.close() }
