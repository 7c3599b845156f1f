//go:build linux

package dropmon

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

const testFamilyID = 0x1c

var testFamily = genetlink.Family{
	ID:      testFamilyID,
	Version: 2,
	Name:    "NET_DM",
	Groups:  []genetlink.MulticastGroup{{ID: 1, Name: "events"}},
}

// request is what the fake kernel saw.
type request struct {
	Command uint8
	Flags   netlink.HeaderFlags
	Attrs   []netlink.Attribute
}

func testClient(t *testing.T, fn genltest.Func) (*Client, *[]request) {
	t.Helper()
	var seen []request
	conn := genltest.Dial(genltest.ServeFamily(testFamily, func(greq genetlink.Message, nreq netlink.Message) ([]genetlink.Message, error) {
		attrs, err := netlink.UnmarshalAttributes(greq.Data)
		if err != nil {
			t.Errorf("request attributes: %v", err)
		}
		for i := range attrs {
			attrs[i].Length = 0 // implied by Data
		}
		seen = append(seen, request{Command: greq.Header.Command, Flags: nreq.Header.Flags, Attrs: attrs})
		return fn(greq, nreq)
	}))
	c, err := initClient(conn)
	if err != nil {
		t.Fatalf("initClient: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &Client{c: c}, &seen
}

// ack answers an acknowledged request. genltest needs an explicit message:
// with none it treats the next receive as a multicast read.
func ack(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
	return []genetlink.Message{{}}, nil
}

func TestInitClient(t *testing.T) {
	c, _ := testClient(t, ack)
	if c.FamilyID() != testFamilyID || c.GroupID() != 1 {
		t.Errorf("family %#x group %d, want %#x 1", c.FamilyID(), c.GroupID(), testFamilyID)
	}
}

func TestInitClientFamilyMissing(t *testing.T) {
	conn := genltest.Dial(func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
		return nil, genltest.Error(int(unix.ENOENT))
	})
	defer conn.Close()
	_, err := initClient(conn)
	if !errors.Is(err, ErrFamilyNotFound) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("initClient error = %v, want ErrFamilyNotFound and os.ErrNotExist", err)
	}
}

func TestInitClientNoGroup(t *testing.T) {
	f := testFamily
	f.Groups = nil
	conn := genltest.Dial(genltest.ServeFamily(f, ack))
	defer conn.Close()
	if _, err := initClient(conn); err == nil {
		t.Fatal("initClient succeeded on a family without the events group")
	}
}

func flagAttr(typ uint16) netlink.Attribute { return netlink.Attribute{Type: typ, Data: []byte{}} }

func TestRequests(t *testing.T) {
	mode, trunc, queue := ModePacket, uint32(128), uint32(4000)
	ctx := context.Background()
	reqAck := netlink.Request | netlink.Acknowledge
	tests := []struct {
		name string
		call func(c *Client) error
		want []request
	}{
		{
			// With no source the kernel monitors software drops; like the C
			// tool we then send no flag at all.
			name: "start default", call: func(c *Client) error { return c.Start(ctx, 0) },
			want: []request{{Command: cmdStart, Flags: reqAck}},
		},
		{
			name: "start both", call: func(c *Client) error { return c.Start(ctx, SourceSoftware|SourceHardware) },
			want: []request{{Command: cmdStart, Flags: reqAck, Attrs: []netlink.Attribute{flagAttr(attrSWDrops), flagAttr(attrHWDrops)}}},
		},
		{
			name: "stop hardware", call: func(c *Client) error { return c.Stop(ctx, SourceHardware) },
			want: []request{{Command: cmdStop, Flags: reqAck, Attrs: []netlink.Attribute{flagAttr(attrHWDrops)}}},
		},
		{
			name: "config all", call: func(c *Client) error {
				return c.SetConfig(ctx, ConfigUpdate{Mode: &mode, TruncLen: &trunc, QueueLen: &queue})
			},
			want: []request{{Command: cmdConfig, Flags: reqAck, Attrs: []netlink.Attribute{
				{Type: attrAlertMode, Data: []byte{1}},
				{Type: attrTruncLen, Data: []byte{128, 0, 0, 0}},
				{Type: attrQueueLen, Data: []byte{0xa0, 0x0f, 0, 0}},
			}}},
		},
		{
			name: "config truncation only", call: func(c *Client) error { return c.SetConfig(ctx, ConfigUpdate{TruncLen: &trunc}) },
			want: []request{{Command: cmdConfig, Flags: reqAck, Attrs: []netlink.Attribute{{Type: attrTruncLen, Data: []byte{128, 0, 0, 0}}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, seen := testClient(t, ack)
			if err := tt.call(c); err != nil {
				t.Fatalf("call: %v", err)
			}
			if diff := cmp.Diff(tt.want, *seen, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigAndStats(t *testing.T) {
	c, seen := testClient(t, func(greq genetlink.Message, _ netlink.Message) ([]genetlink.Message, error) {
		ae := netlink.NewAttributeEncoder()
		var cmd uint8
		switch greq.Header.Command {
		case cmdConfigGet:
			cmd = cmdConfigNew
			ae.Uint8(attrAlertMode, 1)
			ae.Uint32(attrTruncLen, 0)
			ae.Uint32(attrQueueLen, 1000)
		case cmdStatsGet:
			cmd = cmdStatsNew
			ae.Nested(attrStats, func(nae *netlink.AttributeEncoder) error {
				nae.Uint64(attrStatsDropped, 42)
				return nil
			})
		}
		b, err := ae.Encode()
		return []genetlink.Message{{Header: genetlink.Header{Command: cmd}, Data: b}}, err
	})
	cfg, err := c.Config(context.Background())
	if err != nil {
		t.Fatalf("Config: %v", err)
	}
	if diff := cmp.Diff(&Config{Mode: ModePacket, QueueLen: 1000}, cfg); diff != "" {
		t.Errorf("Config mismatch (-want +got):\n%s", diff)
	}
	st, err := c.Stats(context.Background())
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if diff := cmp.Diff(&Stats{Software: &OriginStats{Dropped: 42}}, st); diff != "" {
		t.Errorf("Stats mismatch (-want +got):\n%s", diff)
	}
	// The C tool sends the queries without NLM_F_ACK; so do we.
	want := []request{{Command: cmdConfigGet, Flags: netlink.Request}, {Command: cmdStatsGet, Flags: netlink.Request}}
	if diff := cmp.Diff(want, *seen, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	mode := ModePacket
	calls := map[string]func(c *Client) error{
		"start":  func(c *Client) error { return c.Start(ctx, 0) },
		"stop":   func(c *Client) error { return c.Stop(ctx, 0) },
		"config": func(c *Client) error { return c.SetConfig(ctx, ConfigUpdate{Mode: &mode}) },
		"config get": func(c *Client) error {
			_, err := c.Config(ctx)
			return err
		},
		"stats get": func(c *Client) error {
			_, err := c.Stats(ctx)
			return err
		},
	}
	tests := []struct {
		op    string
		errno unix.Errno
		is    []error // errors.Is must hold for each
		isNot []error
	}{
		{op: "start", errno: unix.EPERM, is: []error{os.ErrPermission, unix.EPERM}, isNot: []error{ErrAlreadyMonitoring}},
		{op: "start", errno: unix.EAGAIN, is: []error{ErrAlreadyMonitoring, unix.EAGAIN}},
		{op: "start", errno: unix.EOPNOTSUPP, is: []error{errors.ErrUnsupported}},
		{op: "config", errno: unix.EBUSY, is: []error{ErrBusy}, isNot: []error{ErrAlreadyMonitoring}},
		{op: "config", errno: unix.EOPNOTSUPP, is: []error{errors.ErrUnsupported}},
		{op: "config", errno: unix.EPERM, is: []error{os.ErrPermission}},
		{op: "stop", errno: unix.EPERM, is: []error{os.ErrPermission}},
		{op: "config get", errno: unix.EINVAL, is: []error{unix.EINVAL}, isNot: []error{os.ErrPermission}},
		{op: "stats get", errno: unix.EOPNOTSUPP, is: []error{errors.ErrUnsupported}},
	}
	for _, tt := range tests {
		t.Run(tt.op+" "+tt.errno.Error(), func(t *testing.T) {
			c, _ := testClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
				return nil, genltest.Error(int(tt.errno))
			})
			err := calls[tt.op](c)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not *Error", err, err)
			}
			if e.Op != tt.op || e.Errno != tt.errno {
				t.Errorf("Error{Op: %q, Errno: %v}, want {%q, %v}", e.Op, e.Errno, tt.op, tt.errno)
			}
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = false, want true", err, target)
				}
			}
			for _, target := range tt.isNot {
				if errors.Is(err, target) {
					t.Errorf("errors.Is(%v, %v) = true, want false", err, target)
				}
			}
		})
	}
}

// Before Linux 5.4 stopping a stopped monitor answered EAGAIN, which means
// the monitor is stopped, as the caller wanted.
func TestStopEAGAINIsSuccess(t *testing.T) {
	c, _ := testClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
		return nil, genltest.Error(int(unix.EAGAIN))
	})
	if err := c.Stop(context.Background(), 0); err != nil {
		t.Fatalf("Stop: %v, want nil", err)
	}
}

func TestCanceledContext(t *testing.T) {
	c, _ := testClient(t, ack)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// The fake answers at once, so the call may succeed; it must not hang
	// or panic, and an error must be the context's.
	if err := c.Start(ctx, 0); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Start with canceled context: %v", err)
	}
}
