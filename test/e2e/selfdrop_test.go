//go:build vmtest

package e2e

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// summaryFlush is how long after a drop its summary alert has surely been
// sent: the kernel holds a CPU's summary for HZ after its first drop
// (net_dm_summary timer in net/core/drop_monitor.c). A socket closed with
// datagrams queued is purged after an RCU grace period (netlink_release
// defers netlink_sock_destruct), which adds a little more.
const summaryFlush = 2500 * time.Millisecond

// foreign returns the drops seen since base at locations outside sym, as
// "N at symbol+off" sorted, for a message.
func (w *watcher) foreign(t testing.TB, base map[uint64]int, sym symRange) []string {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for pc, n := range w.pcs {
		if sym.contains(pc) || n == base[pc] {
			continue
		}
		out = append(out, fmt.Sprintf("%d at %s", n-base[pc], symbolize(t, pc)))
	}
	sort.Strings(out)
	return out
}

func (w *watcher) snapshot() map[uint64]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := make(map[uint64]int, len(w.pcs))
	for pc, n := range w.pcs {
		m[pc] = n
	}
	return m
}

// symbolize names pc as symbol+0xoff from /proc/kallsyms, for messages.
func symbolize(t testing.TB, pc uint64) string {
	t.Helper()
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		return fmt.Sprintf("%#x", pc)
	}
	defer f.Close()
	best, bestAddr := "", uint64(0)
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 3 {
			continue
		}
		addr, err := strconv.ParseUint(fields[0], 16, 64)
		if err == nil && addr <= pc && addr > bestAddr {
			best, bestAddr = fields[2], addr
		}
	}
	if best == "" {
		return fmt.Sprintf("%#x", pc)
	}
	return fmt.Sprintf("%s+%#x (%#x)", best, pc-bestAddr, pc)
}

// TestNoDropsOfOurOwn: a drop monitor must never make drops. A C dropwatch
// monitors in summary mode, and our own dropwatch --passive listens beside
// it; each of our commands runs and ends in each way it can, and neither
// they nor the test's own watcher may see a drop anywhere but at the
// test's own drops in __udp4_lib_rcv. Before the fix, every exit of ours
// freed the wake-up message our monitor had sent itself, still queued on
// its socket, as a drop: "1 drops at skb_queue_purge_reason+f8" on 6.12,
// skb_queue_purge on 6.1.
func TestNoDropsOfOurOwn(t *testing.T) {
	const drops = 4
	k := newKernel(t)
	c := startProc(t, cDropwatch.path(t), "-l", "kas")
	c.send(t, "start")
	waitActivated(t, k, c)
	passive := startProc(t, goDropwatch.path(t), "-l", "kas", "--passive")
	passive.send(t, "start")
	passive.waitFor(t, &passive.stdout, "Issue Ctrl-C to stop listening", stateTimeout)
	defer func() {
		c.signal(t, syscall.SIGINT)
		k.dm.waitMonitoring(t, false, stateTimeout)
		c.finish(t)
		saveTranscript(t, "C", c)
	}()
	dwdumpOut := filepath.Join(t.TempDir(), "capture.pcap")
	dwdump := tool{"Go", "DWDUMP_BIN"}

	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"dropwatch-start-refused", func(t *testing.T) {
			p := startProc(t, goDropwatch.path(t), "-l", "kas")
			p.send(t, "start")
			p.waitFor(t, &p.stdout, "Failed activation request", stateTimeout)
			p.finish(t)
		}},
		{"dropwatch-passive-once", func(t *testing.T) {
			p := startProc(t, goDropwatch.path(t), "-l", "kas", "--passive", "--once", "2s")
			p.waitFor(t, &p.stderr, "Issue Ctrl-C to stop listening", stateTimeout)
			k.makeDrops(t, drops)
			if code := p.wait(t, stateTimeout); code != 0 {
				t.Errorf("exit code %d, want 0; stderr:\n%s", code, p.stderr.String())
			}
		}},
		{"dropwatch-passive-sigint", func(t *testing.T) {
			p := startProc(t, goDropwatch.path(t), "-l", "kas", "--passive")
			p.send(t, "start")
			p.waitFor(t, &p.stdout, "Issue Ctrl-C to stop listening", stateTimeout)
			k.makeDrops(t, drops)
			p.signal(t, syscall.SIGINT)
			p.finish(t)
		}},
		{"dropwatch-passive-end-of-input", func(t *testing.T) {
			p := startProc(t, goDropwatch.path(t), "-l", "kas", "--passive")
			p.send(t, "start")
			p.waitFor(t, &p.stdout, "Issue Ctrl-C to stop listening", stateTimeout)
			// As "echo start | dropwatch --passive": no command is
			// read until Ctrl-C, then end of input ends it.
			p.stdin.Close()
			k.makeDrops(t, drops)
			p.signal(t, syscall.SIGINT)
			p.wait(t, stateTimeout)
		}},
		{"dropwatch-passive-sigterm", func(t *testing.T) {
			p := startProc(t, goDropwatch.path(t), "-l", "kas", "--passive")
			p.send(t, "start")
			p.waitFor(t, &p.stdout, "Issue Ctrl-C to stop listening", stateTimeout)
			k.makeDrops(t, drops)
			p.signal(t, syscall.SIGTERM)
			p.wait(t, stateTimeout)
		}},
		{"dwdump-query", func(t *testing.T) {
			p := startProc(t, dwdump.path(t), "-q")
			p.wait(t, stateTimeout)
		}},
		{"dwdump-stats", func(t *testing.T) {
			p := startProc(t, dwdump.path(t), "-s")
			p.wait(t, stateTimeout)
		}},
		{"dwdump-start-refused", func(t *testing.T) {
			p := startProc(t, dwdump.path(t), "-w", dwdumpOut)
			p.wait(t, stateTimeout)
		}},
		{"dwdump-passive-sigint", func(t *testing.T) {
			p := startProc(t, dwdump.path(t), "-p", "-w", dwdumpOut)
			// dwdump says nothing when it is ready: its socket in the
			// group is.
			p.waitUntil(t, "join NET_DM's group", func() bool { return inEventsGroup(p.cmd.Process.Pid) }, stateTimeout)
			k.makeDrops(t, drops)
			p.signal(t, syscall.SIGINT)
			p.wait(t, stateTimeout)
		}},
	}
	// Whatever an earlier test's processes left to be freed has been
	// reported by now; from here on, only the test's drops may come.
	time.Sleep(summaryFlush)
	base := k.w.snapshot()
	var ran []string
	for _, st := range steps {
		if t.Run(st.name, st.run) {
			ran = append(ran, st.name)
		}
	}
	time.Sleep(summaryFlush)
	if got := k.w.foreign(t, base, k.udp); len(got) > 0 {
		t.Errorf("drops the test did not make, after ours ran %q: %q", ran, got)
	}
	// An idle guest, monitored by ours alone for 10 s: no drop at all.
	t.Run("dropwatch-once-idle", func(t *testing.T) {
		c.signal(t, syscall.SIGINT)
		k.dm.waitMonitoring(t, false, stateTimeout)
		before := k.w.snapshot()
		p := startProc(t, goDropwatch.path(t), "-l", "kas", "--once", "10s")
		if code := p.wait(t, 10*time.Second+stateTimeout); code != 0 {
			t.Errorf("exit code %d, want 0; stderr:\n%s", code, p.stderr.String())
		}
		saveTranscript(t, "Go", p)
		if tt := topTableOf(t, p.stdout.String()); tt.total != 0 {
			t.Errorf("ours reported %d drops monitoring an idle guest:\n%s", tt.total, p.stdout.String())
		}
		// Its own exit, seen by the passive listener and the watcher.
		c.send(t, "start")
		waitActivated(t, k, c)
		time.Sleep(summaryFlush)
		if got := k.w.foreign(t, before, k.udp); len(got) > 0 {
			t.Errorf("drops while and after ours monitored an idle guest: %q", got)
		}
	})

	passive.signal(t, syscall.SIGINT)
	passive.finish(t)
	saveTranscript(t, "Go-passive", passive)
	// What our passive listener printed: only the test's drops.
	var others []string
	for _, line := range strings.Split(passive.stdout.String(), "\n") {
		if m := summaryRe.FindStringSubmatch(line); m != nil && !strings.HasPrefix(m[2], k.udp.name+"+") {
			others = append(others, line)
		}
	}
	if len(others) > 0 {
		t.Errorf("our --passive listener reported drops the test did not make: %q", others)
	}
}

// inEventsGroup reports whether a socket of pid is in NET_DM's "events"
// group, bit 0 of /proc/net/netlink's Groups (see procBusy).
func inEventsGroup(pid int) bool {
	inodes := socketInodes(pid)
	f, err := os.Open("/proc/net/netlink")
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 10 || !inodes[fields[9]] {
			continue
		}
		if g, err := strconv.ParseUint(fields[3], 16, 32); err == nil && g&1 != 0 {
			return true
		}
	}
	return false
}
