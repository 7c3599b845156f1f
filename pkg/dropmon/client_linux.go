//go:build linux

package dropmon

import (
	"context"
	"errors"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// client is the Linux implementation of Client: one generic netlink socket
// for requests and their replies. Alerts never arrive on it, since it does
// not join the multicast group: a multicast alert between a request and its
// acknowledgement would break netlink's sequence validation.
type client struct {
	mu       sync.Mutex // serializes requests: deadlines are per socket
	conn     *genetlink.Conn
	dial     func() (*genetlink.Conn, error)
	familyID uint16
	version  uint8
	groupID  uint32
}

func newClient() (*client, error) {
	dial := func() (*genetlink.Conn, error) {
		conn, err := genetlink.Dial(nil)
		if err != nil {
			return nil, err
		}
		// Best effort, as mdlayher/wifi does: extended acknowledgements carry
		// the kernel's reason text ("Cannot configure drop monitor during
		// monitoring"); kernels without them ignore the option.
		_ = conn.SetOption(netlink.ExtendedAcknowledge, true)
		return conn, nil
	}
	conn, err := dial()
	if err != nil {
		return nil, &Error{Op: "dial", Err: err}
	}
	c, err := initClient(conn)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	c.dial = dial
	return c, nil
}

// initClient resolves the family and its group on conn; tests call it with
// a genltest connection.
func initClient(conn *genetlink.Conn) (*client, error) {
	f, err := conn.GetFamily(familyName)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &Error{Op: "resolve family", Errno: unix.ENOENT, Err: ErrFamilyNotFound}
		}
		return nil, wrapErr("resolve family", err)
	}
	c := &client{conn: conn, familyID: f.ID, version: f.Version}
	for _, g := range f.Groups {
		if g.Name == groupName {
			c.groupID = g.ID
		}
	}
	if c.groupID == 0 {
		return nil, &Error{Op: "resolve family", Err: errors.New(`NET_DM family has no "events" multicast group`)}
	}
	return c, nil
}

func (c *client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil
	}
	err := c.conn.Close()
	c.conn = nil
	return err
}

// execute sends one request and returns its replies. It bounds the
// exchange by ctx or DefaultTimeout: the C tool blocks forever when a reply
// never comes (a failed STOP, an error reply to CONFIG_GET).
func (c *client) execute(ctx context.Context, op string, cmd uint8, flags netlink.HeaderFlags, data []byte) ([]genetlink.Message, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		if c.dial == nil {
			return nil, &Error{Op: op, Err: errors.New("client is closed")}
		}
		conn, err := c.dial()
		if err != nil {
			return nil, &Error{Op: op, Err: err}
		}
		c.conn = conn
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultTimeout)
	}
	// A socket of the genltest fake does not support deadlines; the real
	// one always does.
	_ = c.conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Unix(1, 0)) })
	msgs, err := c.conn.Execute(genetlink.Message{
		Header: genetlink.Header{Command: cmd, Version: c.version},
		Data:   data,
	}, c.familyID, netlink.Request|flags)
	stop()
	if err == nil {
		_ = c.conn.SetDeadline(time.Time{})
		return msgs, nil
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// A reply may still arrive and would be taken for the answer to the
		// next request: start over on a fresh socket.
		if c.dial != nil {
			_ = c.conn.Close()
			c.conn = nil
		}
		if ctx.Err() != nil {
			return nil, &Error{Op: op, Err: ctx.Err()}
		}
		return nil, &Error{Op: op, Err: ErrTimeout}
	}
	return nil, wrapErr(op, err)
}

// wrapErr turns a netlink error into *Error, keeping the errno and the
// kernel's extended acknowledgement message.
func wrapErr(op string, err error) error {
	e := &Error{Op: op, Err: err}
	var oe *netlink.OpError
	if errors.As(err, &oe) {
		e.Message = oe.Message
		e.Err = oe.Err
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		e.Errno = errno
	}
	return e
}

func sourceAttrs(src Source) ([]byte, error) {
	ae := netlink.NewAttributeEncoder()
	if src&SourceSoftware != 0 {
		ae.Flag(attrSWDrops, true)
	}
	if src&SourceHardware != 0 {
		ae.Flag(attrHWDrops, true)
	}
	return ae.Encode()
}

func (c *client) trace(ctx context.Context, cmd uint8, src Source) error {
	op := "start"
	if cmd == cmdStop {
		op = "stop"
	}
	data, err := sourceAttrs(src)
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	_, err = c.execute(ctx, op, cmd, netlink.Acknowledge, data)
	// Before Linux 5.4 STOP of a stopped monitor answered EAGAIN
	// (net_dm_trace_on_set); it means what the caller wanted is the case.
	if cmd == cmdStop && errors.Is(err, unix.EAGAIN) {
		return nil
	}
	return err
}

func (c *client) setConfig(ctx context.Context, u ConfigUpdate) error {
	ae := netlink.NewAttributeEncoder()
	if u.Mode != nil {
		ae.Uint8(attrAlertMode, uint8(*u.Mode))
	}
	if u.TruncLen != nil {
		ae.Uint32(attrTruncLen, *u.TruncLen)
	}
	if u.QueueLen != nil {
		ae.Uint32(attrQueueLen, *u.QueueLen)
	}
	data, err := ae.Encode()
	if err != nil {
		return &Error{Op: "config", Err: err}
	}
	_, err = c.execute(ctx, "config", cmdConfig, netlink.Acknowledge, data)
	return err
}

func (c *client) config(ctx context.Context) (*Config, error) {
	return query(c, ctx, "config get", cmdConfigGet, cmdConfigNew, DecodeConfig)
}

func (c *client) stats(ctx context.Context) (*Stats, error) {
	return query(c, ctx, "stats get", cmdStatsGet, cmdStatsNew, DecodeStats)
}

// query sends a GET command and decodes its reply. CONFIG_GET and STATS_GET
// are sent without NLM_F_ACK, as the C tool sends them: the kernel answers
// with one message, or with an error message on failure.
func query[T any](c *client, ctx context.Context, op string, cmd, want uint8, decode func([]byte) (*T, error)) (*T, error) {
	msgs, err := c.execute(ctx, op, cmd, 0, nil)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if m.Header.Command == want {
			v, err := decode(m.Data)
			if err != nil {
				return nil, &Error{Op: op, Err: err}
			}
			return v, nil
		}
	}
	return nil, &Error{Op: op, Err: malformed("no reply of command %d among %d messages", want, len(msgs))}
}
