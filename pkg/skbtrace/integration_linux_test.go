package skbtrace

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
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

// loadKsyms reads the kernel's text symbols sorted by address. It skips the
// test if the addresses are hidden (kptr_restrict).
func loadKsyms(t *testing.T) []ksym {
	t.Helper()
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

// sendToClosedPort writes n datagrams that the kernel accepts to a UDP port
// on 127.0.0.1 nobody listens on. Each is dropped in __udp4_lib_rcv with
// reason NO_SOCKET; the ICMP port unreachable it draws (loopback is not
// rate limited) makes the next write fail with ECONNREFUSED, which sends
// nothing, so writes are repeated until n succeeded.
func sendToClosedPort(t *testing.T, n int) {
	t.Helper()
	l, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.LocalAddr().(*net.UDPAddr)
	l.Close()
	c, err := net.DialUDP("udp4", nil, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sent, refused := 0, 0
	for sent < n {
		_, err := c.Write([]byte("skbtrace integration test"))
		switch {
		case err == nil:
			sent++
		case errors.Is(err, syscall.ECONNREFUSED) && refused < 100*n:
			refused++
		default:
			t.Fatalf("write %d to %v (after %d refused): %v", sent, addr, refused, err)
		}
	}
	t.Logf("sent %d datagrams to %v, %d writes refused", sent, addr, refused)
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
			syms := loadKsyms(t)
			lo, hi, ok := symbolRange(syms, "__udp4_lib_rcv")
			if !ok {
				t.Skip("no __udp4_lib_rcv in /proc/kallsyms (inlined in this build)")
			}
			f := tr.Format()
			_, hasReason := f.Field("reason")
			wantReason := uint32(0)
			if hasReason {
				for code, name := range f.Reasons {
					if name == "NO_SOCKET" {
						wantReason = code
					}
				}
				if wantReason == 0 {
					t.Fatalf("reason table has no NO_SOCKET: %v", f.Reasons)
				}
			}
			ours := func(d Drop) bool {
				return d.Location >= lo && d.Location < hi && (!hasReason || d.ReasonCode == wantReason)
			}

			before := monotonicNow(t)
			sendToClosedPort(t, n)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			got := collect(t, ctx, tr, ours, func(got []Drop) bool { return len(got) >= n })
			// Anything more would be counted twice: look a little longer.
			more, cancelMore := context.WithTimeout(context.Background(), 3*DefaultPollInterval)
			defer cancelMore()
			got = append(got, collect(t, more, tr, ours, func([]Drop) bool { return false })...)
			after := monotonicNow(t)

			st := tr.Stats()
			t.Logf("stats %+v, %d drops of ours, __udp4_lib_rcv at %#x-%#x", st, len(got), lo, hi)
			if st.Malformed != 0 {
				t.Errorf("Stats().Malformed = %d, want 0", st.Malformed)
			}
			if st.Lost == 0 && len(got) != n {
				t.Fatalf("got %d NO_SOCKET drops in __udp4_lib_rcv, want %d", len(got), n)
			}
			if st.Lost != 0 && (len(got) > n || uint64(len(got))+st.Lost < n) {
				t.Fatalf("got %d NO_SOCKET drops in __udp4_lib_rcv with %d lost, want %d", len(got), st.Lost, n)
			}
			cpus := tr.CPUs()
			for i, d := range got {
				if d.Protocol != 0x0800 || d.Reason != "NO_SOCKET" && hasReason || !d.HasReason && hasReason {
					t.Errorf("drop %d: protocol %#x reason %q (%d, has %v), want 0x800 NO_SOCKET", i, d.Protocol, d.Reason, d.ReasonCode, d.HasReason)
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
