package main

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dropwatch-go/dropwatch/internal/fixtures"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
)

// Expected output is written from the C tool's transcripts (testdata) and
// the reference's message tables, never from dropwatch's output.

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func summary(points ...dropmon.DropPoint) received {
	return received{evs: []dropmon.Event{{Alert: &dropmon.Alert{Points: points}}}}
}

func point(pc uint64, count uint32) dropmon.DropPoint { return dropmon.DropPoint{PC: pc, Count: count} }

// eofTail is what the C tool prints when its input ends at the prompt of a
// pipe (reference §2.3 and §2.7).
const eofTail = "dropwatch> Terminating dropwatch...\nShutting down ...\n"

// monitoringOutput is a start command's output up to the first alert
// (reference §2.3, transcripts).
const monitoringOutput = "dropwatch> start\n" +
	"Enabling monitoring...\n" +
	"Kernel monitoring activated.\n" +
	"Issue Ctrl-C to stop monitoring\n"

// startedOutput is the output from startup to the first alert.
const startedOutput = "Initializing null lookup method\n" + monitoringOutput

func checkOutput(t *testing.T, h *harness, want string) {
	t.Helper()
	if diff := cmp.Diff(want, h.stdout.String()); diff != "" {
		t.Errorf("stdout (-want +got):\n%s\nstderr:\n%s", diff, h.stderr)
	}
}

func checkCalls(t *testing.T, h *harness, want ...string) {
	t.Helper()
	if diff := cmp.Diff(want, h.be.recorded()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func checkCode(t *testing.T, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("exit status %d, want %d", got, want)
	}
}

func TestTranscriptShowStatsHelpExit(t *testing.T) {
	h := newHarness("show\nstats\nhelp\nexit\n")
	h.be.config = dropmon.Config{Mode: dropmon.ModePacket, TruncLen: 0, QueueLen: 1000}
	h.be.stats = dropmon.Stats{Software: &dropmon.OriginStats{}, Hardware: &dropmon.OriginStats{}}
	checkCode(t, h.run(t, "-l", "kas"), 0)
	// The C tool's help text, then dropwatch's addition.
	want := readTestdata(t, "c-6.1-show-stats-help-exit.txt")
	cStats := "stats\t\t\t\t - show statistics\n"
	checkOutput(t, h, strings.Replace(want, cStats, cStats+topHelp, 1))
	checkCalls(t, h, "config-get", "stats-get")
}

// packetAlert is one of the packet alerts of the packet-mode transcript.
func packetAlert(ns int) received {
	return received{evs: []dropmon.Event{{Packet: fixtures.UDPPacket(ns)}}}
}

// TestTranscripts replays the alerts of the C tool's transcripts and
// expects its output, then the end of input.
func TestTranscripts(t *testing.T) {
	tests := []struct {
		file   string
		args   []string
		input  string
		alerts []received
		// drainEnd is the timer that ends the drain after Ctrl-C: its full
		// length in summary mode; in packet mode, where the kernel sends
		// alerts at once, a quiet spell.
		drainEnd time.Duration
		calls    []string
	}{
		{
			file: "c-6.1-summary-kas.txt", args: []string{"-l", "kas"}, input: "start\n",
			alerts: []received{
				summary(point(0xffffffff878bcae2, 108)),
				summary(point(0xffffffff878bcae2, 109)),
				summary(point(0xffffffff878bcae2, 33)),
			},
			drainEnd: drops.DefaultTiming.Drain,
		},
		{
			file: "c-6.1-summary-null.txt", input: "start\n",
			alerts:   []received{summary(point(0xffffffff878bcae2, 25))},
			drainEnd: drops.DefaultTiming.Drain,
		},
		{
			file: "c-6.1-packet.txt", args: []string{"-l", "kas"}, input: "set alertmode packet\nstart\n",
			alerts:   []received{packetAlert(730595860), packetAlert(736095300)},
			drainEnd: drops.DefaultTiming.PacketQuiet,
			calls:    []string{"config mode=packet"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			h := newHarness(tt.input).start(tt.args...)
			h.be.waitCall(t, "start -")
			for _, a := range tt.alerts {
				h.be.send(t, a)
			}
			want := readTestdata(t, tt.file)
			h.stdout.waitFor(t, strings.TrimSuffix(want, "Got a stop message\n"))
			h.sigs <- os.Interrupt
			h.fire(t, tt.drainEnd)
			h.fire(t, drops.DefaultTiming.FlushQuiet)
			checkCode(t, h.wait(t), 0)
			checkOutput(t, h, want+eofTail)
			checkCalls(t, h, append(tt.calls, "listen", "stats-get", "start -", "stop -", "stats-get", "close-monitor")...)
		})
	}
}

// TestDrainBeforeStop: the kernel discards the summary counts it holds when
// it gets STOP, so after Ctrl-C dropwatch keeps printing for the drain
// period, then sends STOP, then prints what came before the STOP reply.
func TestDrainBeforeStop(t *testing.T) {
	h := newHarness("start\n").start()
	h.be.waitCall(t, "start -")
	h.be.send(t, summary(point(0x1111, 1)))
	h.stdout.waitFor(t, "1 drops at location 0x1111 [software]\n")
	h.sigs <- os.Interrupt
	h.be.send(t, summary(point(0x2222, 2)))
	h.stdout.waitFor(t, "2 drops at location 0x2222 [software]\n")
	checkCalls(t, h, "listen", "stats-get", "start -") // no STOP while draining
	h.fire(t, drops.DefaultTiming.Drain)
	h.be.waitCall(t, "stop -")
	h.be.send(t, summary(point(0x3333, 3)))
	h.stdout.waitFor(t, "3 drops at location 0x3333 [software]\n")
	h.fire(t, drops.DefaultTiming.FlushQuiet)
	checkCode(t, h.wait(t), 0)
	checkOutput(t, h, startedOutput+
		"1 drops at location 0x1111 [software]\n"+
		"2 drops at location 0x2222 [software]\n"+
		"3 drops at location 0x3333 [software]\n"+
		"Got a stop message\n"+
		eofTail)
	checkCalls(t, h, "listen", "stats-get", "start -", "stop -", "stats-get", "close-monitor")
}

// TestSecondInterruptSkipsDrain: a second Ctrl-C sends STOP at once and
// does not wait for stragglers after it.
func TestSecondInterruptSkipsDrain(t *testing.T) {
	h := newHarness("start\n").start()
	stopAtOnce(t, h)
	h.be.waitCall(t, "stop -")
	checkCode(t, h.wait(t), 0)
	checkOutput(t, h, startedOutput+
		"Got a stop message\n"+
		eofTail)
	// Only the drain timer was set: no flush after STOP.
	h.fire(t, drops.DefaultTiming.Drain)
	h.noTimer(t)
}

// TestAlertLimit: the rest of the message that reaches the limit is still
// printed (as in C), STOP is sent at once, and the limit counts anew at
// each start (the C tool never resets its count).
func TestAlertLimit(t *testing.T) {
	h := newHarness("set alertlimit 2\nstart\nstart\n").start()
	h.be.waitCall(t, "start -")
	h.be.send(t, summary(point(0x1, 1), point(0x2, 2), point(0x3, 3)))
	h.be.waitCall(t, "stop -")
	h.be.waitCall(t, "start -")
	h.be.send(t, summary(point(0x4, 4)))
	h.be.send(t, received{evs: []dropmon.Event{
		{Alert: &dropmon.Alert{HWEntries: []dropmon.HWEntry{{TrapName: "blackhole_route", Count: 5}}}},
		{Alert: &dropmon.Alert{Points: []dropmon.DropPoint{point(0x6, 6)}}},
	}})
	checkCode(t, h.wait(t), 0)
	checkOutput(t, h, "Initializing null lookup method\n"+
		"dropwatch> set alertlimit 2\n"+
		"setting alert capture limit to 2\n"+
		monitoringOutput+
		"1 drops at location 0x1 [software]\n"+
		"2 drops at location 0x2 [software]\n"+
		"3 drops at location 0x3 [software]\n"+
		"Alert limit reached, deactivating!\n"+
		"Deactivation requested, turning off monitoring\n"+
		"Got a stop message\n"+
		monitoringOutput+
		"4 drops at location 0x4 [software]\n"+
		"5 drops at blackhole_route [hardware]\n"+
		"Alert limit reached, deactivating!\n"+
		"Deactivation requested, turning off monitoring\n"+
		"Got a stop message\n"+
		eofTail)
	checkCalls(t, h, "listen", "stats-get", "start -", "stop -", "stats-get", "close-monitor", "listen", "stats-get", "start -", "stop -", "stats-get", "close-monitor")
	h.noTimer(t) // no drain for the limit
}

// TestStopOnlyWhatWeStarted: dropwatch sends STOP on its own only for
// monitoring it started; another tool's monitoring is stopped only by the
// stop command (or --force).
func TestStopOnlyWhatWeStarted(t *testing.T) {
	eagain := &dropmon.Error{Op: "start", Errno: syscall.EAGAIN}
	eperm := &dropmon.Error{Op: "stop", Errno: syscall.EPERM}
	tests := []struct {
		name  string
		input string
		block bool // input that never ends
		args  []string
		setup func(h *harness)
		drive func(t *testing.T, h *harness)
		code  int
		calls []string
	}{
		{
			name: "START refused: another tool monitors; end of input sends no STOP",
			setup: func(h *harness) {
				h.be.failNext("start", eagain)
			},
			input: "start\n",
			calls: []string{"listen", "stats-get", "start -", "close-monitor"},
		},
		{
			name:  "the stop command stops whoever started it",
			input: "stop\nexit\n",
			calls: []string{"stop -"},
		},
		{
			name:  "--force stops before starting",
			input: "start\n",
			args:  []string{"--force"},
			drive: stopAtOnce,
			calls: []string{"listen", "stats-get", "stop -", "start -", "stop -", "stats-get", "close-monitor"},
		},
		{
			name:  "a failed STOP is retried at exit",
			input: "start\nexit\n",
			setup: func(h *harness) { h.be.failNext("stop", eperm) },
			drive: stopAtOnce,
			calls: []string{"listen", "stats-get", "start -", "stop -", "stats-get", "close-monitor", "stop -"},
		},
		{
			name:  "a failed STOP is retried at end of input",
			input: "start\n",
			setup: func(h *harness) { h.be.failNext("stop", dropmon.ErrTimeout) },
			drive: stopAtOnce,
			calls: []string{"listen", "stats-get", "start -", "stop -", "stats-get", "close-monitor", "stop -"},
		},
		{
			name:  "SIGTERM while monitoring: drain, STOP, exit",
			input: "start\nstats\n",
			drive: func(t *testing.T, h *harness) {
				h.be.waitCall(t, "start -")
				h.sigs <- syscall.SIGTERM
				h.fire(t, drops.DefaultTiming.Drain)
				h.fire(t, drops.DefaultTiming.FlushQuiet)
			},
			code:  143,
			calls: []string{"listen", "stats-get", "start -", "stop -", "stats-get", "close-monitor"},
		},
		{
			name:  "SIGHUP while monitoring, then SIGTERM skips the drain",
			input: "start\n",
			drive: func(t *testing.T, h *harness) {
				h.be.waitCall(t, "start -")
				h.sigs <- syscall.SIGHUP
				h.sigs <- syscall.SIGTERM
			},
			code:  143,
			calls: []string{"listen", "stats-get", "start -", "stop -", "stats-get", "close-monitor"},
		},
		{
			name:  "SIGTERM at the prompt",
			block: true,
			drive: func(t *testing.T, h *harness) {
				h.sigs <- syscall.SIGTERM
			},
			code: 143,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(tt.input)
			if tt.block {
				h.app.stdin = blockingReader{}
			}
			if tt.setup != nil {
				tt.setup(h)
			}
			h.start(tt.args...)
			if tt.drive != nil {
				tt.drive(t, h)
			}
			checkCode(t, h.wait(t), tt.code)
			checkCalls(t, h, tt.calls...)
			if !strings.HasSuffix(h.stdout.String(), "Shutting down ...\n") {
				t.Errorf("output does not end with Shutting down:\n%s", h.stdout)
			}
		})
	}
}

// stopAtOnce waits for START, then presses Ctrl-C twice, which sends STOP
// without draining.
func stopAtOnce(t *testing.T, h *harness) {
	t.Helper()
	h.be.waitCall(t, "start -")
	h.interruptTwice()
}

func (h *harness) interruptTwice() {
	h.sigs <- os.Interrupt
	h.sigs <- os.Interrupt
}

// blockingReader is an input that never ends.
type blockingReader struct{}

func (blockingReader) Read([]byte) (int, error) { select {} }

// TestInterruptAtPipePrompt: SIGINT while waiting for a command that is not
// typed at a terminal ends dropwatch as the end of input does.
func TestInterruptAtPipePrompt(t *testing.T) {
	h := newHarness("")
	h.app.stdin = blockingReader{}
	h.start()
	h.stdout.waitFor(t, prompt)
	h.sigs <- os.Interrupt
	checkCode(t, h.wait(t), 130)
	checkOutput(t, h, "Initializing null lookup method\n"+eofTail)
	checkCalls(t, h)
}

func TestMonitoringEndsOnFailure(t *testing.T) {
	t.Run("stdout write error (EPIPE)", func(t *testing.T) {
		h := newHarness("start\nstats\n")
		h.stdout.failAfter = len("Initializing null lookup method\ndropwatch> start\nEnabling monitoring...\nKernel monitoring activated.\nIssue Ctrl-C to stop monitoring\n")
		h.start()
		h.be.waitCall(t, "start -")
		h.be.send(t, summary(point(0x1, 1)))
		checkCode(t, h.wait(t), 1)
		checkCalls(t, h, "listen", "stats-get", "start -", "stop -", "stats-get", "close-monitor")
		if want := "dropwatch: losses: kernel tail drops 0, socket overruns 0 (0 alerts lost), full summaries 0, malformed 0, tracepoint samples lost 0; filtered out 0\ndropwatch: writing output: write /dev/stdout: broken pipe\n"; h.stderr.String() != want {
			t.Errorf("stderr = %q, want %q", h.stderr, want)
		}
	})
	t.Run("receive error", func(t *testing.T) {
		h := newHarness("start\n").start()
		h.be.waitCall(t, "start -")
		h.be.send(t, received{err: &dropmon.Error{Op: "receive", Errno: syscall.EBADF}})
		checkCode(t, h.wait(t), 0)
		checkCalls(t, h, "listen", "stats-get", "start -", "stop -", "stats-get", "close-monitor")
		if want := "Receive operation failed:: Bad file descriptor\ndropwatch: losses: kernel tail drops 0, socket overruns 0 (0 alerts lost), full summaries 0, malformed 0, tracepoint samples lost 0; filtered out 0\n"; h.stderr.String() != want {
			t.Errorf("stderr = %q, want %q", h.stderr, want)
		}
		h.stdout.waitFor(t, "Got a stop message\n"+eofTail)
	})
	t.Run("panic", func(t *testing.T) {
		h := newHarness("start\n")
		panicked := make(chan any, 1)
		go func() {
			defer func() { panicked <- recover() }()
			h.app.main(nil)
		}()
		h.be.waitCall(t, "start -")
		h.be.send(t, received{panic: "boom"})
		select {
		case p := <-panicked:
			if p != "boom" {
				t.Errorf("panic %v, want boom", p)
			}
		case <-time.After(waitLimit):
			t.Fatal("no panic")
		}
		checkCalls(t, h, "listen", "stats-get", "start -", "close-monitor", "stop -")
	})
}

// TestLossesReported: when monitoring stops, one line on stderr counts
// every loss, zeros included. The kernel's tail drops are the difference
// of STATS_GET at START and at STOP, software and hardware.
func TestLossesReported(t *testing.T) {
	h := newHarness("start\n")
	h.be.statsSeq = []dropmon.Stats{
		{Software: &dropmon.OriginStats{Dropped: 5}},
		{Software: &dropmon.OriginStats{Dropped: 9}, Hardware: &dropmon.OriginStats{Dropped: 3}},
	}
	h.be.losses = dropmon.MonitorStats{Overruns: 2, FullSummaries: 1, Malformed: 4}
	h.be.drops = 17
	h.start()
	stopAtOnce(t, h)
	checkCode(t, h.wait(t), 0)
	want := "dropwatch: losses: kernel tail drops 7, socket overruns 2 (17 alerts lost), full summaries 1, malformed 4, tracepoint samples lost 0; filtered out 0\n"
	if diff := cmp.Diff(want, h.stderr.String()); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
}

// TestTracepointLosses: on the tracepoint, the tracer's lost samples are
// counted, and no STATS_GET is sent.
func TestTracepointLosses(t *testing.T) {
	tp, ft := newFakeTracepoint()
	ft.Lost = 6
	h := newHarness("start\n")
	h.app.backends.Tracepoint = func(bool) (drops.Kernel, error) { return tp, nil }
	h.start("--backend", "tracepoint")
	h.stdout.waitFor(t, msgIssueCtrlC)
	h.interruptTwice()
	checkCode(t, h.wait(t), 0)
	want := "dropwatch: losses: kernel tail drops 0, socket overruns 0 (0 alerts lost), full summaries 0, malformed 0, tracepoint samples lost 6; filtered out 0\n"
	if diff := cmp.Diff(want, h.stderr.String()); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
}

// TestOwnMonitoringLeftOn: after its STOP failed, dropwatch's next START is
// refused (EAGAIN) because of its own monitoring, and it says so.
func TestOwnMonitoringLeftOn(t *testing.T) {
	h := newHarness("start\nstart\n")
	h.be.failNext("stop", &dropmon.Error{Op: "stop", Errno: syscall.EPERM})
	h.be.failNext("start", nil)
	h.be.failNext("start", &dropmon.Error{Op: "start", Errno: syscall.EAGAIN})
	h.start()
	stopAtOnce(t, h)
	checkCode(t, h.wait(t), 0)
	checkCalls(t, h, "listen", "stats-get", "start -", "stop -", "stats-get", "close-monitor", "listen", "stats-get", "start -", "close-monitor", "stop -")
	if want := "dropwatch: the kernel still monitors for this dropwatch, whose STOP failed: type stop.\n"; !strings.Contains(h.stderr.String(), want) {
		t.Errorf("stderr = %q, want it to contain %q", h.stderr, want)
	}
}
