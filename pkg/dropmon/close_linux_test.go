//go:build linux

package dropmon

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ctrlNotifyGroup is the generic netlink controller's "notify" multicast
// group, GENL_ID_CTRL's only group (net/netlink/genetlink.c): every kernel
// has it, unlike NET_DM's "events", so a test can join and leave it here.
const ctrlNotifyGroup = 0x10

// TestCloseLeavesNothingQueued: however a monitor ends, its socket is out
// of the group and its receive queue is empty when the last descriptor
// closes. A datagram still queued then is freed by skb_queue_purge
// (netlink_sock_destruct), i.e. by kfree_skb: a drop that every drop
// monitor on the host reports (seen on 6.12 as "1 drops at
// skb_queue_purge_reason+f8"). The test keeps a second descriptor of the
// socket, so that after close it can look at what close would have left
// for the kernel to purge; test/e2e's TestNoDropsOfOurOwn shows the drops
// themselves on real NET_DM kernels.
func TestCloseLeavesNothingQueued(t *testing.T) {
	msg := nlmsg(t, testFamilyID, cmdPacketAlert, nil)
	cases := []struct {
		name string
		run  func(t *testing.T, m *monitor, send func([]byte))
	}{
		{"alerts-queued", func(t *testing.T, m *monitor, send func([]byte)) {
			for range 5 {
				send(msg)
			}
		}},
		{"read-blocked", func(t *testing.T, m *monitor, send func([]byte)) {
			done := make(chan error, 1)
			go func() { _, err := m.receive(context.Background()); done <- err }()
			waitBlocked(t, m)
			if err := m.close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			if err := <-done; !errors.Is(err, os.ErrClosed) {
				t.Fatalf("blocked receive ended with %v, want os.ErrClosed", err)
			}
		}},
		{"context-cancelled", func(t *testing.T, m *monitor, send func([]byte)) {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { _, err := m.receive(ctx); done <- err }()
			waitBlocked(t, m)
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("receive ended with %v, want context.Canceled", err)
			}
			send(msg)
		}},
		{"alerts-after-read", func(t *testing.T, m *monitor, send func([]byte)) {
			send(msg)
			if _, err := m.receive(context.Background()); err != nil {
				t.Fatal(err)
			}
			send(msg)
			send(msg)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, send := testMonitor(t, MonitorConfig{})
			if err := m.control(func(fd int) error {
				return unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_ADD_MEMBERSHIP, ctrlNotifyGroup)
			}); err != nil {
				t.Fatalf("joining the controller's notify group: %v", err)
			}
			m.groupID = ctrlNotifyGroup
			var dup int
			var derr error
			if err := m.control(func(fd int) error { dup, derr = unix.Dup(fd); return derr }); err != nil {
				t.Fatal(err)
			}
			tc.run(t, m, send)
			if !m.closed.Load() {
				if err := m.close(); err != nil {
					t.Fatalf("close: %v", err)
				}
			}
			// Read what is left through the second descriptor, so that
			// closing it purges nothing either.
			left := 0
			buf := make([]byte, 1<<16)
			for {
				_, _, err := unix.Recvfrom(dup, buf, unix.MSG_DONTWAIT)
				if err != nil {
					break
				}
				left++
			}
			groups, err := unix.GetsockoptUint64(dup, unix.SOL_NETLINK, unix.NETLINK_LIST_MEMBERSHIPS)
			unix.Close(dup)
			if err != nil {
				t.Fatalf("NETLINK_LIST_MEMBERSHIPS: %v", err)
			}
			if left != 0 {
				t.Errorf("close left %d datagrams queued: the kernel would free each as a drop", left)
			}
			if groups != 0 {
				t.Errorf("close left the socket in groups %#x: alerts would still be queued", groups)
			}
		})
	}
}

// waitBlocked waits until a read holds the monitor and has had time to
// block in read(2).
func waitBlocked(t *testing.T, m *monitor) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for m.reading.TryLock() {
		m.reading.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("no read started")
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
}
