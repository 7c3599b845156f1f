package main

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
)

// zeroLosses is the table's loss line when nothing was lost.
const zeroLosses = "losses: kernel tail drops 0, socket overruns 0 (0 alerts lost), full summaries 0, malformed 0, tracepoint samples lost 0; filtered out 0"

// tableLines splits the top table that ends stdout into the words of each
// line, so that tests do not depend on its column widths.
func tableLines(t *testing.T, text string) [][]string {
	t.Helper()
	i := strings.Index(text, " #  ")
	if i < 0 {
		i = strings.Index(text, "#  ")
	}
	if i < 0 {
		t.Fatalf("no table in:\n%s", text)
	}
	var lines [][]string
	for _, l := range strings.Split(strings.TrimSuffix(text[i:], "\n"), "\n") {
		lines = append(lines, strings.Fields(l))
	}
	return lines
}

// TestOnce: --once streams alerts in the C tool's format on stdout, and
// when its time is up drains the kernel's pending summaries, sends STOP and
// prints the table; status lines go to stderr.
func TestOnce(t *testing.T) {
	h := newHarness("")
	h.app.stdin = blockingReader{} // --once never reads commands
	h.start("--once", "10s", "-l", "kas")
	h.be.waitCall(t, "start -")
	h.be.send(t, summary(point(0xffffffff878bcae2, 5), point(0x1111, 2)))
	h.stdout.waitFor(t, "2 drops at location 0x1111 [software]\n")
	h.fire(t, 10*time.Second)
	h.be.send(t, summary(point(0xffffffff878bcae2, 3))) // a pending batch, drained
	h.stdout.waitFor(t, "3 drops at __udp4_lib_rcv+9a2")
	checkCalls(t, h, "config-get", "listen", "stats-get", "start -") // no STOP before the drain ends
	h.fire(t, drops.DefaultTiming.Drain)
	h.be.waitCall(t, "stop -")
	h.fire(t, drops.DefaultTiming.FlushQuiet)
	checkCode(t, h.wait(t), 0)
	checkCalls(t, h, "config-get", "listen", "stats-get", "start -", "stop -", "stats-get", "close-monitor")
	out := h.stdout.String()
	alerts := "5 drops at __udp4_lib_rcv+9a2 (0xffffffff878bcae2) [software]\n" +
		"2 drops at location 0x1111 [software]\n" +
		"3 drops at __udp4_lib_rcv+9a2 (0xffffffff878bcae2) [software]\n"
	if !strings.HasPrefix(out, alerts) {
		t.Errorf("stdout does not start with the alerts:\n%s", out)
	}
	want := [][]string{
		{"#", "DROPS", "SHARE", "LOCATION", "REASON", "PROTO"},
		{"1", "8", "80.0%", "__udp4_lib_rcv+0x9a2", "-", "-"},
		{"2", "2", "20.0%", "0x1111", "-", "-"},
		strings.Fields("total: 10 drops in 2 rows"),
		strings.Fields(zeroLosses),
	}
	if diff := cmp.Diff(want, tableLines(t, out[len(alerts):])); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
	wantErr := "Initializing kallsyms db\n" +
		"Enabling monitoring...\n" +
		"Kernel monitoring activated.\n" +
		"Issue Ctrl-C to stop monitoring\n" +
		"Got a stop message\n"
	if diff := cmp.Diff(wantErr, h.stderr.String()); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
}

// TestOnceEnds: SIGTERM, Ctrl-C and the alert limit end --once as its
// time does, with the table and exit status 0.
func TestOnceEnds(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		drive func(t *testing.T, h *harness)
		calls []string
	}{
		{
			name: "SIGTERM drains, stops, prints the table",
			args: []string{"--once", "1m"},
			drive: func(t *testing.T, h *harness) {
				h.sigs <- syscall.SIGTERM
				h.fire(t, drops.DefaultTiming.Drain)
				h.fire(t, drops.DefaultTiming.FlushQuiet)
			},
			calls: []string{"config-get", "listen", "stats-get", "start -", "stop -", "stats-get", "close-monitor"},
		},
		{
			name:  "second Ctrl-C stops at once",
			args:  []string{"--once", "1m"},
			drive: func(t *testing.T, h *harness) { h.interruptTwice() },
			calls: []string{"config-get", "listen", "stats-get", "start -", "stop -", "stats-get", "close-monitor"},
		},
		{
			name: "alert limit, flags configure the kernel",
			args: []string{"--once=5", "--limit", "1", "--mode", "packet", "--trunc", "64", "--queue", "10", "--sw", "--hw"},
			drive: func(t *testing.T, h *harness) {
				h.be.send(t, packetAlert(1))
			},
			calls: []string{"config mode=packet", "config trunc=64", "config queue=10", "listen", "stats-get", "start sw+hw", "stop sw+hw", "stats-get", "close-monitor"},
		},
		{
			name: "passive: no CONFIG, START or STOP",
			args: []string{"--once", "3s", "--passive"},
			drive: func(t *testing.T, h *harness) {
				h.fire(t, 3*time.Second)
			},
			calls: []string{"config-get", "listen", "stats-get", "stats-get", "close-monitor"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness("")
			h.app.stdin = blockingReader{}
			h.start(tt.args...)
			h.be.waitCall(t, "listen")
			h.stderr.waitFor(t, "Issue Ctrl-C to stop")
			tt.drive(t, h)
			checkCode(t, h.wait(t), 0)
			checkCalls(t, h, tt.calls...)
			if !strings.HasSuffix(h.stdout.String(), zeroLosses+"\n") {
				t.Errorf("stdout does not end with the table:\n%s", h.stdout)
			}
			if strings.Contains(h.stdout.String(), "dropwatch>") || strings.Contains(h.stdout.String(), "Initializing") {
				t.Errorf("REPL text on stdout:\n%s", h.stdout)
			}
		})
	}
}

// TestOnceFailures: monitoring that cannot start exits 1.
func TestOnceFailures(t *testing.T) {
	h := newHarness("")
	h.be.failNext("start", &dropmon.Error{Op: "start", Errno: syscall.EPERM})
	checkCode(t, h.run(t, "--once", "1s"), 1)
	checkOutput(t, h, "")
	if !strings.Contains(h.stderr.String(), "Failed activation request, error: Operation not permitted\n") {
		t.Errorf("stderr:\n%s", h.stderr)
	}
	h = newHarness("")
	h.be.failNext("config", &dropmon.Error{Op: "config", Errno: syscall.EBUSY})
	checkCode(t, h.run(t, "--once", "1s", "--mode", "packet"), 1)
	checkCalls(t, h, "config mode=packet")
}

// TestOnceInterruptedDuringDrain: Ctrl-C while draining (the time is up)
// stops at once.
func TestOnceInterruptedDuringDrain(t *testing.T) {
	h := newHarness("")
	h.app.stdin = blockingReader{}
	h.start("--once", "2s")
	h.be.waitCall(t, "start -")
	h.fire(t, 2*time.Second)
	// The signal must come after dropwatch has seen the time up, which
	// it shows by setting the drain's timer; before, it starts the drain.
	h.waitTimer(t, drops.DefaultTiming.Drain)
	h.sigs <- os.Interrupt
	checkCode(t, h.wait(t), 0)
	checkCalls(t, h, "config-get", "listen", "stats-get", "start -", "stop -", "stats-get", "close-monitor")
}

// TestOnceTracepointSettings: --hw, --trunc and --queue mean nothing to the
// tracepoint: each is said on stderr and monitoring goes on.
func TestOnceTracepointSettings(t *testing.T) {
	h := newHarness("")
	h.app.stdin = blockingReader{}
	h.app.backends.Tracepoint = func(bool) (drops.Kernel, error) { return h.be, nil }
	h.start("--backend", "tracepoint", "--once", "1", "--hw", "--trunc", "5", "--queue", "7")
	h.be.waitCall(t, "start -")
	h.fire(t, time.Second)
	h.fire(t, drops.DefaultTiming.Drain)
	h.fire(t, drops.DefaultTiming.FlushQuiet)
	checkCode(t, h.wait(t), 0)
	want := "Initializing null lookup method\n" +
		"dropwatch: --hw: set hw does not apply to the skb:kfree_skb tracepoint backend: it reports software drops only\n" +
		"dropwatch: --trunc: set trunc does not apply to the skb:kfree_skb tracepoint backend: its packet alerts carry no packet data\n" +
		"dropwatch: --queue: set queue does not apply to the skb:kfree_skb tracepoint backend: it has no kernel queue; lost samples are counted instead (stats)\n" +
		"Enabling monitoring...\n"
	if !strings.HasPrefix(h.stderr.String(), want) {
		t.Errorf("stderr:\n%s\nwant it to start with:\n%s", h.stderr, want)
	}
	// No STATS_GET either: the tracer counts its own losses.
	checkCalls(t, h, "config-get", "listen", "start -", "stop -", "close-monitor")
}
