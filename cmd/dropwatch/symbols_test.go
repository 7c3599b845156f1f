package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/kallsyms"
	"github.com/dropwatch-go/dropwatch/pkg/skbtrace"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// fakeFile is a kallsyms file holding testSymbolsText that records how it
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
	return kallsyms.Resolve(strings.NewReader(testSymbolsText), pcs...)
}

func (f *fakeFile) Load() (resolver, error) {
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
func (f *fakeFile) loader(string) (symbolFile, error) { return f, nil }

// Addresses in testSymbolsText.
const (
	pcUDP   = 0xffffffff878bcae2 // __udp4_lib_rcv+9a2
	pcTCP   = 0xffffffff82094413 // tcp_v4_rcv+1a3
	pcDemux = 0xffffffff878bd010 // udp_v4_early_demux+10
	pcCold  = 0xffffffff89d78a30 // __udp4_lib_rcv.cold+10 [udp_mod]
)

// TestSymbols follows the reads of the kallsyms file through a session's
// lookups: the new addresses of the first alert in one scan, then the
// table, loaded once, for every address not scanned.
func TestSymbols(t *testing.T) {
	f := newFakeFile()
	s := newSymbols(f, func(err error) { t.Errorf("reported %v", err) })
	if got := f.recorded(); len(got) != 0 {
		t.Fatalf("read before the first lookup: %q", got)
	}
	type step struct {
		prepare []uint64 // an alert's addresses, or a single Lookup
		lookup  uint64
		want    string // the symbol, or "" when not found
		reads   []string
	}
	steps := []step{
		{prepare: []uint64{pcUDP, pcTCP, pcUDP}, lookup: pcUDP, want: "__udp4_lib_rcv+0x9a2", reads: []string{"resolve 0xffffffff878bcae2 0xffffffff82094413"}},
		{lookup: pcTCP, want: "tcp_v4_rcv+0x1a3"},
		{prepare: []uint64{pcTCP, pcUDP}, lookup: pcUDP, want: "__udp4_lib_rcv+0x9a2"},
		{lookup: pcDemux, want: "udp_v4_early_demux+0x10", reads: []string{"load"}},
		{prepare: []uint64{pcCold, 0x1}, lookup: pcCold, want: "__udp4_lib_rcv.cold+0x10 [udp_mod]"},
		{lookup: 0x1},
		{lookup: pcUDP, want: "__udp4_lib_rcv+0x9a2"},
	}
	var reads []string
	for i, st := range steps {
		if st.prepare != nil {
			s.Prepare(st.prepare)
		}
		sym, ok := s.Lookup(st.lookup)
		got := ""
		if ok {
			got = sym.String()
		}
		reads = append(reads, st.reads...)
		if got != st.want {
			t.Errorf("step %d: Lookup(%#x) = %q, want %q", i, st.lookup, got, st.want)
		}
		if diff := cmp.Diff(reads, f.recorded()); diff != "" {
			t.Fatalf("step %d: reads of the file (-want +got):\n%s", i, diff)
		}
	}
}

// A file that fails its scan is reported once and leaves raw addresses,
// without another read; one that fails to load after a good scan is
// reported once, keeps the scanned answers and leaves the rest raw.
func TestSymbolsFail(t *testing.T) {
	var reports []string
	report := func(err error) { reports = append(reports, err.Error()) }

	f := newFakeFile()
	f.err = kallsyms.ErrRestricted
	s := newSymbols(f, report)
	for _, pc := range []uint64{pcUDP, pcTCP, pcUDP} {
		if sym, ok := s.Lookup(pc); ok {
			t.Errorf("Lookup(%#x) = %v with a restricted file", pc, sym)
		}
	}
	f.checkReads(t, "resolve 0xffffffff878bcae2")
	if diff := cmp.Diff([]string{kallsyms.ErrRestricted.Error()}, reports); diff != "" {
		t.Errorf("reports (-want +got):\n%s", diff)
	}

	reports = nil
	f = newFakeFile()
	f.loadErr = os.ErrPermission
	s = newSymbols(f, report)
	got := map[uint64]bool{}
	for _, pc := range []uint64{pcUDP, pcTCP, pcDemux, pcUDP} {
		_, got[pc] = s.Lookup(pc)
	}
	want := map[uint64]bool{pcUDP: true, pcTCP: false, pcDemux: false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("found (-want +got):\n%s", diff)
	}
	f.checkReads(t, "resolve 0xffffffff878bcae2", "load")
	if diff := cmp.Diff([]string{os.ErrPermission.Error()}, reports); diff != "" {
		t.Errorf("reports (-want +got):\n%s", diff)
	}
}

// The file opened at startup is what the first read reads, so a --kallsyms
// path checked at startup is the one used; later reads open the path again.
func TestKallsymsFileReads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kallsyms")
	if err := os.WriteFile(path, []byte(testSymbolsText), 0o644); err != nil {
		t.Fatal(err)
	}
	file, err := openKallsyms(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	m, err := file.Resolve([]uint64{pcUDP})
	if err != nil || !m[0].OK || m[0].String() != "__udp4_lib_rcv+0x9a2" {
		t.Fatalf("Resolve on the descriptor opened before the file was removed = %v, %v", m, err)
	}
	if _, err := file.Load(); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load after the file was removed: %v, want it to open the path again and fail", err)
	}
	if err := os.WriteFile(path, []byte(testSymbolsText), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := file.Load()
	if err != nil {
		t.Fatal(err)
	}
	if sym, ok := r.Lookup(pcTCP); !ok || sym.String() != "tcp_v4_rcv+0x1a3" {
		t.Errorf("Lookup in the loaded table = %v, %v", sym, ok)
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
	tp, ft := newFakeTracepoint(0)
	mode := dropmon.ModePacket
	tp.SetConfig(t.Context(), dropmon.ConfigUpdate{Mode: &mode})
	h := newHarness("start\n")
	h.app.loadSymbols = f.loader
	h.app.backends.tracepoint = func(bool) (backend, error) { return tp, nil }
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
	ft.feed <- []skbtrace.Drop{{Location: pcUDP, Protocol: 0x800, Stack: []uint64{pcUDP, pcCold}}}
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
	h.fire(t, defaultTiming.drain)
	// The printer must not STOP while the alert is being rendered. A STOP
	// would come at once; 300 ms without one is enough to catch it here.
	select {
	case c := <-h.be.called:
		t.Fatalf("request %q while an alert read before the drain's end was being rendered", c)
	case <-time.After(300 * time.Millisecond):
	}
	close(f.hold)
	h.be.waitCall(t, "stop -")
	h.fire(t, defaultTiming.flushQuiet)
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
	h.fire(t, defaultTiming.drain)
	h.be.waitCall(t, "stop -")
	feedSlowAlert(t, h, f)
	// The quiet period passes while the alert is being rendered: the
	// flush waits another.
	h.fire(t, defaultTiming.flushQuiet)
	close(f.hold)
	h.stdout.waitFor(t, "25 drops at __udp4_lib_rcv+9a2 (0xffffffff878bcae2) [software]\n")
	h.fire(t, defaultTiming.flushQuiet)
	checkSlowAlert(t, h)
}
