package main

import (
	"os"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPassive: --passive listens beside another tool and never sends
// CONFIG, START or STOP on its own; Ctrl-C ends listening at once.
func TestPassive(t *testing.T) {
	const listening = "dropwatch> start\n" +
		"Listening for drop alerts without starting monitoring (--passive)\n" +
		"Issue Ctrl-C to stop listening\n"
	t.Run("Ctrl-C", func(t *testing.T) {
		h := newHarness("set alertmode packet\nset trunc 10\nset queue 5\nstart\n").start("--passive")
		h.be.waitCall(t, "listen")
		h.be.send(t, summary(point(0x1111, 1)))
		h.stdout.waitFor(t, "1 drops at location 0x1111 [software]\n")
		h.sigs <- os.Interrupt
		checkCode(t, h.wait(t), 0)
		checkOutput(t, h, "Initializing null lookup method\n"+
			"dropwatch> set alertmode packet\n"+
			"dropwatch> set trunc 10\n"+
			"dropwatch> set queue 5\n"+
			listening+
			"1 drops at location 0x1111 [software]\n"+
			"Stopped listening; the kernel's monitoring is left as it was\n"+
			eofTail)
		checkCalls(t, h, "listen", "stats-get", "stats-get", "close-monitor")
		h.noTimer(t) // no drain: nothing of ours is pending
		for _, s := range []string{"alertmode", "trunc", "queue"} {
			want := "set " + s + " sends a CONFIG request, which --passive never does: the tool that started monitoring owns the configuration\n"
			h.stderr.waitFor(t, want)
		}
	})
	t.Run("SIGTERM exits without STOP", func(t *testing.T) {
		h := newHarness("start\n").start("--passive")
		h.be.waitCall(t, "listen")
		h.sigs <- syscall.SIGTERM
		checkCode(t, h.wait(t), 143)
		checkCalls(t, h, "listen", "stats-get", "stats-get", "close-monitor")
	})
	t.Run("alert limit", func(t *testing.T) {
		h := newHarness("set alertlimit 1\nstart\nexit\n").start("--passive")
		h.be.waitCall(t, "listen")
		h.be.send(t, summary(point(0x1, 1)))
		checkCode(t, h.wait(t), 0)
		checkOutput(t, h, "Initializing null lookup method\n"+
			"dropwatch> set alertlimit 1\n"+
			"setting alert capture limit to 1\n"+
			listening+
			"1 drops at location 0x1 [software]\n"+
			"Alert limit reached, deactivating!\n"+
			"Stopped listening; the kernel's monitoring is left as it was\n"+
			"dropwatch> exit\n"+
			"Shutting down ...\n")
		checkCalls(t, h, "listen", "stats-get", "stats-get", "close-monitor")
	})
	t.Run("typed stop still stops", func(t *testing.T) {
		h := newHarness("stop\nexit\n")
		checkCode(t, h.run(t, "--passive"), 0)
		checkCalls(t, h, "stop -")
	})
	t.Run("--force conflicts", func(t *testing.T) {
		_, err := parseArgs([]string{"--passive", "--force"})
		want := "dropwatch: --passive never sends START, so --force, which sends STOP before START, cannot go with it (try 'dropwatch --help')"
		if diff := cmp.Diff(want, err.Error()); diff != "" {
			t.Error(diff)
		}
	})
}
