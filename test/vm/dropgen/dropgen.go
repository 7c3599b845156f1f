// Package dropgen makes the kernel drop packets on purpose, a known number
// of times, so that tests and benchmarks of the drop monitor have something
// to count.
//
// It sends UDP datagrams to a closed port on 127.0.0.1. The loopback device
// hands each one straight back to the IPv4 receive path, where
// __udp4_lib_rcv (net/ipv4/udp.c) finds no socket, bumps the UDP_MIB_NOPORTS
// counter ("Udp: NoPorts" in /proc/net/snmp), answers with an ICMP port
// unreachable and frees the skb with kfree_skb_reason(skb,
// SKB_DROP_REASON_NO_SOCKET). That kfree_skb is what net/core/drop_monitor.c
// reports: one drop at __udp4_lib_rcv per datagram.
//
// The ICMP error comes back to the sending socket (the socket is connected,
// so udp_err queues it in sk_err) and the next send fails with ECONNREFUSED
// without emitting anything: sock_alloc_send_pskb checks sock_error first.
// Loopback is exempt from the per-destination ICMP rate limit
// (icmpv4_xrlim_allow), so roughly every other write fails. A failed write
// makes no drop, so only successful writes are counted.
package dropgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// maxRefusedInARow bounds the writes that may fail in a row. Each refused
// write consumes the one pending ICMP error, so more than a couple in a row
// means something other than our own port unreachable is going on.
const maxRefusedInARow = 1000

// payload is small: the packet's size does not matter to the drop monitor,
// and 32 bytes of data make a 74-byte frame (14 Ethernet + 20 IP + 8 UDP),
// which is what the kernel reports in packet mode ("length: 74").
var payload = make([]byte, 32)

// Make makes the kernel drop exactly n UDP datagrams and returns how many it
// made, which is n unless err is not nil.
func Make(n int) (made int, err error) {
	return MakeRate(context.Background(), n, 0)
}

// MakeRate is Make at no more than perSecond drops a second (0: as fast as
// possible), stopping early when ctx is done. It paces in small batches so
// that a high rate does not need a timer per datagram.
func MakeRate(ctx context.Context, n, perSecond int) (made int, err error) {
	if n < 0 {
		return 0, fmt.Errorf("dropgen: negative count %d", n)
	}
	conn, err := dialClosedPort()
	if err != nil {
		return 0, err
	}
	defer conn.Close()

	batch := n
	var interval time.Duration
	if perSecond > 0 {
		// About a hundred wake-ups a second: fine-grained enough for the
		// kernel's one-second summary batches, coarse enough to be cheap.
		batch = max(1, perSecond/100)
		interval = time.Duration(batch) * time.Second / time.Duration(perSecond)
	}
	next := time.Now()
	for made < n {
		if err := ctx.Err(); err != nil {
			return made, err
		}
		want := min(batch, n-made)
		got, err := send(conn, want)
		made += got
		if err != nil {
			return made, err
		}
		if interval > 0 {
			next = next.Add(interval)
			if d := time.Until(next); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-ctx.Done():
					t.Stop()
					return made, ctx.Err()
				case <-t.C:
				}
			}
		}
	}
	return made, nil
}

// send writes until want datagrams have been accepted.
func send(conn *net.UDPConn, want int) (int, error) {
	made, refused := 0, 0
	for made < want {
		_, err := conn.Write(payload)
		switch {
		case err == nil:
			made++
			refused = 0
		case errors.Is(err, syscall.ECONNREFUSED):
			refused++
			if refused >= maxRefusedInARow {
				return made, fmt.Errorf("dropgen: %d writes in a row refused: %w", refused, err)
			}
		default:
			return made, fmt.Errorf("dropgen: %w", err)
		}
	}
	return made, nil
}

// dialClosedPort connects a UDP socket to a port on 127.0.0.1 that nothing
// listens on: it binds a socket to an ephemeral port to learn a free one and
// closes it again. The port stays closed unless another program binds it in
// between, which the kernel's ephemeral port allocator makes unlikely.
//
// The connected socket's own source port comes from the same allocator,
// and it can be the port just freed: the datagrams then go from the socket
// to itself, are queued on it, and are dropped when it closes, at
// udp_destruct_common, not at __udp4_lib_rcv (seen once in some thousands
// of calls: "Udp NoPorts grew by 0"). Such a socket is closed and the
// search starts again.
func dialClosedPort() (*net.UDPConn, error) {
	loopback := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	for range 100 {
		probe, err := net.ListenUDP("udp4", loopback)
		if err != nil {
			return nil, fmt.Errorf("dropgen: finding a closed port: %w", err)
		}
		port := probe.LocalAddr().(*net.UDPAddr).Port
		if err := probe.Close(); err != nil {
			return nil, fmt.Errorf("dropgen: finding a closed port: %w", err)
		}
		conn, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: loopback.IP, Port: port})
		if err != nil {
			return nil, fmt.Errorf("dropgen: %w", err)
		}
		if conn.LocalAddr().(*net.UDPAddr).Port != port {
			return conn, nil
		}
		conn.Close() // nothing was sent: nothing is queued on it
	}
	return nil, fmt.Errorf("dropgen: every socket got the closed port it was to send to as its own")
}
