package main

import (
	"strings"
	"testing"
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/kallsyms"
)

// slowLoader is a symbol loader that does not return until the test
// releases it, as /proc/kallsyms takes seconds to parse under emulation.
type slowLoader struct {
	paths   chan string // the path of each load, when it begins
	release chan struct{}
	err     error
}

func newSlowLoader(err error) *slowLoader {
	return &slowLoader{paths: make(chan string, 2), release: make(chan struct{}), err: err}
}

func (l *slowLoader) load(path string) (func() (resolver, error), error) {
	l.paths <- path
	return func() (resolver, error) {
		<-l.release
		if l.err != nil {
			return nil, l.err
		}
		return testSymbols(), nil
	}, nil
}

// parsed is a loader whose file opens and whose parse gives r, err.
func parsed(r resolver, err error) symbolLoader {
	return func(string) (func() (resolver, error), error) {
		return func() (resolver, error) { return r, err }, nil
	}
}

// A --kallsyms path that cannot be opened is reported at startup, even in
// a session that never looks a symbol up.
func TestKallsymsUnopenable(t *testing.T) {
	h := newHarness("exit\n")
	h.app.loadSymbols = openKallsyms
	path := t.TempDir() + "/missing"
	checkCode(t, h.run(t, "--kallsyms", path), 0)
	want := "dropwatch: cannot use " + path + " (open " + path + ": no such file or directory), so drop locations are printed as raw addresses\n"
	if !strings.Contains(h.stderr.String(), want) {
		t.Errorf("stderr = %q, want it to contain %q", h.stderr, want)
	}
	if !strings.HasPrefix(h.stdout.String(), "Initializing kallsyms db\n") {
		t.Errorf("stdout does not start with the kallsyms line:\n%s", h.stdout)
	}
}

// TestKallsymsLoadsInBackground: the table loads while monitoring starts.
// START goes out and the C tool's lines are printed while the loader has
// not returned; the first summary alert waits for the table and is
// resolved.
func TestKallsymsLoadsInBackground(t *testing.T) {
	l := newSlowLoader(nil)
	h := newHarness("start\n")
	h.app.loadSymbols = l.load
	h.start("--kallsyms", "/tmp/k")
	h.be.waitCall(t, "start -")
	h.stdout.waitFor(t, "Issue Ctrl-C to stop monitoring\n")
	if got := <-l.paths; got != "/tmp/k" {
		t.Errorf("loaded %q, want /tmp/k", got)
	}
	// Fed without waiting: rendering it waits for the table.
	h.be.feed <- summary(point(0xffffffff878bcae2, 25))
	close(l.release)
	h.stdout.waitFor(t, "25 drops at __udp4_lib_rcv+9a2 (0xffffffff878bcae2) [software]\n")
	h.be.send(t, summary(point(0xffffffff82094413, 3)))
	h.stdout.waitFor(t, "3 drops at tcp_v4_rcv+1a3 (0xffffffff82094413) [software]\n")
	h.interruptTwice()
	checkCode(t, h.wait(t), 0)
	want := "Initializing kallsyms db\n" + monitoringOutput +
		"25 drops at __udp4_lib_rcv+9a2 (0xffffffff878bcae2) [software]\n" +
		"3 drops at tcp_v4_rcv+1a3 (0xffffffff82094413) [software]\n"
	if !strings.HasPrefix(h.stdout.String(), want) {
		t.Errorf("stdout does not start with %q:\n%s", want, h.stdout)
	}
	if len(l.paths) != 0 {
		t.Errorf("the table was loaded more than once")
	}
}

// TestKallsymsFailsInBackground: a table that fails to load after START
// is reported once, at the first lookup, and leaves raw addresses.
func TestKallsymsFailsInBackground(t *testing.T) {
	l := newSlowLoader(kallsyms.ErrRestricted)
	h := newHarness("start\n")
	h.app.loadSymbols = l.load
	h.start("-l", "kas")
	h.be.waitCall(t, "start -")
	h.stdout.waitFor(t, "Issue Ctrl-C to stop monitoring\n")
	if h.stderr.String() != "" {
		t.Errorf("stderr before the first lookup: %q", h.stderr)
	}
	close(l.release)
	h.be.send(t, summary(point(0xffffffff878bcae2, 25)))
	h.be.send(t, summary(point(0xffffffff82094413, 3)))
	h.stdout.waitFor(t, "25 drops at location 0xffffffff878bcae2 [software]\n3 drops at location 0xffffffff82094413 [software]\n")
	h.interruptTwice()
	checkCode(t, h.wait(t), 0)
	if n := strings.Count(h.stderr.String(), "raw addresses"); n != 1 {
		t.Errorf("the failure was reported %d times, want once:\n%s", n, h.stderr)
	}
	if !strings.HasPrefix(h.stderr.String(), "dropwatch: every address in /proc/kallsyms is zero") {
		t.Errorf("stderr = %q", h.stderr)
	}
}

// TestKallsymsNotParsedInPacketMode: NET_DM's packet alerts carry the
// kernel's symbol text, so a packet-mode session never parses the table,
// which costs seconds of CPU under emulation; a summary session that
// follows parses it once monitoring is on, before its first alert.
func TestKallsymsNotParsedInPacketMode(t *testing.T) {
	// Each parse sends the number of START requests made before it.
	parses := make(chan int, 2)
	h := newHarness("set alertmode packet\nstart\nset alertmode summary\nstart\n")
	h.app.loadSymbols = func(string) (func() (resolver, error), error) {
		return func() (resolver, error) {
			starts := 0
			for _, c := range h.be.recorded() {
				if strings.HasPrefix(c, "start ") {
					starts++
				}
			}
			parses <- starts
			return testSymbols(), nil
		}, nil
	}
	h.start("-l", "kas")
	h.be.waitCall(t, "start -")
	h.stdout.waitFor(t, "Issue Ctrl-C to stop monitoring\n")
	h.be.send(t, packetAlert(0))
	h.stdout.waitFor(t, "drop at: __udp4_lib_rcv+0x9a2/0xc30 (0xffffffff878bcae2)\n")
	h.interruptTwice()
	// The summary session follows from the input on its own.
	select {
	case starts := <-parses:
		if starts != 2 {
			t.Errorf("the table was parsed after %d START requests, want 2: in the summary session only", starts)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("a summary session did not parse the table before its first alert")
	}
	h.interruptTwice()
	checkCode(t, h.wait(t), 0)
	if len(parses) != 0 {
		t.Errorf("the table was parsed more than once")
	}
}
