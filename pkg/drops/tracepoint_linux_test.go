package drops_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
)

// TestTracepointTasks runs on this machine's skb:kfree_skb tracepoint (as
// root): the drops dropgen makes, a separate process, carry its pid and
// comm. dropgen's datagrams to a closed port on 127.0.0.1 are freed in
// __udp4_lib_rcv with NO_SOCKET inside its own write (loopback's netif_rx
// queues them on the sender's CPU, and the softirq runs as the write
// returns to user space: net/core/dev.c), so the task is dropgen's.
func TestTracepointTasks(t *testing.T) {
	bin := buildDropgen(t)
	eng := openTracepoint(t)
	type task struct {
		pid  int32
		comm string
	}
	byTask := map[task]int{}
	const n = 20
	recs, pid := watchDropgen(t, eng, bin, n)
	for _, r := range recs {
		if r.Reason != "NO_SOCKET" || r.Location.Symbol != "__udp4_lib_rcv" {
			continue
		}
		if !r.HasTask {
			t.Errorf("a packet record without its task: %+v", r)
		}
		byTask[task{r.Task.PID, r.Task.Comm}]++
	}
	// Other processes may drop UDP to closed ports meanwhile; dropgen's n
	// drops are its own.
	if got := byTask[task{int32(pid), "dropgen"}]; got != n {
		var others []string
		for k, c := range byTask {
			others = append(others, k.comm+"/"+strconv.Itoa(int(k.pid))+":"+strconv.Itoa(c))
		}
		t.Errorf("%d drops of dropgen (pid %d), want %d; by task: %s", got, pid, n, strings.Join(others, " "))
	}
}

// TestTracepointKernelFilter: the filter FilterInKernel sets in the kernel
// keeps the samples it rejects from the watch: dropgen's drops (IPv4,
// NO_SOCKET) never reach a watch keeping IPv6 only, and all of them reach
// one keeping IPv4 and NO_SOCKET, which sees nothing else.
func TestTracepointKernelFilter(t *testing.T) {
	const ipv4, ipv6 = 0x0800, 0x86dd
	bin := buildDropgen(t)
	eng := openTracepoint(t)
	const n = 20
	for _, tc := range []struct {
		reasons   []string
		protocols []uint16
		want      int // of dropgen's drops
	}{
		{protocols: []uint16{ipv6}, want: 0},
		{reasons: []string{"NO_SOCKET"}, protocols: []uint16{ipv4}, want: n},
	} {
		if !eng.FilterInKernel(tc.reasons, tc.protocols) {
			t.Fatal("the tracepoint backend does not filter in the kernel")
		}
		ours, deferred, others := 0, 0, 0
		recs, pid := watchDropgen(t, eng, bin, n)
		for _, r := range recs {
			if !r.HasProto || !slices.Contains(tc.protocols, r.Proto) || tc.reasons != nil && !slices.Contains(tc.reasons, r.Reason) {
				others++
			}
			if r.Location.Symbol != "__udp4_lib_rcv" || !r.HasTask {
				continue
			}
			switch {
			case r.Task.PID == int32(pid):
				ours++
			case strings.HasPrefix(r.Task.Comm, "ksoftirqd/"):
				// The softirq ran deferred, under load: maybe ours.
				deferred++
			}
		}
		if ours > tc.want || ours+deferred < tc.want || others != 0 {
			t.Errorf("FilterInKernel(%q, %#x): %d drops of dropgen and %d by ksoftirqd, want %d, and %d others the filter rejects",
				tc.reasons, tc.protocols, ours, deferred, tc.want, others)
		}
	}
}

// buildDropgen builds test/vm/dropgen's command, skipping unless root.
func buildDropgen(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("needs root: system-wide perf events on skb:kfree_skb")
		}
		t.Skip("needs root: system-wide perf events on skb:kfree_skb")
	}
	bin := filepath.Join(t.TempDir(), "dropgen")
	build := exec.Command("go", "build", "-o", bin, "github.com/dropwatch-go/dropwatch/test/vm/dropgen/cmd/dropgen")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building dropgen: %v\n%s", err, out)
	}
	return bin
}

// openTracepoint opens an engine on the tracepoint in packet mode.
func openTracepoint(t *testing.T) *drops.Engine {
	t.Helper()
	file, err := drops.OpenKallsyms("")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := drops.Open(drops.Options{Backend: drops.BackendTracepoint, Symbols: drops.NewSymbols(file, func(error) {})})
	if errors.Is(err, os.ErrNotExist) && os.Getenv("CI") != "true" {
		t.Skipf("no skb:kfree_skb tracepoint here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	mode := dropmon.ModePacket
	if err := eng.SetConfig(dropmon.ConfigUpdate{Mode: &mode}); err != nil {
		t.Fatal(err)
	}
	return eng
}

// watchDropgen watches for 3 s while dropgen makes n drops, and returns
// the records (without their packets and stacks) and dropgen's pid.
func watchDropgen(t *testing.T, eng *drops.Engine, bin string, n int) ([]drops.Record, int) {
	t.Helper()
	w, err := eng.Watch(drops.WatchOptions{Source: dropmon.SourceSoftware, For: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	gen := exec.Command(bin, "-n", strconv.Itoa(n))
	var recs []drops.Record
	done := make(chan error, 1)
	go func() {
		time.Sleep(500 * time.Millisecond) // the watch is open; the tracer reads
		done <- gen.Run()
	}()
	take := drops.TakeFunc(func(b *drops.Batch) error {
		for _, r := range b.Records {
			r.Packet, r.Stack = nil, nil // valid only during Take
			recs = append(recs, r)
		}
		return nil
	})
	w.Run(take)
	w.Stop(take)
	if err := <-done; err != nil {
		t.Fatalf("dropgen: %v", err)
	}
	return recs, gen.Process.Pid
}
