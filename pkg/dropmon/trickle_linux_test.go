//go:build linux

package dropmon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// trickleSenderEnv makes the test binary a sender of packet alerts to a
// netlink port (BenchmarkMonitorTrickle): "PORT N RATE".
const trickleSenderEnv = "DROPMON_TRICKLE_SENDER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(trickleSenderEnv); spec != "" {
		os.Exit(trickleSend(spec))
	}
	os.Exit(m.Run())
}

// trickleSend sends N packet alerts to PORT at RATE a second, from a
// process of its own, so that its system calls and wake-ups are not the
// monitor's.
func trickleSend(spec string) int {
	var port uint32
	var n int
	var rate float64
	if _, err := fmt.Sscan(spec, &port, &n, &rate); err != nil {
		fmt.Fprintln(os.Stderr, "sender:", err)
		return 2
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_GENERIC)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sender:", err)
		return 2
	}
	attrs := encodeRaw(func(ae *netlink.AttributeEncoder) { ae.Uint64(attrPC, 1) })
	msg, err := netlink.Message{
		Header: netlink.Header{Length: uint32(unix.SizeofNlMsghdr + 4 + len(attrs)), Type: netlink.HeaderType(testFamilyID)},
		Data:   append([]byte{cmdPacketAlert, 2, 0, 0}, attrs...),
	}.MarshalBinary()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sender:", err)
		return 2
	}
	start := time.Now()
	for i := range n {
		time.Sleep(time.Until(start.Add(time.Duration(float64(i) * float64(time.Second) / rate))))
		if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Pid: port}); err != nil {
			fmt.Fprintln(os.Stderr, "sender:", err)
			return 1
		}
	}
	return 0
}

func encodeRaw(fn func(ae *netlink.AttributeEncoder)) []byte {
	ae := netlink.NewAttributeEncoder()
	fn(ae)
	b, err := ae.Encode()
	if err != nil {
		panic(err)
	}
	return b
}

// BenchmarkMonitorTrickle receives packet alerts that another process
// sends at a steady rate, as the kernel sends a trickle of drops, and
// reports the monitor's context switches (all its threads, getrusage)
// and CPU time per alert: what a wake-up per alert costs here, on one P
// and on two, with the raw read and with the runtime's read, which
// enters the scheduler's system call path. Root only (netlink unicast
// between user sockets needs CAP_NET_ADMIN).
func BenchmarkMonitorTrickle(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("netlink unicast between user sockets needs CAP_NET_ADMIN: run as root")
	}
	reads := []struct {
		name string
		fn   func(int, []byte) (int, error)
	}{
		{"raw", rawRead},
		{"runtime", unix.Read},
	}
	for _, rate := range []int{50, 500} {
		for _, procs := range []int{1, 2} {
			for _, rd := range reads {
				b.Run(fmt.Sprintf("rate=%d/procs=%d/read=%s", rate, procs, rd.name), func(b *testing.B) {
					defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
					defer func(f func(int, []byte) (int, error)) { readSocket = f }(readSocket)
					readSocket = rd.fn
					trickle(b, rate)
				})
			}
		}
	}
}

func trickle(b *testing.B, rate int) {
	m, err := openMonitor(MonitorConfig{Drained: true})
	if err != nil {
		b.Fatal(err)
	}
	defer m.close()
	m.familyID = testFamilyID
	n := b.N
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), trickleSenderEnv+"="+strconv.FormatUint(uint64(m.portid), 10)+" "+strconv.Itoa(n)+" "+strconv.Itoa(rate))
	cmd.Stderr = os.Stderr
	var before, after syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	b.ResetTimer()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(n)*time.Second/time.Duration(rate)+10*time.Second)
	defer cancel()
	for got := 0; got < n; {
		evs, err := m.receive(ctx)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			b.Fatalf("after %d of %d alerts: %v", got, n, err)
		}
		got += len(evs)
	}
	b.StopTimer()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	if err := cmd.Wait(); err != nil {
		b.Fatal(err)
	}
	sw := (after.Nvcsw + after.Nivcsw) - (before.Nvcsw + before.Nivcsw)
	cpu := time.Duration(syscall.TimevalToNsec(after.Utime) + syscall.TimevalToNsec(after.Stime) - syscall.TimevalToNsec(before.Utime) - syscall.TimevalToNsec(before.Stime))
	b.ReportMetric(float64(sw)/float64(n), "ctxsw/alert")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/alert")
}
