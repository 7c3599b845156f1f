package drops_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
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
	defer eng.Close()
	mode := dropmon.ModePacket
	if err := eng.SetConfig(dropmon.ConfigUpdate{Mode: &mode}); err != nil {
		t.Fatal(err)
	}
	w, err := eng.Watch(drops.WatchOptions{Source: dropmon.SourceSoftware, For: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	const n = 20
	gen := exec.Command(bin, "-n", strconv.Itoa(n))
	var pid int
	done := make(chan error, 1)
	go func() {
		time.Sleep(500 * time.Millisecond) // the watch is open; the tracer reads
		if err := gen.Start(); err != nil {
			done <- err
			return
		}
		pid = gen.Process.Pid
		done <- gen.Wait()
	}()
	type task struct {
		pid  int32
		comm string
	}
	byTask := map[task]int{}
	take := drops.TakeFunc(func(b *drops.Batch) error {
		for _, r := range b.Records {
			if r.Reason != "NO_SOCKET" || r.Location.Symbol != "__udp4_lib_rcv" {
				continue
			}
			if !r.HasTask {
				t.Errorf("a packet record without its task: %+v", r)
			}
			byTask[task{r.Task.PID, r.Task.Comm}]++
		}
		return nil
	})
	w.Run(take)
	w.Stop(take)
	if err := <-done; err != nil {
		t.Fatalf("dropgen: %v", err)
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
