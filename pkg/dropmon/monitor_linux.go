//go:build linux

package dropmon

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// recvBufferLen holds the largest NET_DM message: a packet alert's payload
// is capped at 0xffff - 4 - 4 bytes (net_dm_packet_report_size in
// drop_monitor.c) plus a few hundred bytes of attributes and headers.
const recvBufferLen = 128 << 10

// monitor receives on a raw NETLINK_GENERIC socket of its own, joined to
// the "events" group. The socket is non-blocking and read through Go's
// netpoller: a read that finds nothing parks the goroutine, and the thread
// that ran it waits in epoll_wait for the next datagram.
//
// A blocking read(2), which this replaced, sleeps in the kernel as the C
// tool's recvmsg does, but holds the goroutine's P in a system call:
// after 10 ms sysmon takes the P (retake in runtime/proc.go), the read
// then returns on the slow path of exitsyscall, which wakes sysmon from
// its deep sleep, and sysmon naps 20 µs at a time for a millisecond
// before it sleeps again: 50 to 60 context switches for each alert of a
// trickle of 50 a second, against the C tool's one (docs/benchmarks.md).
// Parked in the netpoller, a quiet monitor holds no P, sysmon sleeps,
// and nothing in the process wakes until a datagram comes.
//
// Deadlines replace SO_RCVTIMEO: the end of the Hold time, and the end of
// a read's context or of the monitor, which set a deadline in the past (a
// parked read returns at once). A Hold deadline is set when a Hold begins
// and cleared when it is reported, never moved later: a timer moved later
// keeps its earlier time in the runtime's timer heap until it next runs
// (timers.wakeTime in runtime/time.go), and the netpoller and sysmon wake
// at that time for nothing. With Drained and no Hold nothing is timed, and
// an idle monitor does not wake at all.
type monitor struct {
	f        *os.File
	rc       syscall.RawConn
	familyID uint16
	groupID  uint32
	keepRaw  bool
	hold     time.Duration
	drained  bool
	portid   uint32
	buf      []byte
	strs     interner
	inode    uint64

	// readFn is rc.Read's function, made once so that a read allocates
	// nothing; it leaves its result in n and rerr.
	readFn func(fd uintptr) bool
	n      int
	rerr   error

	// holding: a datagram was returned since the last Hold report, the
	// first of them at holdStart.
	holding   bool
	holdStart time.Time
	// deadline is the read deadline set on f, zero for none;
	// deadlineKnown is false once something else may have set one (the
	// end of a context, close).
	deadline      time.Time
	deadlineKnown bool
	// watched is the context whose end wakes the reads, stopWatch
	// unregisters that.
	watched   context.Context
	stopWatch func() bool
	// closed is set by close, which wakes a parked read to see it.
	closed atomic.Bool
	// reading is held by a read for as long as it uses the socket, so
	// that close drains the socket only once no read can take from it.
	reading sync.Mutex

	mu    sync.Mutex
	stats MonitorStats
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
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_GENERIC)
	if err != nil {
		return nil, &Error{Op: "listen", Err: os.NewSyscallError("socket", err)}
	}
	// A non-blocking descriptor makes os.NewFile register it with the
	// netpoller.
	m := &monitor{f: os.NewFile(uintptr(fd), "netlink"), keepRaw: cfg.KeepRaw, hold: cfg.Hold, drained: cfg.Drained, buf: make([]byte, recvBufferLen)}
	m.readFn = func(fd uintptr) bool {
		m.n, m.rerr = readSocket(int(fd), m.buf)
		// With Drained, an empty socket ends the read while datagrams
		// are held, instead of waiting in the netpoller. The next read
		// asks the socket again before it waits: each RawConn.Read
		// clears the readiness the netpoller noted meanwhile
		// (poll_runtime_pollReset in runtime/netpoll.go), so skipping
		// that read would lose the edge of a datagram queued since.
		return m.rerr != unix.EAGAIN || (m.drained && m.holding)
	}
	if err := m.init(fd, cfg); err != nil {
		_ = m.f.Close()
		return nil, err
	}
	return m, nil
}

func (m *monitor) init(fd int, cfg MonitorConfig) error {
	rc, err := m.f.SyscallConn()
	if err != nil {
		return &Error{Op: "listen", Err: err}
	}
	m.rc = rc
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
	var ferr error
	if err := m.rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
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

func (m *monitor) appendReceiveRaw(ctx context.Context, dst []byte) ([]byte, error) {
	b, err := m.read(ctx)
	if err != nil {
		return dst, err
	}
	m.mu.Lock()
	m.stats.Messages++
	m.mu.Unlock()
	return append(dst, b...), nil
}

// pastDeadline is a read deadline that has passed: it ends a parked read.
var pastDeadline = time.Unix(1, 0)

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

// wake ends a parked read: the read then looks at its context and at
// closed. A closed file refuses the deadline, which is as well.
func (m *monitor) wake() { _ = m.f.SetReadDeadline(pastDeadline) }

// armDeadline sets the read deadline the next read needs: the end of the
// Hold time while datagrams are held, else none.
func (m *monitor) armDeadline() error {
	var want time.Time
	if m.hold > 0 && m.holding {
		want = m.holdStart.Add(m.hold)
	}
	if m.deadlineKnown && want.Equal(m.deadline) {
		return nil
	}
	if err := m.f.SetReadDeadline(want); err != nil {
		return err
	}
	m.deadline, m.deadlineKnown = want, true
	return nil
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
		if err := m.armDeadline(); err != nil {
			if m.closed.Load() || errors.Is(err, os.ErrClosed) {
				return nil, &Error{Op: "receive", Err: os.ErrClosed}
			}
			return nil, &Error{Op: "receive", Err: err}
		}
		// Looked at after the deadline is set: the end of ctx (wake)
		// and close set a past deadline after they are marked, so a
		// deadline set here cannot hide them.
		if m.closed.Load() {
			return nil, &Error{Op: "receive", Err: os.ErrClosed}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		err := m.rc.Read(m.readFn)
		if err == nil {
			err = m.rerr
		}
		if err == nil {
			if !m.holding {
				m.holding = true
				if m.hold > 0 {
					m.holdStart = time.Now()
				}
			}
			return m.buf[:m.n], nil
		}
		switch {
		case err == unix.EAGAIN:
			// Drained, with datagrams held: report it.
			m.holding = false
			return nil, &Error{Op: "receive", Err: os.ErrDeadlineExceeded}
		case errors.Is(err, os.ErrDeadlineExceeded):
			// The Hold deadline, a wake, or a wake of an earlier
			// context that came late: only the first is reported,
			// once the Hold time has really passed.
			m.deadlineKnown = false
			if m.closed.Load() {
				return nil, &Error{Op: "receive", Err: os.ErrClosed}
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if m.hold > 0 && m.holding && time.Since(m.holdStart) >= m.hold {
				m.holding = false
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
			return nil, &Error{Op: "receive", Err: os.NewSyscallError("read", err)}
		}
	}
}

// readSocket is the monitor's read; BenchmarkMonitorTrickle compares it
// with the runtime's read (unix.Read).
var readSocket = rawRead

// rawRead is read(2) on the non-blocking socket without the runtime's
// entersyscall and exitsyscall, which it does not need: it never blocks.
// A system call entered while sysmon is in its deep sleep (every P idle,
// as while the monitor was parked) wakes sysmon (reentersyscall in
// runtime/proc.go), which then naps 20 µs at a time until every P is idle
// again: a few context switches for each alert of a trickle, on top of the
// one that delivers it.
func rawRead(fd int, b []byte) (int, error) {
	for {
		n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
		switch e {
		case 0:
			return int(n), nil
		case unix.EINTR:
		default:
			return 0, e
		}
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
// parked read, waits until no read uses the socket, and takes whatever is
// still queued with non-blocking reads: a datagram read is freed by
// consume_skb (skb_free_datagram), which is not a drop.
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
