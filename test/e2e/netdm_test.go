//go:build vmtest

package e2e

// A deliberately small NET_DM client of the tests' own, independent of
// pkg/dropmon, so that the tests' view of the kernel does not depend on the
// code under test. Numbers are from include/uapi/linux/net_dropmon.h.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

const (
	cmdAlert       = 1 // NET_DM_CMD_ALERT: summary, kernel to group
	cmdConfig      = 2 // NET_DM_CMD_CONFIG
	cmdStop        = 4 // NET_DM_CMD_STOP
	cmdPacketAlert = 5 // NET_DM_CMD_PACKET_ALERT
	cmdStatsGet    = 8 // NET_DM_CMD_STATS_GET

	attrAlertMode = 1  // NET_DM_ATTR_ALERT_MODE, u8
	attrPC        = 2  // NET_DM_ATTR_PC, u64
	attrTruncLen  = 9  // NET_DM_ATTR_TRUNC_LEN, u32
	attrQueueLen  = 11 // NET_DM_ATTR_QUEUE_LEN, u32
	attrStats     = 12 // NET_DM_ATTR_STATS, nested
	attrHWStats   = 13 // NET_DM_ATTR_HW_STATS, nested
	statsDropped  = 0  // NET_DM_ATTR_STATS_DROPPED, u64: type 0 inside the nest

	// The kernel's defaults (net/core/drop_monitor.c: net_dm_alert_mode,
	// net_dm_trunc_len, net_dm_queue_len). The configuration is global
	// and outlives every client, so each test puts it back.
	defaultQueueLen = 1000

	// A summary alert's payload is a struct net_dm_alert_msg {u32
	// entries; struct net_dm_drop_point points[];} in an attribute of
	// type 0 (NLA_UNSPEC); each point is {u8 pc[8]; u32 count;}, 12
	// bytes, in host byte order.
	dropPointSize = 12
)

// netdm is a control connection to the kernel's drop monitor.
type netdm struct {
	conn   *genetlink.Conn
	family genetlink.Family
}

func dialNetDM(t testing.TB) *netdm {
	t.Helper()
	conn, err := genetlink.Dial(nil)
	if err != nil {
		t.Fatalf("dialing generic netlink: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	f, err := conn.GetFamily("NET_DM")
	if err != nil {
		t.Fatalf("resolving NET_DM (is drop_monitor loaded?): %v", err)
	}
	return &netdm{conn: conn, family: f}
}

func (d *netdm) execute(cmd uint8, attrs func(*netlink.AttributeEncoder)) error {
	ae := netlink.NewAttributeEncoder()
	if attrs != nil {
		attrs(ae)
	}
	data, err := ae.Encode()
	if err != nil {
		return err
	}
	_, err = d.conn.Execute(genetlink.Message{
		Header: genetlink.Header{Command: cmd, Version: d.family.Version},
		Data:   data,
	}, d.family.ID, netlink.Request|netlink.Acknowledge)
	return err
}

// monitoring tells whether a monitoring session is on, without changing
// anything: net_dm_cmd_config refuses any configuration with EBUSY while
// net_dm_is_monitoring(), and an empty one is otherwise a no-op.
func (d *netdm) monitoring(t testing.TB) bool {
	t.Helper()
	err := d.execute(cmdConfig, nil)
	switch {
	case err == nil:
		return false
	case errors.Is(err, unix.EBUSY):
		return true
	}
	t.Fatalf("probing the monitoring state with an empty NET_DM_CMD_CONFIG: %v", err)
	return false
}

// waitMonitoring waits until the kernel's monitoring state is on.
func (d *netdm) waitMonitoring(t testing.TB, on bool, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for d.monitoring(t) != on {
		if time.Now().After(deadline) {
			t.Fatalf("kernel monitoring still %v after %v, want %v", !on, timeout, on)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tailDropped returns the kernel's software and hardware "Tail dropped"
// counters: packet alerts it discarded because a per-CPU queue was full.
// They only ever grow, so tests that print them ask for them first.
func (d *netdm) tailDropped(t testing.TB) (sw, hw uint64) {
	t.Helper()
	msgs, err := d.conn.Execute(genetlink.Message{
		Header: genetlink.Header{Command: cmdStatsGet, Version: d.family.Version},
	}, d.family.ID, netlink.Request)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("NET_DM_CMD_STATS_GET: %d replies, %v", len(msgs), err)
	}
	ad, err := netlink.NewAttributeDecoder(msgs[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	for ad.Next() {
		var into *uint64
		switch ad.Type() {
		case attrStats:
			into = &sw
		case attrHWStats:
			into = &hw
		default:
			continue
		}
		ad.Nested(func(nad *netlink.AttributeDecoder) error {
			found := false
			for nad.Next() {
				if nad.Type() == statsDropped {
					*into, found = nad.Uint64(), true
				}
			}
			if !found {
				// Both kernels put the counter in every stats nest
				// (net_dm_stats_fill, net_dm_hw_stats_fill); a nest
				// without it means this reader looks for the wrong type.
				return fmt.Errorf("stats nest %d without NET_DM_ATTR_STATS_DROPPED", ad.Type())
			}
			return nil
		})
	}
	if err := ad.Err(); err != nil {
		t.Fatalf("decoding NET_DM stats: %v", err)
	}
	return sw, hw
}

// reset stops any monitoring left over and restores the default
// configuration: summary mode, no truncation, a queue of 1000.
func (d *netdm) reset(t testing.TB) {
	t.Helper()
	if d.monitoring(t) {
		// No SW/HW flag means software drops (kept for compatibility
		// with old clients in net_dm_cmd_trace).
		if err := d.execute(cmdStop, nil); err != nil {
			t.Fatalf("stopping leftover monitoring: %v", err)
		}
	}
	err := d.execute(cmdConfig, func(ae *netlink.AttributeEncoder) {
		ae.Uint8(attrAlertMode, 0)
		ae.Uint32(attrTruncLen, 0)
		ae.Uint32(attrQueueLen, defaultQueueLen)
	})
	if err != nil {
		t.Fatalf("restoring the default NET_DM configuration: %v", err)
	}
}

// watcher listens on the "events" group like any dropwatch does and counts
// the drops the kernel reports per location. Every listener gets the same
// multicast messages, so once the watcher has seen a drop, so could the
// tool under test.
type watcher struct {
	conn *genetlink.Conn
	mu   sync.Mutex
	pcs  map[uint64]int
	err  error
	done chan struct{}
}

func watch(t testing.TB) *watcher {
	t.Helper()
	conn, err := genetlink.Dial(nil)
	if err != nil {
		t.Fatalf("dialing generic netlink: %v", err)
	}
	f, err := conn.GetFamily("NET_DM")
	if err != nil {
		conn.Close()
		t.Fatalf("resolving NET_DM: %v", err)
	}
	var group uint32
	for _, g := range f.Groups {
		if g.Name == "events" {
			group = g.ID
		}
	}
	// Joining needs CAP_SYS_ADMIN since 6.7 (GENL_MCAST_CAP_SYS_ADMIN);
	// the guest runs everything as root.
	if err := conn.JoinGroup(group); err != nil {
		conn.Close()
		t.Fatalf("joining NET_DM group %d: %v", group, err)
	}
	// A burst of packet alerts must not overflow the watcher itself.
	_ = conn.SetReadBuffer(8 << 20)
	w := &watcher{conn: conn, pcs: map[uint64]int{}, done: make(chan struct{})}
	go w.loop()
	t.Cleanup(func() { w.close(group) })
	return w
}

// close ends the watcher without making a drop of its own: a netlink
// socket closed with datagrams queued has them freed by kfree_skb
// (skb_queue_purge in netlink_sock_destruct), which every drop monitor
// reports, possibly in the next test's window (the free waits for an RCU
// grace period). So it leaves the group, stops the reader and reads what
// is still queued before closing.
func (w *watcher) close(group uint32) {
	_ = w.conn.LeaveGroup(group)
	_ = w.conn.SetReadDeadline(time.Unix(1, 0))
	<-w.done
	if rc, err := w.conn.SyscallConn(); err == nil {
		buf := make([]byte, 1<<16)
		_ = rc.Control(func(fd uintptr) {
			for range 1 << 20 {
				_, _, err := unix.Recvfrom(int(fd), buf, unix.MSG_DONTWAIT)
				if err != nil && err != unix.ENOBUFS && err != unix.EINTR {
					return // EAGAIN: nothing left
				}
			}
		})
	}
	w.conn.Close()
}

func (w *watcher) loop() {
	defer close(w.done)
	for {
		msgs, _, err := w.conn.Receive()
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				w.mu.Lock()
				w.err = err
				w.mu.Unlock()
			}
			return
		}
		for _, m := range msgs {
			w.count(m)
		}
	}
}

func (w *watcher) count(m genetlink.Message) {
	ad, err := netlink.NewAttributeDecoder(m.Data)
	if err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for ad.Next() {
		switch {
		case m.Header.Command == cmdAlert && ad.Type() == 0:
			b := ad.Bytes()
			if len(b) < 4 {
				continue
			}
			n := int(binary.NativeEndian.Uint32(b))
			for i := 0; i < n && 4+(i+1)*dropPointSize <= len(b); i++ {
				p := b[4+i*dropPointSize:]
				w.pcs[binary.NativeEndian.Uint64(p)] += int(binary.NativeEndian.Uint32(p[8:]))
			}
		case m.Header.Command == cmdPacketAlert && ad.Type() == attrPC:
			w.pcs[ad.Uint64()]++
		}
	}
}

// seen returns the drops reported so far within [sym.lo, sym.hi).
func (w *watcher) seen(sym symRange) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for pc, c := range w.pcs {
		if sym.contains(pc) {
			n += c
		}
	}
	return n
}

// total returns every drop reported so far.
func (w *watcher) total() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, c := range w.pcs {
		n += c
	}
	return n
}

// waitSeen waits until the kernel has reported want drops within sym. The
// kernel sends summaries from a per-CPU timer armed at the first drop
// after the previous send (HZ later), so this takes about a second in
// summary mode and almost nothing in packet mode.
func (w *watcher) waitSeen(t testing.TB, sym symRange, want int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := w.seen(sym)
		if got == want {
			return
		}
		if got > want {
			t.Fatalf("the kernel reported %d drops in %s, more than the %d made", got, sym.name, want)
		}
		w.mu.Lock()
		err := w.err
		w.mu.Unlock()
		if err != nil {
			t.Fatalf("watching NET_DM alerts: %v (after %d of %d drops)", err, got, want)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the kernel reported %d of %d drops in %s within %v", got, want, sym.name, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// symRange is a kernel function's address range from /proc/kallsyms.
type symRange struct {
	name   string
	lo, hi uint64
}

func (s symRange) contains(pc uint64) bool { return pc >= s.lo && pc < s.hi }

// kernelSymbol finds name in /proc/kallsyms; the function ends where the
// next higher address starts (the core kernel's part of the file is sorted
// by address).
func kernelSymbol(t testing.TB, name string) symRange {
	t.Helper()
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	r := symRange{name: name}
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 3 {
			continue
		}
		addr, err := strconv.ParseUint(fields[0], 16, 64)
		if err != nil {
			continue
		}
		switch {
		case r.lo == 0 && fields[2] == name:
			r.lo = addr
		case r.lo != 0 && addr > r.lo:
			r.hi = addr
			return r
		}
	}
	t.Fatalf("%s not found in /proc/kallsyms (%v)", name, s.Err())
	return r
}

func (s symRange) String() string { return fmt.Sprintf("%s [%#x, %#x)", s.name, s.lo, s.hi) }
