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
	"time"

	"github.com/mdlayher/socket"
	"golang.org/x/sys/unix"
)

// recvBufferLen holds the largest NET_DM message: a packet alert's payload
// is capped at 0xffff - 4 - 4 bytes (net_dm_packet_report_size in
// drop_monitor.c) plus a few hundred bytes of attributes and headers.
const recvBufferLen = 128 << 10

// monitor receives on a raw NETLINK_GENERIC socket of its own, joined to
// the "events" group. It reads one datagram per read(2) into a buffer it
// reuses, so a burst of packet alerts costs one system call and one
// right-sized copy per alert beyond the decoded values.
type monitor struct {
	conn     *socket.Conn
	familyID uint16
	groupID  uint32
	keepRaw  bool
	buf      []byte
	strs     interner
	inode    uint64

	armed  context.Context // the context arm registered for
	disarm func() bool

	mu    sync.Mutex
	stats MonitorStats
}

func (c *client) listen(cfg MonitorConfig) (*monitor, error) {
	conn, err := socket.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_GENERIC, "netlink", nil)
	if err != nil {
		return nil, &Error{Op: "listen", Err: err}
	}
	m := &monitor{conn: conn, familyID: c.familyID, groupID: c.groupID, keepRaw: cfg.KeepRaw, buf: make([]byte, recvBufferLen)}
	if err := m.init(cfg); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return m, nil
}

func (m *monitor) init(cfg MonitorConfig) error {
	if err := m.conn.Bind(&unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return &Error{Op: "listen", Err: err}
	}
	size := cfg.ReadBuffer
	if size <= 0 {
		size = DefaultReadBuffer
	}
	// SO_RCVBUFFORCE ignores net.core.rmem_max but needs CAP_NET_ADMIN;
	// SO_RCVBUF is capped at rmem_max (net/core/sock.c, sk_setsockopt).
	if err := m.conn.SetsockoptInt(unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, size); err != nil {
		if err := m.conn.SetReadBuffer(size); err != nil {
			return &Error{Op: "listen", Err: err}
		}
	}
	// Joining "events" needs CAP_SYS_ADMIN since Linux 6.7 and its stable
	// backports (GENL_MCAST_CAP_SYS_ADMIN in drop_monitor.c).
	if err := m.conn.SetsockoptInt(unix.SOL_NETLINK, unix.NETLINK_ADD_MEMBERSHIP, int(m.groupID)); err != nil {
		return wrapErr("join group", err)
	}
	var st unix.Stat_t
	rc, err := m.conn.SyscallConn()
	if err == nil {
		_ = rc.Control(func(fd uintptr) {
			if unix.Fstat(int(fd), &st) == nil {
				m.inode = st.Ino
			}
		})
	}
	return nil
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

// read returns the next datagram in the monitor's buffer, counting and
// skipping ENOBUFS.
func (m *monitor) read(ctx context.Context) ([]byte, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m.arm(ctx)
		n, err := m.conn.Read(m.buf)
		if err == nil {
			return m.buf[:n], nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, unix.ENOBUFS) {
			// The socket buffer overflowed and the kernel discarded
			// alerts (netlink_overrun in net/netlink/af_netlink.c). It
			// says so once per episode; SocketDrops has the count.
			m.mu.Lock()
			m.stats.Overruns++
			m.mu.Unlock()
			continue
		}
		return nil, &Error{Op: "receive", Err: err}
	}
}

// arm makes ctx's end unblock a read by moving the read deadline into the
// past. It registers once per context rather than once per read: callers
// pass the same context for a whole monitoring session, and a
// registration per alert cost a tenth of the CPU in a packet burst
// (docs/benchmarks.md).
func (m *monitor) arm(ctx context.Context) {
	if ctx == m.armed {
		return
	}
	if m.disarm != nil && !m.disarm() {
		// The previous context ended and set the deadline: clear it.
		_ = m.conn.SetReadDeadline(time.Time{})
	}
	m.armed = ctx
	m.disarm = context.AfterFunc(ctx, func() { _ = m.conn.SetReadDeadline(time.Unix(1, 0)) })
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

func (m *monitor) close() error {
	if m.disarm != nil {
		m.disarm()
	}
	return m.conn.Close()
}
