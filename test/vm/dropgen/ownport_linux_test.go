//go:build linux

package dropgen

import (
	"fmt"
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestDialClosedPortNeverItself: the socket dropgen sends from never has
// the closed port as its own, which would have its datagrams delivered to
// itself instead of dropped at __udp4_lib_rcv. In a network namespace of
// its own whose ephemeral port range (net.ipv4.ip_local_port_range, per
// namespace) holds two ports, the allocator gives the freed port to the
// sending socket about every other time: without the check in
// dialClosedPort this fails within a few calls.
func TestDialClosedPortNeverItself(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a network namespace of its own (CI runs as root)")
	}
	errc := make(chan string, 1)
	go func() {
		// The thread stays in the new namespace and is never unlocked:
		// the runtime ends it with the goroutine.
		runtime.LockOSThread()
		errc <- func() string {
			if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
				return "unshare(CLONE_NEWNET): " + err.Error()
			}
			if err := loopbackUp(); err != nil {
				return "bringing lo up: " + err.Error()
			}
			// /proc/sys/net is the opening thread's namespace's.
			if err := os.WriteFile("/proc/sys/net/ipv4/ip_local_port_range", []byte("40000 40001"), 0); err != nil {
				return "setting ip_local_port_range: " + err.Error()
			}
			for i := range 200 {
				conn, err := dialClosedPort()
				if err != nil {
					return err.Error()
				}
				local, remote := conn.LocalAddr().String(), conn.RemoteAddr().String()
				conn.Close()
				if local == remote {
					return fmt.Sprintf("call %d: the socket sends from the closed port %s to itself", i+1, remote)
				}
			}
			return ""
		}()
	}()
	if msg := <-errc; msg != "" {
		t.Fatal(msg)
	}
}

// loopbackUp sets IFF_UP on lo in the calling thread's namespace.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}
