//go:build linux

package dropmon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// recvBufferLen holds the largest NET_DM message: a packet alert's payload
// is capped at 0xffff - 4 - 4 bytes (net_dm_packet_report_size in
// drop_monitor.c) plus a few hundred bytes of attributes and headers.
const recvBufferLen = 128 << 10

// pollInterval is how long a read waits, when it has no Idle time to
// report, before it looks at its context again: the socket's SO_RCVTIMEO
// then. A done context wakes the read at once (monitor.wake); this bounds
// the wait where it cannot (no CAP_NET_ADMIN).
const pollInterval = time.Second

// wakeSeq marks the message a monitor sends itself to end a blocked read
// (monitor.wake), an NLMSG_NOOP that the kernel never sends to a group.
const wakeSeq = 0x64776b65 // "dwke"

// monitor receives on a raw NETLINK_GENERIC socket of its own, joined to
// the "events" group. The socket is blocking and outside Go's netpoller:
// a read is one read(2) that sleeps in the kernel until a datagram comes,
// as the C tool's recvmsg does. Through the netpoller each datagram cost
// an epoll_wait, the read and a second read answering EAGAIN, and often a
// thread wake-up, which made a steady 500 alerts a second cost twice the
// C tool's CPU (docs/benchmarks.md). A read (not a poll registration)
// keeps the os.File referenced, so Close waits for it instead of closing
// the descriptor under it.
//
// Closing the descriptor does not end a blocked recv, and netlink sockets
// have no shutdown (sock_no_shutdown in net/netlink/af_netlink.c), so a
// done context ends a read by sending the socket a message of its own
// (wake). SO_RCVTIMEO is the Idle time after a datagram, so that an idle
// monitor is reported once, then pollInterval: a quiet monitor wakes once
// a second. It woke ten times a second before, and each wake-up also woke
// the runtime's sysmon from its deep sleep for a series of 20 µs naps: an
// idle dropwatch used twice the C tool's CPU in the VM.
type monitor struct {
	f        *os.File
	familyID uint16
	groupID  uint32
	keepRaw  bool
	idle     time.Duration
	quiet    time.Duration // SO_RCVTIMEO once idle is reported
	timeout  time.Duration // the socket's SO_RCVTIMEO now
	portid   uint32
	buf      []byte
	strs     interner
	inode    uint64

	// idleReported: the last read ended with the Idle error, and no
	// datagram has come since.
	idleReported bool
	// watched is the context whose end wakes the reads, stopWatch
	// unregisters that.
	watched   context.Context
	stopWatch func() bool
	// closed is set by close, which wakes a blocked read to see it.
	closed atomic.Bool
	// reading is held by a read for as long as it uses the socket, so
	// that close drains the socket only once no read can take from it.
	reading sync.Mutex
	// wakeMu orders wake's sends before close's drain; wakeOff, set by
	// close under it, ends them.
	wakeMu  sync.Mutex
	wakeOff bool

	mu    sync.Mutex
	stats MonitorStats

	yielded time.Time // see yieldWhileBusy
}

func (c *client) listen(cfg MonitorConfig) (*monitor, error) {
	m, err := openMonitor(cfg)
	if err != nil {
		return nil, err
	}
	m.familyID, m.groupID = c.familyID, c.groupID
	// Joining "events" needs CAP_SYS_ADMIN since Linux 6.7 and its stable
	// backports (GENL_MCAST_CAP_SYS_ADMIN in drop_monitor.c).
	if err := m.control(func(fd int) error {
		return unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_ADD_MEMBERSHIP, int(m.groupID))
	}); err != nil {
		_ = m.f.Close()
		return nil, wrapErr("join group", err)
	}
	return m, nil
}

// openMonitor opens and binds the monitor's socket, joined to no group.
func openMonitor(cfg MonitorConfig) (*monitor, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_GENERIC)
	if err != nil {
		return nil, &Error{Op: "listen", Err: os.NewSyscallError("socket", err)}
	}
	// A blocking descriptor makes os.NewFile return a File that is not
	// registered with the netpoller.
	m := &monitor{f: os.NewFile(uintptr(fd), "netlink"), keepRaw: cfg.KeepRaw, idle: cfg.Idle, buf: make([]byte, recvBufferLen)}
	if err := m.init(fd, cfg); err != nil {
		_ = m.f.Close()
		return nil, err
	}
	return m, nil
}

func (m *monitor) init(fd int, cfg MonitorConfig) error {
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return &Error{Op: "listen", Err: os.NewSyscallError("bind", err)}
	}
	size := cfg.ReadBuffer
	if size <= 0 {
		size = DefaultReadBuffer
	}
	// SO_RCVBUFFORCE ignores net.core.rmem_max but needs CAP_NET_ADMIN;
	// SO_RCVBUF is capped at rmem_max (net/core/sock.c, sk_setsockopt).
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, size); err != nil {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, size); err != nil {
			return &Error{Op: "listen", Err: os.NewSyscallError("setsockopt", err)}
		}
	}
	m.quiet = pollInterval
	if err := m.setTimeout(m.readTimeout()); err != nil {
		return &Error{Op: "listen", Err: err}
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return &Error{Op: "listen", Err: os.NewSyscallError("getsockname", err)}
	}
	m.portid = sa.(*unix.SockaddrNetlink).Pid
	var st unix.Stat_t
	if unix.Fstat(fd, &st) == nil {
		m.inode = st.Ino
	}
	return nil
}

// control runs fn on the monitor's descriptor, holding it. It fails with
// os.ErrClosed once the monitor is closed.
func (m *monitor) control(fn func(fd int) error) error {
	rc, err := m.f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		// Control fails only on a closed file.
		return os.ErrClosed
	}
	return ferr
}

func (m *monitor) receive(ctx context.Context) ([]Event, error) {
	for {
		b, err := m.read(ctx)
		if err != nil {
			return nil, err
		}
		// Copy the datagram out of the reused buffer: events (their payload
		// and raw bytes) belong to the caller and may outlive the next read.
		if evs := m.decode(append([]byte(nil), b...)); len(evs) > 0 {
			return evs, nil
		}
	}
}

func (m *monitor) receiveRaw(ctx context.Context) ([]byte, error) {
	b, err := m.read(ctx)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.stats.Messages++
	m.mu.Unlock()
	return append([]byte(nil), b...), nil
}

// readTimeout is the SO_RCVTIMEO the next read needs.
func (m *monitor) readTimeout() time.Duration {
	if m.idle > 0 && !m.idleReported {
		return m.idle
	}
	return m.quiet
}

// setTimeout sets the socket's SO_RCVTIMEO to d, if it is not that already.
func (m *monitor) setTimeout(d time.Duration) error {
	if d == m.timeout {
		return nil
	}
	tv := unix.NsecToTimeval(d.Nanoseconds())
	if err := m.control(func(fd int) error {
		return os.NewSyscallError("setsockopt", unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv))
	}); err != nil {
		return err
	}
	m.timeout = d
	return nil
}

// watch has the end of ctx wake the monitor's reads.
func (m *monitor) watch(ctx context.Context) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ctx == m.watched {
		return
	}
	if m.stopWatch != nil {
		m.stopWatch()
	}
	m.watched, m.stopWatch = ctx, context.AfterFunc(ctx, m.wake)
}

// wake sends the socket a message from itself, which ends a blocked read.
// Sending to a port needs CAP_NET_ADMIN on NETLINK_GENERIC
// (netlink_sendmsg in net/netlink/af_netlink.c); without it the read ends
// at its SO_RCVTIMEO. The write holds the descriptor, so a closed monitor
// is not written to.
func (m *monitor) wake() {
	m.wakeMu.Lock()
	defer m.wakeMu.Unlock()
	if m.wakeOff {
		return
	}
	rc, err := m.f.SyscallConn()
	if err != nil {
		return
	}
	var msg [unix.SizeofNlMsghdr]byte
	binary.NativeEndian.PutUint32(msg[0:], unix.SizeofNlMsghdr)
	binary.NativeEndian.PutUint16(msg[4:], unix.NLMSG_NOOP)
	binary.NativeEndian.PutUint32(msg[8:], wakeSeq)
	binary.NativeEndian.PutUint32(msg[12:], m.portid)
	_ = rc.Write(func(fd uintptr) bool {
		_ = unix.Sendto(int(fd), msg[:], 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Pid: m.portid})
		return true
	})
}

// isWake reports whether b is a message wake sent.
func (m *monitor) isWake(b []byte) bool {
	return len(b) == unix.SizeofNlMsghdr &&
		binary.NativeEndian.Uint16(b[4:]) == unix.NLMSG_NOOP &&
		binary.NativeEndian.Uint32(b[8:]) == wakeSeq &&
		binary.NativeEndian.Uint32(b[12:]) == m.portid
}

// read returns the next datagram in the monitor's buffer, counting and
// skipping ENOBUFS.
func (m *monitor) read(ctx context.Context) ([]byte, error) {
	m.reading.Lock()
	defer m.reading.Unlock()
	if m.closed.Load() {
		return nil, &Error{Op: "receive", Err: os.ErrClosed}
	}
	m.watch(ctx)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := m.setTimeout(m.readTimeout()); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, &Error{Op: "receive", Err: err}
		}
		n, err := m.f.Read(m.buf)
		if err == nil {
			if m.isWake(m.buf[:n]) {
				if m.closed.Load() {
					return nil, &Error{Op: "receive", Err: os.ErrClosed}
				}
				continue
			}
			m.idleReported = false
			m.yieldWhileBusy()
			return m.buf[:n], nil
		}
		switch {
		case errors.Is(err, unix.EAGAIN):
			// SO_RCVTIMEO expired with nothing to read.
			if m.idle > 0 && !m.idleReported {
				m.idleReported = true
				return nil, &Error{Op: "receive", Err: os.ErrDeadlineExceeded}
			}
		case errors.Is(err, unix.ENOBUFS):
			// The socket buffer overflowed and the kernel discarded
			// alerts (netlink_overrun in net/netlink/af_netlink.c). It
			// says so once per episode; SocketDrops has the count.
			m.mu.Lock()
			m.stats.Overruns++
			m.mu.Unlock()
		case errors.Is(err, os.ErrClosed):
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, &Error{Op: "receive", Err: err}
		default:
			return nil, &Error{Op: "receive", Err: err}
		}
	}
}

// yieldEvery is how often a reader that keeps finding datagrams passes
// through the scheduler; see yieldWhileBusy.
const yieldEvery = 5 * time.Millisecond

// yieldWhileBusy lets the scheduler run once every yieldEvery while reads
// keep returning datagrams. A goroutine that only ever reads never
// reaches the scheduler, so after 10 ms (forcePreemptNS in
// runtime/proc.go) sysmon's retake counts it as running too long and
// takes its P during each read(2), even a short one; every read then
// ends on the slow path of exitsyscall, which gets an idle P and wakes
// sysmon from its deep sleep, and sysmon naps and sleeps again: a futex
// wake-up, a futex wait and a few nanosleeps per alert, measured with
// strace at 500 alerts a second (Go 1.26). At a yield every 5 ms, a
// steady stream of alerts costs one read(2) each, and in the VM the CPU
// per alert went from 2-2.5x the C tool's to about the same
// (docs/benchmarks.md). An idle reader does not yield: a read that waits
// longer than 10 ms loses its P anyway, which is what should happen.
func (m *monitor) yieldWhileBusy() {
	if now := time.Now(); now.Sub(m.yielded) >= yieldEvery {
		runtime.Gosched()
		m.yielded = now
	}
}

func (m *monitor) decode(b []byte) []Event {
	var evs []Event
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(b) > 0 {
		msg, typ, rest, err := splitMessage(b)
		if err != nil {
			m.stats.Malformed++
			evs = append(evs, Event{Err: err})
			break
		}
		b = rest
		m.stats.Messages++
		if typ != m.familyID {
			m.stats.Ignored++
			continue
		}
		ev, ok := decodeEvent(msg, &m.strs)
		if !ok {
			m.stats.Ignored++
			continue
		}
		switch {
		case ev.Err != nil:
			m.stats.Malformed++
		case ev.Alert != nil:
			m.stats.Summaries++
			if ev.Alert.Full() {
				m.stats.FullSummaries++
			}
		case ev.Packet != nil:
			m.stats.Packets++
		}
		if m.keepRaw {
			ev.Raw = msg
		}
		evs = append(evs, ev)
	}
	return evs
}

func (m *monitor) statsSnapshot() MonitorStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}

func (m *monitor) socketDrops() (uint64, error) {
	f, err := os.Open("/proc/net/netlink")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return netlinkDrops(f, m.inode)
}

// netlinkDrops finds the Drops column of the socket with the given inode in
// /proc/net/netlink (netlink_seq_show in net/netlink/af_netlink.c): sk_drops,
// which netlink_overrun increments for every message the full socket buffer
// could not take, whether or not NETLINK_NO_ENOBUFS is set.
func netlinkDrops(f interface{ Read([]byte) (int, error) }, inode uint64) (uint64, error) {
	sc := bufio.NewScanner(f)
	dropsCol, inodeCol := -1, -1
	for sc.Scan() {
		fields := bytes.Fields(sc.Bytes())
		if dropsCol < 0 {
			for i, h := range fields {
				switch string(h) {
				case "Drops":
					dropsCol = i
				case "Inode":
					inodeCol = i
				}
			}
			if dropsCol < 0 || inodeCol < 0 {
				return 0, fmt.Errorf("/proc/net/netlink: no Drops or Inode column in %q", sc.Text())
			}
			continue
		}
		if len(fields) <= dropsCol || len(fields) <= inodeCol {
			continue
		}
		ino, err := strconv.ParseUint(string(fields[inodeCol]), 10, 64)
		if err != nil || ino != inode {
			continue
		}
		return strconv.ParseUint(string(fields[dropsCol]), 10, 64)
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("/proc/net/netlink: no socket with inode %d: %w", inode, os.ErrNotExist)
}

// close closes the socket without making a drop. A socket closed with
// datagrams in its receive queue has them freed by skb_queue_purge
// (netlink_sock_destruct in net/netlink/af_netlink.c), which calls
// kfree_skb: the kernel counts each as a drop, at skb_queue_purge or, from
// 6.8, skb_queue_purge_reason (SKB_DROP_REASON_QUEUE_PURGE), and reports it
// to every drop monitor, the C dropwatch or an exporter beside us. So
// close leaves the group, so that no alert is added to the queue, wakes a
// blocked read, waits until no read uses the socket, and takes whatever is
// still queued (alerts, our own wake messages) with non-blocking reads: a
// datagram read is freed by consume_skb (skb_free_datagram), which is not
// a drop.
func (m *monitor) close() error {
	m.mu.Lock()
	if m.stopWatch != nil {
		m.stopWatch()
	}
	m.mu.Unlock()
	m.closed.Store(true)
	if m.groupID != 0 {
		_ = m.control(func(fd int) error {
			return unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_DROP_MEMBERSHIP, int(m.groupID))
		})
	}
	m.wake()
	// An AfterFunc of the watched context may be sending a wake now:
	// once wakeOff is set under wakeMu, none is under way or to come.
	m.wakeMu.Lock()
	m.wakeOff = true
	m.wakeMu.Unlock()
	m.reading.Lock()
	defer m.reading.Unlock()
	_ = m.control(m.drain)
	return m.f.Close()
}

// maxDrain bounds close's reads: once out of the group the queue only
// shrinks, and it holds at most SO_RCVBUF bytes of datagrams.
const maxDrain = 1 << 20

// drain reads and discards every datagram queued on fd without waiting.
func (m *monitor) drain(fd int) error {
	for range maxDrain {
		_, _, err := unix.Recvfrom(fd, m.buf, unix.MSG_DONTWAIT)
		switch err {
		case nil, unix.EINTR, unix.ENOBUFS:
		case unix.EAGAIN:
			return nil
		default:
			return err
		}
	}
	return nil
}
