package skbtrace

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openForTest opens a tracer as root, skipping with the reason when that
// cannot work here.
func openForTest(t *testing.T, opts Options) *Tracer {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: system-wide perf events on skb:kfree_skb")
	}
	tr, err := Open(opts)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("no skb:kfree_skb tracepoint here: %v", err)
	}
	if err != nil {
		t.Fatalf("Open(%+v): %v", opts, err)
	}
	t.Cleanup(func() {
		if err := tr.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return tr
}

// ksym is a kernel text symbol from /proc/kallsyms.
type ksym struct {
	addr uint64
	name string
}

// ksymsCache holds loadKsyms' table: kernel text does not move while the
// tests run, and reading it takes a while under the race detector.
var ksymsCache []ksym

// loadKsyms reads the kernel's text symbols sorted by address. It skips the
// test if the addresses are hidden (kptr_restrict).
func loadKsyms(t *testing.T) []ksym {
	t.Helper()
	if ksymsCache != nil {
		return ksymsCache
	}
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		t.Skipf("no /proc/kallsyms: %v", err)
	}
	defer f.Close()
	var syms []ksym
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 3 || !strings.ContainsAny(fs[1], "tTwW") {
			continue
		}
		a, err := strconv.ParseUint(fs[0], 16, 64)
		if err != nil {
			t.Fatalf("kallsyms line %q: %v", sc.Text(), err)
		}
		if a != 0 {
			syms = append(syms, ksym{a, fs[2]})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(syms) == 0 {
		t.Skip("/proc/kallsyms shows no addresses (kernel.kptr_restrict)")
	}
	slices.SortStableFunc(syms, func(a, b ksym) int { return cmpU64(a.addr, b.addr) })
	ksymsCache = syms
	return syms
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// symbolRange returns [start, end) of the named function: its address and
// the next higher symbol address.
func symbolRange(syms []ksym, name string) (start, end uint64, ok bool) {
	for i, s := range syms {
		if s.name != name {
			continue
		}
		for _, n := range syms[i+1:] {
			if n.addr > s.addr {
				return s.addr, n.addr, true
			}
		}
	}
	return 0, 0, false
}

// symbolize names the function containing addr.
func symbolize(syms []ksym, addr uint64) string {
	i, found := slices.BinarySearchFunc(syms, addr, func(s ksym, a uint64) int { return cmpU64(s.addr, a) })
	if !found {
		i--
	}
	if i < 0 {
		return "?"
	}
	return syms[i].name
}

func monotonicNow(t *testing.T) uint64 {
	t.Helper()
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatal(err)
	}
	return uint64(ts.Nano())
}

// udpSender sends UDP datagrams to a closed port on 127.0.0.1 (or ::1)
// from one thread, pinned to one CPU, in a network namespace of its own, so that its drops do not move
// the host's counters (test/vm/dropgen's tests read "Udp: NoPorts") and can
// be told from other tests' drops by the thread id (Drop.PID).
type udpSender struct {
	tid  int32
	req  chan udpRequest
	resp chan error
	// conn6 is the IPv6 socket, used on the sender's thread only; v6Err
	// is why there is none.
	conn6 *net.UDPConn
	v6Err error
}

// udpRequest asks the sender's thread for n drops over IPv4 or IPv6.
type udpRequest struct {
	n  int
	v6 bool
}

func newUDPSender(t *testing.T) *udpSender {
	t.Helper()
	s := &udpSender{req: make(chan udpRequest), resp: make(chan error)}
	ready := make(chan error)
	go func() {
		// Never unlocked: the thread ends with the goroutine and takes its
		// network namespace along.
		runtime.LockOSThread()
		conn, err := s.setup()
		if s.conn6 != nil {
			defer s.conn6.Close()
		}
		ready <- err
		if err != nil {
			return
		}
		defer conn.Close()
		for r := range s.req {
			c := conn
			if r.v6 {
				c = s.conn6
			}
			s.resp <- s.send(c, r.n)
		}
	}()
	if err := <-ready; err != nil {
		t.Fatalf("UDP sender in a new network namespace: %v", err)
	}
	t.Cleanup(func() { close(s.req) })
	return s
}

// setup moves the calling (locked) thread into a new network namespace,
// brings its loopback up and connects a UDP socket to a port there that
// nothing listens on, and another over IPv6 if the namespace's loopback has
// ::1 (the kernel adds it when lo comes up, unless IPv6 is disabled).
func (s *udpSender) setup() (*net.UDPConn, error) {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return nil, fmt.Errorf("unshare(CLONE_NEWNET): %w", err)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return nil, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return nil, fmt.Errorf("SIOCGIFFLAGS lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return nil, fmt.Errorf("SIOCSIFFLAGS lo up: %w", err)
	}
	// One CPU, so that all drops land in one ring buffer (the flood test
	// needs its loss reported by a later drop in the same buffer).
	var cpus unix.CPUSet
	if err := unix.SchedGetaffinity(0, &cpus); err != nil {
		return nil, err
	}
	for cpu := 0; cpu < len(cpus)*64; cpu++ {
		if cpus.IsSet(cpu) {
			cpus.Zero()
			cpus.Set(cpu)
			break
		}
	}
	if err := unix.SchedSetaffinity(0, &cpus); err != nil {
		return nil, err
	}
	s.tid = int32(unix.Gettid())
	s.conn6, s.v6Err = net.DialUDP("udp6", nil, &net.UDPAddr{IP: net.IPv6loopback, Port: 9})
	return net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9})
}

// send writes datagrams until the kernel accepted n. Each is dropped in
// __udp4_lib_rcv (__udp6_lib_rcv) with reason NO_SOCKET; the ICMP port
// unreachable it draws (loopback is exempt from the per-destination rate
// limit, icmpv4_xrlim_allow and icmpv6_xrlim_allow) makes the next write
// fail with ECONNREFUSED, which sends nothing, so writes are repeated.
func (s *udpSender) send(conn *net.UDPConn, n int) error {
	sent, refused := 0, 0
	for sent < n {
		_, err := conn.Write([]byte("skbtrace integration test"))
		switch {
		case err == nil:
			sent++
		case errors.Is(err, syscall.ECONNREFUSED) && refused < 100*n:
			refused++
		default:
			return fmt.Errorf("write %d (after %d refused): %w", sent, refused, err)
		}
	}
	return nil
}

// Send makes the kernel drop n datagrams.
func (s *udpSender) Send(t *testing.T, n int) {
	t.Helper()
	s.req <- udpRequest{n: n}
	if err := <-s.resp; err != nil {
		t.Fatal(err)
	}
}

// Send6 makes the kernel drop n datagrams sent over IPv6, skipping the test
// where the namespace has no IPv6 loopback.
func (s *udpSender) Send6(t *testing.T, n int) {
	t.Helper()
	if s.v6Err != nil {
		t.Skipf("no IPv6 on the loopback of a new network namespace: %v", s.v6Err)
	}
	s.req <- udpRequest{n: n, v6: true}
	if err := <-s.resp; err != nil {
		t.Fatal(err)
	}
}

// udpDrops recognises the drops a udpSender causes: at __udp4_lib_rcv, with
// reason NO_SOCKET where the kernel has reasons, and processed on the
// sender's thread. A drop processed by ksoftirqd instead (when the softirq
// is deferred under load) cannot be attributed: it counts as deferred.
type udpDrops struct {
	lo, hi uint64
	tid    int32
}

func newUDPDrops(t *testing.T, s *udpSender) udpDrops {
	t.Helper()
	return newUDPDropsAt(t, s, "__udp4_lib_rcv")
}

// newUDPDropsAt recognises the drops of a udpSender at the function fn
// instead: __udp6_lib_rcv for Send6's.
func newUDPDropsAt(t *testing.T, s *udpSender, fn string) udpDrops {
	t.Helper()
	lo, hi, ok := symbolRange(loadKsyms(t), fn)
	if !ok {
		t.Skipf("no %s in /proc/kallsyms (inlined in this build)", fn)
	}
	return udpDrops{lo: lo, hi: hi, tid: s.tid}
}

func (u udpDrops) at(d Drop) bool {
	return d.Location >= u.lo && d.Location < u.hi && (!d.HasReason || d.Reason == "NO_SOCKET")
}

func (u udpDrops) ours(d Drop) bool { return u.at(d) && d.PID == u.tid }

func (u udpDrops) deferred(d Drop) bool {
	if !u.at(d) || d.PID == u.tid {
		return false
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", d.PID))
	return err == nil && strings.HasPrefix(string(comm), "ksoftirqd/")
}

// collectUDP reads until want drops of ours (or deferred) came or ctx is
// done; want 0 reads until ctx is done.
func collectUDP(t *testing.T, ctx context.Context, tr *Tracer, u udpDrops, want int) (ours []Drop, deferred int) {
	t.Helper()
	got := collect(t, ctx, tr, func(d Drop) bool { return u.ours(d) || u.deferred(d) },
		func(got []Drop) bool { return want > 0 && len(got) >= want })
	for _, d := range got {
		if u.ours(d) {
			ours = append(ours, d)
		}
	}
	return ours, len(got) - len(ours)
}

// checkCount asserts that exactly n of our drops were read, allowing for
// drops lost or processed by ksoftirqd (which may be ours or not).
func checkCount(t *testing.T, what string, ours, deferred int, lost uint64, n int) {
	t.Helper()
	if deferred == 0 && lost == 0 {
		if ours != n {
			t.Errorf("%s: got %d drops, want %d", what, ours, n)
		}
		return
	}
	t.Logf("%s: %d drops of ours, %d processed by ksoftirqd, %d lost", what, ours, deferred, lost)
	if ours > n || uint64(ours+deferred)+lost < uint64(n) {
		t.Errorf("%s: got %d drops, %d by ksoftirqd, %d lost; want %d", what, ours, deferred, lost, n)
	}
}

// collect reads until stop says enough or ctx is done.
func collect(t *testing.T, ctx context.Context, tr *Tracer, keep func(Drop) bool, stop func([]Drop) bool) []Drop {
	t.Helper()
	var got []Drop
	for !stop(got) {
		drops, err := tr.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return got
			}
			t.Fatalf("Read: %v", err)
		}
		for _, d := range drops {
			if keep(d) {
				got = append(got, d)
			}
		}
	}
	return got
}

func TestIntegrationUDPNoSocket(t *testing.T) {
	const n = 200
	for _, stacks := range []bool{false, true} {
		t.Run("stacks="+strconv.FormatBool(stacks), func(t *testing.T) {
			// 4 MiB per CPU: room for other drops on a busy machine.
			tr := openForTest(t, Options{Stacks: stacks, PerCPUPages: 1024})
			s := newUDPSender(t)
			u := newUDPDrops(t, s)
			_, hasReason := tr.Format().Field("reason")

			before := monotonicNow(t)
			s.Send(t, n)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			got, deferred := collectUDP(t, ctx, tr, u, n)
			// Anything more would be counted twice: look a little longer.
			more, cancelMore := context.WithTimeout(context.Background(), 3*DefaultPollInterval)
			defer cancelMore()
			extra, extraDeferred := collectUDP(t, more, tr, u, 0)
			got, deferred = append(got, extra...), deferred+extraDeferred
			after := monotonicNow(t)

			st := tr.Stats()
			t.Logf("stats %+v; %d drops of ours, %d by ksoftirqd; __udp4_lib_rcv at %#x-%#x", st, len(got), deferred, u.lo, u.hi)
			if st.Malformed != 0 {
				t.Errorf("Stats().Malformed = %d, want 0", st.Malformed)
			}
			checkCount(t, "NO_SOCKET drops in __udp4_lib_rcv", len(got), deferred, st.Lost, n)
			cpus := tr.CPUs()
			syms := loadKsyms(t)
			for i, d := range got {
				if d.Protocol != 0x0800 || d.HasReason != hasReason {
					t.Errorf("drop %d: protocol %#x, has reason %v; want 0x800, %v", i, d.Protocol, d.HasReason, hasReason)
				}
				if !slices.Contains(cpus, int(d.CPU)) {
					t.Errorf("drop %d: CPU %d, want one of %v", i, d.CPU, cpus)
				}
				if d.Time < before || d.Time > after {
					t.Errorf("drop %d: time %d outside [%d, %d] (CLOCK_MONOTONIC)", i, d.Time, before, after)
				}
				if !stacks {
					if d.Stack != nil {
						t.Errorf("drop %d: stack %x without Options.Stacks", i, d.Stack)
					}
					continue
				}
				var names []string
				for _, pc := range d.Stack {
					names = append(names, symbolize(syms, pc))
				}
				if !slices.ContainsFunc(names, func(s string) bool {
					return s == "udp_rcv" || s == "ip_protocol_deliver_rcu" || s == "ip_local_deliver_finish"
				}) {
					t.Errorf("drop %d: stack %v has no udp_rcv, ip_protocol_deliver_rcu or ip_local_deliver_finish", i, names)
				}
				if i == 0 {
					t.Logf("first stack: %v", names)
				}
			}
		})
	}
}

func TestIntegrationClocks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		clock Clock
		id    int32
	}{
		{"monotonic", ClockMonotonic, unix.CLOCK_MONOTONIC},
		{"realtime", ClockRealtime, unix.CLOCK_REALTIME},
		{"boottime", ClockBoottime, unix.CLOCK_BOOTTIME},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := openForTest(t, Options{Clock: tc.clock})
			s := newUDPSender(t)
			u := newUDPDrops(t, s)
			now := func() uint64 {
				var ts unix.Timespec
				if err := unix.ClockGettime(tc.id, &ts); err != nil {
					t.Fatal(err)
				}
				return uint64(ts.Nano())
			}
			before := now()
			s.Send(t, 1)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			got, deferred := collectUDP(t, ctx, tr, u, 1)
			after := now()
			if len(got) == 0 && deferred > 0 {
				t.Skip("the drop was processed by ksoftirqd: cannot tell it is ours")
			}
			if len(got) != 1 {
				t.Fatalf("got %d drops, want 1", len(got))
			}
			if got[0].Time < before || got[0].Time > after {
				t.Errorf("time %d outside [%d, %d] of clock %d", got[0].Time, before, after, tc.id)
			}
		})
	}
}

// TestIntegrationWrapAndLost runs a one-page ring buffer: read in small
// batches, records wrap around its end many times and none is lost; left
// unread, it overflows and the kernel reports the loss.
func TestIntegrationWrapAndLost(t *testing.T) {
	tr := openForTest(t, Options{Stacks: true, PerCPUPages: 1})
	s := newUDPSender(t)
	u := newUDPDrops(t, s)
	const batches, batch = 100, 5
	total, totalDeferred := 0, 0
	for range batches {
		s.Send(t, batch)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		got, deferred := collectUDP(t, ctx, tr, u, batch)
		cancel()
		total, totalDeferred = total+len(got), totalDeferred+deferred
	}
	st := tr.Stats()
	t.Logf("%d drops through a %d byte ring per CPU; stats %+v", total, os.Getpagesize(), st)
	if st.Malformed != 0 {
		t.Errorf("Stats().Malformed = %d, want 0", st.Malformed)
	}
	checkCount(t, "batches", total, totalDeferred, st.Lost, batches*batch)

	const flood = 400 // ~100 KiB of samples with stacks, far beyond 2 pages
	s.Send(t, flood)
	ctx, cancel := context.WithTimeout(context.Background(), 3*DefaultPollInterval)
	defer cancel()
	got, deferred := collectUDP(t, ctx, tr, u, 0)
	// The kernel writes PERF_RECORD_LOST before the next sample it has
	// room for: make one more drop, then read until the loss shows.
	s.Send(t, 1)
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// The loss record and the sample after it may come in two reads: wait
	// for both (a flood that loses nothing fails at the timeout).
	before := len(got)
	got = append(got, collect(t, ctx, tr, u.ours, func(more []Drop) bool {
		lost := tr.Stats().Lost - st.Lost
		return lost > 0 && uint64(before+len(more)+deferred)+lost >= flood+1
	})...)
	lost := tr.Stats().Lost - st.Lost
	t.Logf("flood of %d+1: read %d, %d by ksoftirqd, lost %d", flood, len(got), deferred, lost)
	if lost == 0 || len(got) >= flood || uint64(len(got)+deferred)+lost < flood+1 {
		t.Errorf("flood of %d+1 into full rings: read %d (%d by ksoftirqd) and lost %d; want fewer read, some lost, read+lost >= %d",
			flood, len(got), deferred, lost, flood+1)
	}
	if st := tr.Stats(); st.Malformed != 0 {
		t.Errorf("Stats().Malformed = %d after the flood, want 0", st.Malformed)
	}
}

// TestIntegrationLostExactAfterDisable floods a one-page ring and makes no
// drop after it, so the kernel never writes its PERF_RECORD_LOST: after
// Disable and a read to the end, Stats.Lost still counts every sample the
// ring could not hold, and after Close it stays so.
func TestIntegrationLostExactAfterDisable(t *testing.T) {
	tr := openForTest(t, Options{Stacks: true, PerCPUPages: 1})
	s := newUDPSender(t)
	u := newUDPDrops(t, s)
	const flood = 400 // ~100 KiB of samples with stacks, far beyond a page
	s.Send(t, flood)
	if err := tr.Disable(); err != nil {
		t.Fatalf("Disable: %v", err)
	}
	// Disabled, the rings get nothing new: read until a read finds
	// nothing.
	var got []Drop
	deferred := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*DefaultPollInterval)
		drops, err := tr.Read(ctx)
		cancel()
		if err != nil && len(drops) == 0 {
			break
		}
		for _, d := range drops {
			switch {
			case u.ours(d):
				got = append(got, d)
			case u.deferred(d):
				deferred++
			}
		}
	}
	st := tr.Stats()
	t.Logf("flood of %d into a %d byte ring per CPU: read %d, %d by ksoftirqd; stats %+v", flood, os.Getpagesize(), len(got), deferred, st)
	if st.Lost == 0 || len(got) >= flood || uint64(len(got)+deferred)+st.Lost < flood {
		t.Errorf("after Disable: read %d (%d by ksoftirqd), lost %d; want fewer read than %d, and read+lost >= %d", len(got), deferred, st.Lost, flood, flood)
	}
	if err := tr.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if after := tr.Stats(); after.Lost != st.Lost {
		t.Errorf("Stats().Lost = %d after Close, %d before", after.Lost, st.Lost)
	}
}

func TestIntegrationReadContext(t *testing.T) {
	tr := openForTest(t, Options{})
	for _, tc := range []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		wantErr error
	}{
		{"canceled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Drops from other traffic may come first; the error must
			// come within a bounded number of reads.
			for i := 0; ; i++ {
				ctx, cancel := tc.ctx()
				_, err := tr.Read(ctx)
				cancel()
				if err != nil {
					if !errors.Is(err, tc.wantErr) {
						t.Fatalf("Read error = %v, want %v", err, tc.wantErr)
					}
					return
				}
				if i == 1000 {
					t.Fatalf("Read returned drops 1000 times, never %v", tc.wantErr)
				}
			}
		})
	}
}

func TestIntegrationCloseUnblocksRead(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: system-wide perf events on skb:kfree_skb")
	}
	tr, err := Open(Options{PollInterval: time.Hour})
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("no skb:kfree_skb tracepoint here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for {
			if _, err := tr.Read(context.Background()); err != nil {
				done <- err
				return
			}
		}
	}()
	if err := tr.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("blocked Read returned %v, want os.ErrClosed", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Read still blocked 20s after Close")
	}
	if _, err := tr.Read(context.Background()); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Read after Close = %v, want os.ErrClosed", err)
	}
	if err := tr.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

// TestOpenMissingTracepoint needs no privilege: the tracefs directory is a
// stand-in without the event.
func TestOpenMissingTracepoint(t *testing.T) {
	empty := t.TempDir()
	noEvent := t.TempDir()
	if err := os.MkdirAll(noEvent+"/events/sched", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dir, hint string
	}{
		{empty, "is not a tracefs mount"},
		{noEvent, "no skb:kfree_skb tracepoint"},
	} {
		tr, err := Open(Options{TracefsDir: tc.dir})
		if err == nil {
			tr.Close()
			t.Fatalf("Open(TracefsDir %s) succeeded", tc.dir)
		}
		if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), tc.hint) {
			t.Errorf("Open(TracefsDir %s) = %v, want os.ErrNotExist saying %q", tc.dir, err, tc.hint)
		}
	}
}
