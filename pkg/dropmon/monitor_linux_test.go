//go:build linux

package dropmon

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/netlink"
	"github.com/mdlayher/socket"
	"golang.org/x/sys/unix"
)

// testMonitor is a monitor on a real NETLINK_GENERIC socket that joins no
// group (this machine's kernel has no NET_DM), and a function that sends
// it a datagram from a second socket. Netlink unicast between user sockets
// needs CAP_NET_ADMIN (netlink_sendmsg in net/netlink/af_netlink.c).
func testMonitor(t *testing.T, keepRaw bool) (*monitor, func(b []byte)) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("netlink unicast between user sockets needs CAP_NET_ADMIN: run as root (CI does)")
	}
	open := func() (*socket.Conn, uint32) {
		c, err := socket.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_GENERIC, "netlink", nil)
		if err != nil {
			t.Fatalf("socket: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		if err := c.Bind(&unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
			t.Fatalf("bind: %v", err)
		}
		sa, err := c.Getsockname()
		if err != nil {
			t.Fatalf("getsockname: %v", err)
		}
		return c, sa.(*unix.SockaddrNetlink).Pid
	}
	conn, pid := open()
	sender, _ := open()
	m := &monitor{conn: conn, familyID: testFamilyID, keepRaw: keepRaw, buf: make([]byte, recvBufferLen)}
	send := func(b []byte) {
		t.Helper()
		if err := sender.Sendto(context.Background(), b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Pid: pid}); err != nil {
			t.Fatalf("sendto: %v", err)
		}
	}
	return m, send
}

func TestMonitorReceive(t *testing.T) {
	m, send := testMonitor(t, true)
	summary := nlmsg(t, testFamilyID, cmdAlert, encode(t, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(attrUnspec, alertMsg(1, DropPoint{PC: 0xffffffff81000010, Count: 4}))
	}))
	other := nlmsg(t, testFamilyID+1, cmdAlert, nil)
	bad := nlmsg(t, testFamilyID, cmdAlert, []byte{4, 0, 0, 0})
	// Another family's message and a NET_DM command we do not decode are
	// ignored; a datagram of nothing but those yields no events.
	send(other)
	send(nlmsg(t, testFamilyID, cmdConfigNew, nil))
	send(append(append([]byte(nil), bad...), summary...))

	evs, err := m.receive(context.Background())
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	if len(evs) != 2 || !errors.Is(evs[0].Err, ErrMalformed) {
		t.Fatalf("events %+v: want a malformed message, then the summary", evs)
	}
	want := Event{Alert: &Alert{Points: []DropPoint{{PC: 0xffffffff81000010, Count: 4}}}, Raw: summary}
	if diff := cmp.Diff(want, evs[1]); diff != "" {
		t.Errorf("summary event mismatch (-want +got):\n%s", diff)
	}
	wantStats := MonitorStats{Messages: 4, Summaries: 1, Malformed: 1, Ignored: 2}
	if diff := cmp.Diff(wantStats, m.statsSnapshot()); diff != "" {
		t.Errorf("stats mismatch (-want +got):\n%s", diff)
	}

	send(summary)
	raw, err := m.receiveRaw(context.Background())
	if err != nil || !cmp.Equal(raw, summary) {
		t.Errorf("receiveRaw = %x, %v; want %x", raw, err, summary)
	}
}

// A context's end unblocks a read, and the next context starts afresh: the
// deadline the first one set must not end reads under the second.
func TestMonitorCancel(t *testing.T) {
	m, send := testMonitor(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := m.receive(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("receive after cancel: %v, want context.Canceled", err)
	}
	if _, err := m.receive(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("receive on the canceled context again: %v", err)
	}

	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	msg := nlmsg(t, testFamilyID, cmdPacketAlert, encode(t, func(ae *netlink.AttributeEncoder) { ae.Uint64(attrPC, 7) }))
	send(msg)
	evs, err := m.receive(ctx2)
	if err != nil || len(evs) != 1 || evs[0].Packet == nil || evs[0].Packet.PC != 7 {
		t.Fatalf("receive on a new context = %+v, %v; want the packet alert", evs, err)
	}
	if err := m.close(); err != nil {
		t.Errorf("close: %v", err)
	}
}
