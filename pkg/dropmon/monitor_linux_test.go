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
func testMonitor(t *testing.T, cfg MonitorConfig) (*monitor, func(b []byte)) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("netlink unicast between user sockets needs CAP_NET_ADMIN: run as root (CI does)")
	}
	m, err := openMonitor(cfg)
	if err != nil {
		t.Fatalf("openMonitor: %v", err)
	}
	t.Cleanup(func() { m.close() })
	m.familyID = testFamilyID
	var pid uint32
	rc, err := m.f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	rc.Control(func(fd uintptr) {
		sa, err := unix.Getsockname(int(fd))
		if err != nil {
			t.Fatalf("getsockname: %v", err)
		}
		pid = sa.(*unix.SockaddrNetlink).Pid
	})
	sender, err := socket.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_GENERIC, "netlink", nil)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	t.Cleanup(func() { sender.Close() })
	if err := sender.Bind(&unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		t.Fatalf("bind: %v", err)
	}
	send := func(b []byte) {
		t.Helper()
		if err := sender.Sendto(context.Background(), b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Pid: pid}); err != nil {
			t.Fatalf("sendto: %v", err)
		}
	}
	return m, send
}

func TestMonitorReceive(t *testing.T) {
	m, send := testMonitor(t, MonitorConfig{KeepRaw: true})
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
	raw, err := m.appendReceiveRaw(context.Background(), nil)
	if err != nil || !cmp.Equal(raw, summary) {
		t.Errorf("receiveRaw = %x, %v; want %x", raw, err, summary)
	}
}

// AppendReceiveRaw appends each datagram to the buffer it is given and
// leaves it as it was on an error.
func TestMonitorAppendReceiveRaw(t *testing.T) {
	m, send := testMonitor(t, MonitorConfig{})
	mon := &Monitor{m: m}
	first := nlmsg(t, testFamilyID, cmdPacketAlert, encode(t, func(ae *netlink.AttributeEncoder) { ae.Uint64(attrPC, 1) }))
	second := nlmsg(t, testFamilyID, cmdPacketAlert, encode(t, func(ae *netlink.AttributeEncoder) { ae.Uint64(attrPC, 2) }))
	send(first)
	send(second)
	buf := []byte("kept")
	buf, err := mon.AppendReceiveRaw(context.Background(), buf)
	if err != nil || !cmp.Equal(buf, append([]byte("kept"), first...)) {
		t.Fatalf("first AppendReceiveRaw = %x, %v", buf, err)
	}
	buf, err = mon.AppendReceiveRaw(context.Background(), buf[:0])
	if err != nil || !cmp.Equal(buf, second) {
		t.Fatalf("second AppendReceiveRaw into the same buffer = %x, %v; want %x", buf, err, second)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := mon.AppendReceiveRaw(ctx, buf)
	if !errors.Is(err, context.Canceled) || !cmp.Equal(got, second) {
		t.Errorf("AppendReceiveRaw on a done context = %x, %v; want the buffer unchanged and context.Canceled", got, err)
	}
	if st := m.statsSnapshot(); st.Messages != 2 {
		t.Errorf("Messages = %d, want 2", st.Messages)
	}
}

// A context's end unblocks a read, and the next context starts afresh: the
// deadline the first one set must not end reads under the second.
func TestMonitorCancel(t *testing.T) {
	m, send := testMonitor(t, MonitorConfig{})
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

// With Hold set, a read returns os.ErrDeadlineExceeded once Hold has
// passed since the first datagram returned after the last such error,
// however many came since; it times nothing while nothing is held: before
// the first datagram, and after the report until the next one.
func TestMonitorHold(t *testing.T) {
	const hold = 300 * time.Millisecond
	m, send := testMonitor(t, MonitorConfig{Hold: hold})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	msg := nlmsg(t, testFamilyID, cmdPacketAlert, encode(t, func(ae *netlink.AttributeEncoder) { ae.Uint64(attrPC, 9) }))

	// Nothing held: the read waits for the context's end.
	short, stop := context.WithTimeout(ctx, 2*hold)
	defer stop()
	if _, err := m.receive(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("receive with nothing sent: %v, want the context's end", err)
	}

	for round := range 2 {
		send(msg)
		evs, err := m.receive(ctx)
		if err != nil || len(evs) != 1 || evs[0].Packet == nil || evs[0].Packet.PC != 9 {
			t.Fatalf("round %d: first receive = %+v, %v; want the packet alert", round, evs, err)
		}
		first := time.Now()
		// A datagram within the hold does not move its end.
		time.Sleep(hold / 3)
		send(msg)
		if _, err := m.appendReceiveRaw(ctx, nil); err != nil {
			t.Fatalf("round %d: second receive: %v", round, err)
		}
		_, err = m.appendReceiveRaw(ctx, nil)
		held := time.Since(first)
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("round %d: receive after the datagrams: %v, want os.ErrDeadlineExceeded", round, err)
		}
		if held < hold {
			t.Errorf("round %d: the hold was reported %v after its first datagram, before its %v", round, held, hold)
		}
		// Reported once: the next read waits again.
		short, stop := context.WithTimeout(ctx, 2*hold)
		if _, err := m.receive(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("round %d: receive after the report: %v, want the context's end", round, err)
		}
		stop()
	}
}

// With Drained, a read reports the Hold error as soon as the socket is
// empty after datagrams were returned, and only then: every datagram
// queued comes first, and with nothing held the read waits.
func TestMonitorDrained(t *testing.T) {
	m, send := testMonitor(t, MonitorConfig{Drained: true})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	short, stop := context.WithTimeout(ctx, 200*time.Millisecond)
	defer stop()
	if _, err := m.receive(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("receive with nothing sent: %v, want the context's end", err)
	}
	for round := range 2 {
		for pc := range uint64(3) {
			send(nlmsg(t, testFamilyID, cmdPacketAlert, encode(t, func(ae *netlink.AttributeEncoder) { ae.Uint64(attrPC, pc) })))
		}
		var got []uint64
		for {
			evs, err := m.receive(ctx)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			if err != nil || len(evs) != 1 || evs[0].Packet == nil {
				t.Fatalf("round %d: receive = %+v, %v", round, evs, err)
			}
			got = append(got, evs[0].Packet.PC)
		}
		if diff := cmp.Diff([]uint64{0, 1, 2}, got); diff != "" {
			t.Errorf("round %d: alerts before the drained report (-want +got):\n%s", round, diff)
		}
		short, stop := context.WithTimeout(ctx, 200*time.Millisecond)
		if _, err := m.receive(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("round %d: receive after the report: %v, want the context's end", round, err)
		}
		stop()
	}
	if !m.deadline.IsZero() {
		t.Errorf("read deadline %v: Drained without Hold times nothing", m.deadline)
	}
}

// Without Hold, a read waits until a datagram comes.
func TestMonitorWaitsForDatagram(t *testing.T) {
	m, send := testMonitor(t, MonitorConfig{})
	msg := nlmsg(t, testFamilyID, cmdPacketAlert, encode(t, func(ae *netlink.AttributeEncoder) { ae.Uint64(attrPC, 3) }))
	time.AfterFunc(100*time.Millisecond, func() { send(msg) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	evs, err := m.receive(ctx)
	if err != nil || len(evs) != 1 || evs[0].Packet == nil || evs[0].Packet.PC != 3 {
		t.Fatalf("receive = %+v, %v; want the packet alert sent after 100 ms", evs, err)
	}
}

// A done context ends a parked read at once (a read deadline in the
// past), and the reads of later contexts are not ended by it. Each new
// context is watched in turn.
func TestMonitorCancelWakesRead(t *testing.T) {
	m, send := testMonitor(t, MonitorConfig{})
	for i := range 3 {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := m.receive(ctx)
			done <- err
		}()
		time.Sleep(50 * time.Millisecond)
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("read %d: %v after cancel, want context.Canceled", i, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("read %d still blocked 10 s after its context ended", i)
		}
	}
	// The next read, under a new context, waits for the alert.
	msg := nlmsg(t, testFamilyID, cmdPacketAlert, encode(t, func(ae *netlink.AttributeEncoder) { ae.Uint64(attrPC, 5) }))
	send(msg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	evs, err := m.receive(ctx)
	if err != nil || len(evs) != 1 || evs[0].Packet == nil || evs[0].Packet.PC != 5 {
		t.Fatalf("receive after the wake-ups = %+v, %v; want the packet alert", evs, err)
	}
	if diff := cmp.Diff(MonitorStats{Messages: 1, Packets: 1}, m.statsSnapshot()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

// Close while a read is blocked: the read ends with an error, not a read
// from a descriptor number the process reused.
func TestMonitorCloseWhileReading(t *testing.T) {
	m, _ := testMonitor(t, MonitorConfig{})
	done := make(chan error, 1)
	go func() {
		_, err := m.receive(context.Background())
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := m.close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("receive after close: %v, want os.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("receive still blocked 10 s after close")
	}
}
