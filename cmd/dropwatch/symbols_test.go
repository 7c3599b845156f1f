package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dropwatch-go/dropwatch/internal/fixtures"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
	"github.com/dropwatch-go/dropwatch/pkg/kallsyms"
	"github.com/dropwatch-go/dropwatch/pkg/skbtrace"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// fakeFile is a kallsyms file holding fixtures.Symbols that records how it
// is read: "resolve" with the addresses of a scan, or "load".
type fakeFile struct {
	err     error         // what Resolve and Load return instead, if set
	loadErr error         // what Load alone returns, if set
	release chan struct{} // Load waits for it when not nil
	hold    chan struct{} // Resolve waits for it when not nil

	mu    sync.Mutex
	calls []string
	read  chan string // each call, when it begins
}

func newFakeFile() *fakeFile { return &fakeFile{read: make(chan string, 10)} }

func (f *fakeFile) record(call string) {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	select {
	case f.read <- call:
	default: // nobody is waiting for this call
	}
}

func (f *fakeFile) recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeFile) Resolve(pcs []uint64) ([]kallsyms.Match, error) {
	call := "resolve"
	for _, pc := range pcs {
		call += fmt.Sprintf(" %#x", pc)
	}
	f.record(call)
	if f.hold != nil {
		<-f.hold
	}
	if f.err != nil {
		return nil, f.err
	}
	return kallsyms.Resolve(strings.NewReader(fixtures.Symbols), pcs...)
}

func (f *fakeFile) Load() (drops.Resolver, error) {
	f.record("load")
	if f.release != nil {
		<-f.release
	}
	if f.err != nil {
		return nil, f.err
	}
	if f.loadErr != nil {
		return nil, f.loadErr
	}
	return testSymbols(), nil
}

// checkReads checks the calls made so far.
func (f *fakeFile) checkReads(t *testing.T, want ...string) {
	t.Helper()
	if diff := cmp.Diff(want, f.recorded(), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("reads of the file (-want +got):\n%s", diff)
	}
}

// loader returns f as the file at any path.
func (f *fakeFile) loader(string) (drops.SymbolFile, error) { return f, nil }

// Addresses in fixtures.Symbols.
const (
	pcUDP   = fixtures.UDP
	pcTCP   = fixtures.TCP
	pcDemux = fixtures.Demux
	pcCold  = fixtures.Cold
)

// A --kallsyms path that cannot be opened is reported at startup, even in
// a session that never looks a symbol up.
func TestKallsymsUnopenable(t *testing.T) {
	h := newHarness("exit\n")
	h.app.loadSymbols = drops.OpenKallsyms
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

// TestKallsymsReadAtFirstAlert: a summary session reads nothing while
// monitoring starts; its first alert's locations are found by one scan,
// and a later new location loads the table.
func TestKallsymsReadAtFirstAlert(t *testing.T) {
	f := newFakeFile()
	h := newHarness("start\n")
	h.app.loadSymbols = f.loader
	h.start("--kallsyms", "/tmp/k")
	h.be.waitCall(t, "start -")
	h.stdout.waitFor(t, "Issue Ctrl-C to stop monitoring\n")
	h.be.send(t, summary(point(pcUDP, 25), point(pcTCP, 3)))
	h.stdout.waitFor(t, "3 drops at tcp_v4_rcv+1a3 (0xffffffff82094413) [software]\n")
	h.be.send(t, summary(point(pcDemux, 2)))
	h.stdout.waitFor(t, "2 drops at udp_v4_early_demux+10 (0xffffffff878bd010) [software]\n")
	h.interruptTwice()
	checkCode(t, h.wait(t), 0)
	want := "Initializing kallsyms db\n" + monitoringOutput +
		"25 drops at __udp4_lib_rcv+9a2 (0xffffffff878bcae2) [software]\n" +
		"3 drops at tcp_v4_rcv+1a3 (0xffffffff82094413) [software]\n" +
		"2 drops at udp_v4_early_demux+10 (0xffffffff878bd010) [software]\n"
	if !strings.HasPrefix(h.stdout.String(), want) {
		t.Errorf("stdout does not start with %q:\n%s", want, h.stdout)
	}
	f.checkReads(t, "resolve 0xffffffff878bcae2 0xffffffff82094413", "load")
}

// TestKallsymsFailsAtFirstAlert: a file that cannot be used is reported
// once, at the first lookup, and leaves raw addresses.
func TestKallsymsFailsAtFirstAlert(t *testing.T) {
	f := newFakeFile()
	f.err = kallsyms.ErrRestricted
	h := newHarness("start\n")
	h.app.loadSymbols = f.loader
	h.start("-l", "kas")
	h.be.waitCall(t, "start -")
	h.stdout.waitFor(t, "Issue Ctrl-C to stop monitoring\n")
	if h.stderr.String() != "" {
		t.Errorf("stderr before the first lookup: %q", h.stderr)
	}
	h.be.send(t, summary(point(pcUDP, 25)))
	h.be.send(t, summary(point(pcTCP, 3)))
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

// TestKallsymsNotReadInPacketMode: NET_DM's packet alerts carry the
// kernel's symbol text, so a packet-mode session never reads the file,
// which costs seconds of CPU under emulation; a summary session that
// follows reads it at its first alert.
func TestKallsymsNotReadInPacketMode(t *testing.T) {
	f := newFakeFile()
	h := newHarness("set alertmode packet\nstart\nset alertmode summary\nstart\n")
	h.app.loadSymbols = f.loader
	h.start("-l", "kas")
	h.be.waitCall(t, "start -")
	h.stdout.waitFor(t, "Issue Ctrl-C to stop monitoring\n")
	h.be.send(t, packetAlert(0))
	h.stdout.waitFor(t, "drop at: __udp4_lib_rcv+0x9a2/0xc30 (0xffffffff878bcae2)\n")
	h.interruptTwice()
	// The summary session follows from the input on its own.
	h.be.waitCall(t, "start -")
	if got := f.recorded(); len(got) != 0 {
		t.Errorf("the packet session read the file: %q", got)
	}
	h.be.send(t, summary(point(pcUDP, 25)))
	h.stdout.waitFor(t, "25 drops at __udp4_lib_rcv+9a2 (0xffffffff878bcae2) [software]\n")
	h.interruptTwice()
	checkCode(t, h.wait(t), 0)
	f.checkReads(t, "resolve 0xffffffff878bcae2")
}

// TestKallsymsStackLoadsInBackground: --stack looks up every frame of
// every drop, so the table starts loading once monitoring is on, and the
// first drop waits for it.
func TestKallsymsStackLoadsInBackground(t *testing.T) {
	f := newFakeFile()
	f.release = make(chan struct{})
	tp, ft := newFakeTracepoint()
	mode := dropmon.ModePacket
	tp.SetConfig(t.Context(), dropmon.ConfigUpdate{Mode: &mode})
	h := newHarness("start\n")
	h.app.loadSymbols = f.loader
	h.app.backends.Tracepoint = func(bool) (drops.Kernel, error) { return tp, nil }
	h.start("--backend", "tracepoint", "--stack", "-l", "kas")
	h.stdout.waitFor(t, "Issue Ctrl-C to stop monitoring\n")
	select {
	case call := <-f.read:
		if call != "load" {
			t.Fatalf("first read of the file: %q, want load", call)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the table did not start loading with monitoring")
	}
	ft.Feed <- []skbtrace.Drop{{Location: pcUDP, Protocol: 0x800, Stack: []uint64{pcUDP, pcCold}}}
	close(f.release)
	h.stdout.waitFor(t, "\tffffffff89d78a30 __udp4_lib_rcv.cold+0x10 [udp_mod]\n")
	h.interruptTwice()
	checkCode(t, h.wait(t), 0)
	f.checkReads(t, "load")
}

// TestDrainWaitsForSymbols: the drain before STOP does not end while the
// receiver is still rendering an alert it has read, here the first summary
// alert, whose locations are being looked up in a slow kallsyms (a second
// under emulation); the alert is printed, then STOP goes out.
func TestDrainWaitsForSymbols(t *testing.T) {
	h, f := startSlowSymbols(t)
	h.sigs <- os.Interrupt
	feedSlowAlert(t, h, f)
	h.fire(t, drops.DefaultTiming.Drain)
	// The printer must not STOP while the alert is being rendered. A STOP
	// would come at once; 300 ms without one is enough to catch it here.
	select {
	case c := <-h.be.called:
		t.Fatalf("request %q while an alert read before the drain's end was being rendered", c)
	case <-time.After(300 * time.Millisecond):
	}
	close(f.hold)
	h.be.waitCall(t, "stop -")
	h.fire(t, drops.DefaultTiming.FlushQuiet)
	checkSlowAlert(t, h)
}

// startSlowSymbols starts a summary session whose kallsyms scans wait
// for f.hold.
func startSlowSymbols(t *testing.T) (*harness, *fakeFile) {
	f := newFakeFile()
	f.hold = make(chan struct{})
	h := newHarness("start\n")
	h.app.loadSymbols = f.loader
	h.start("-l", "kas")
	h.be.waitCall(t, "start -")
	h.stdout.waitFor(t, "Issue Ctrl-C to stop monitoring\n")
	return h, f
}

// feedSlowAlert has the monitor receive an alert and returns once its
// rendering waits in the kallsyms scan.
func feedSlowAlert(t *testing.T, h *harness, f *fakeFile) {
	t.Helper()
	h.be.feed <- summary(point(pcUDP, 25)) // send would wait for the rendering
	if call := <-f.read; !strings.HasPrefix(call, "resolve") {
		t.Fatalf("read of the file: %q, want a scan", call)
	}
}

// checkSlowAlert checks that the session printed the alert before STOP's
// reply and ended.
func checkSlowAlert(t *testing.T, h *harness) {
	t.Helper()
	checkCode(t, h.wait(t), 0)
	want := "Initializing kallsyms db\n" + monitoringOutput +
		"25 drops at __udp4_lib_rcv+9a2 (0xffffffff878bcae2) [software]\n" +
		"Got a stop message\n" + eofTail
	if diff := cmp.Diff(want, h.stdout.String()); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
}

// TestFlushWaitsForSymbols: after STOP, the flush of what the kernel sent
// before its reply does not end while an alert read is still being
// rendered.
func TestFlushWaitsForSymbols(t *testing.T) {
	h, f := startSlowSymbols(t)
	h.sigs <- os.Interrupt
	h.fire(t, drops.DefaultTiming.Drain)
	h.be.waitCall(t, "stop -")
	feedSlowAlert(t, h, f)
	// The quiet period passes while the alert is being rendered: the
	// flush waits another.
	h.fire(t, drops.DefaultTiming.FlushQuiet)
	close(f.hold)
	h.stdout.waitFor(t, "25 drops at __udp4_lib_rcv+9a2 (0xffffffff878bcae2) [software]\n")
	h.fire(t, drops.DefaultTiming.FlushQuiet)
	checkSlowAlert(t, h)
}
