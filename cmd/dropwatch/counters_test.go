package main

import (
	"context"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/internal/repl"
	"github.com/dropwatch-go/dropwatch/pkg/counters"
)

// fakeCounters returns one snapshot per call, with UdpNoPorts and
// IpInReceives at the values given, a second apart; after the last one it
// repeats it.
type fakeCounters struct {
	mu     sync.Mutex
	values []uint64
	calls  int
	errs   []*counters.SourceError
	closed bool
}

var fakeT0 = time.Date(2026, 12, 3, 17, 20, 0, 0, time.UTC)

func (f *fakeCounters) Snapshot(context.Context) (*counters.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := min(f.calls, len(f.values)-1)
	f.calls++
	v := f.values[i]
	return &counters.Snapshot{
		Time: fakeT0.Add(time.Duration(i) * time.Second),
		Counters: []counters.Counter{
			{Source: counters.SNMP, Name: "IpInReceives", Value: 1000 + v, Bits: 64},
			{Source: counters.SNMP, Name: "UdpNoPorts", Value: v, Bits: 64},
		},
		Errors: f.errs,
		Read:   []counters.Source{counters.SNMP},
	}, nil
}

func (f *fakeCounters) Close() error { f.closed = true; return nil }

func (h *harness) withCounters(f *fakeCounters) *harness {
	h.app.newCounters = func() (counterReader, error) { return f, nil }
	h.app.loc = time.UTC
	return h
}

// TestCountersMode: --counters prints what moved in each interval, then
// at Ctrl-C the totals since the start; --all adds the traffic counters;
// a source unreadable for lack of privileges is named on stderr.
func TestCountersMode(t *testing.T) {
	perm := &counters.SourceError{Source: counters.Ethtool, Object: "eth0", Err: os.ErrPermission}
	f := &fakeCounters{values: []uint64{10, 30}, errs: []*counters.SourceError{perm}}
	h := newHarness("").withCounters(f).start("--counters", "--interval", "1h")
	h.stderr.waitFor(t, "until Ctrl-C")
	h.sigs <- os.Interrupt
	checkCode(t, h.wait(t), 0)
	want := "17:20:01 counters that moved in 1.00 s:\n" +
		"SOURCE  COUNTER     DELTA  RATE/S  OBJECT\n" +
		"snmp    UdpNoPorts     20   20.00  -\n" +
		"Counters that grew in 1.00 s:\n" +
		"SOURCE  COUNTER     DELTA  RATE/S  OBJECT\n" +
		"snmp    UdpNoPorts     20   20.00  -\n"
	if diff := cmp.Diff(want, h.stdout.String()); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	wantErr := "dropwatch: counters: ethtool eth0: permission denied\n" +
		"dropwatch: counters not read without privileges (run as root): ethtool eth0\n" +
		"dropwatch: counters every 1h0m0s until Ctrl-C\n"
	if diff := cmp.Diff(wantErr, h.stderr.String()); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
	if !f.closed {
		t.Error("the counter reader was not closed")
	}

	// --all, --json, and SIGTERM's exit status.
	f = &fakeCounters{values: []uint64{10, 30}}
	h = newHarness("").withCounters(f).start("--counters", "--interval=1h", "--all", "--json")
	h.stderr.waitFor(t, "until Ctrl-C")
	h.sigs <- syscall.SIGTERM
	checkCode(t, h.wait(t), int(repl.SignalExit(syscall.SIGTERM)))
	lines := strings.Split(strings.TrimSuffix(h.stdout.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"type":"counters",`) || !strings.HasPrefix(lines[1], `{"type":"counters_total",`) ||
		!strings.Contains(lines[1], `"name":"IpInReceives","class":"traffic","delta":20`) {
		t.Errorf("--json --all lines:\n%s", h.stdout)
	}
}

// TestCountersREPL: top after a capture ends with the counters that grew
// during it, and the meaning of its counters and reasons; counters shows
// what grew since the last start; explain explains.
func TestCountersREPL(t *testing.T) {
	// Snapshots: the REPL's beginning, START, STOP, the counters command.
	f := &fakeCounters{values: []uint64{0, 10, 30, 31}}
	h := newHarness("set alertmode packet\nstart\ntop\ncounters\nexplain no_socket\nexplain nothing\n").withCounters(f).start()
	h.be.waitCall(t, "start -")
	h.be.send(t, packetAlert(1))
	h.stdout.waitFor(t, "drop reason: NO_SOCKET")
	h.interruptTwice()
	checkCode(t, h.wait(t), 0)
	out := h.stdout.String()
	top := strings.Join(strings.SplitAfter(replyText(t, out, "top"), "\n")[4:], "")
	wantTop := "Counters that grew in 1.00 s:\n" +
		"SOURCE  COUNTER     DELTA  RATE/S  OBJECT\n" +
		"snmp    UdpNoPorts     20   20.00  -\n" +
		"(1 traffic and other counters moved too: dropwatch --counters --all)\n" +
		"What they mean (dropwatch --explain NAME for the usual remedy):\n" +
		"  snmp/UdpNoPorts: " + counters.Explain("UdpNoPorts")[0].Meaning + "\n" +
		"  reason/NO_SOCKET: " + counters.Explain("NO_SOCKET")[0].Meaning + "\n"
	if diff := cmp.Diff(wantTop, top); diff != "" {
		t.Errorf("top after its table (-want +got):\n%s", diff)
	}
	// Since START: 31-10 in 2 s.
	wantCounters := "Counters that grew in 2.00 s:\n" +
		"SOURCE  COUNTER     DELTA  RATE/S  OBJECT\n" +
		"snmp    UdpNoPorts     21   10.50  -\n"
	if diff := cmp.Diff(wantCounters, replyText(t, out, "counters")); diff != "" {
		t.Errorf("counters (-want +got):\n%s", diff)
	}
	e := counters.Explain("NO_SOCKET")[0]
	wantExplain := "reason/NO_SOCKET (drop)\n  meaning: " + e.Meaning + "\n  remedy:  " + e.Remedy + "\n"
	if diff := cmp.Diff(wantExplain, replyText(t, out, "explain no_socket")); diff != "" {
		t.Errorf("explain (-want +got):\n%s", diff)
	}
	if !strings.Contains(h.stderr.String(), `no explanation of "nothing"`) {
		t.Errorf("stderr has no error for explain nothing:\n%s", h.stderr)
	}
}

// replyText is what a command printed, up to the next prompt.
func replyText(t *testing.T, out, cmd string) string {
	t.Helper()
	_, reply, ok := strings.Cut(out, prompt+cmd+"\n")
	if !ok {
		t.Fatalf("no %q in:\n%s", cmd, out)
	}
	reply, _, _ = strings.Cut(reply, prompt)
	return reply
}

// TestExplainFlag: --explain NAME, --explain=NAME and --explain alone.
func TestExplainFlag(t *testing.T) {
	e := counters.Explain("softnet/dropped")[0]
	want := "softnet/dropped (drop)\n  meaning: " + e.Meaning + "\n  remedy:  " + e.Remedy + "\n"
	for _, args := range [][]string{{"--explain", "softnet/dropped"}, {"--explain=softnet/dropped"}} {
		h := newHarness("")
		checkCode(t, h.run(t, args...), 0)
		if diff := cmp.Diff(want, h.stdout.String()); diff != "" {
			t.Errorf("%q (-want +got):\n%s", args, diff)
		}
	}
	h := newHarness("")
	checkCode(t, h.run(t, "--explain"), 0)
	if n := strings.Count(h.stdout.String(), "  meaning: "); n != len(counters.Entries()) {
		t.Errorf("--explain printed %d explanations, want %d", n, len(counters.Entries()))
	}
	h = newHarness("")
	checkCode(t, h.run(t, "--explain", "NoSuchCounter"), 1)
}

// TestCounterFlagsRefused: the combinations that cannot work.
func TestCounterFlagsRefused(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--all"}, "--all needs --counters"},
		{[]string{"--interval", "2s"}, "--interval needs --counters"},
		{[]string{"--counters", "--interval", "1ms"}, "invalid --interval '1ms'"},
		{[]string{"--counters", "--mode", "packet"}, "--mode cannot go with --counters"},
		{[]string{"--counters", "--backend", "netdm"}, "--counters reads no drop alerts"},
		{[]string{"--explain", "--counters"}, "--explain prints explanations and exits"},
		{[]string{"--explain", "x", "--json"}, "--json cannot go with --explain"},
	} {
		_, err := parseArgs(tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseArgs(%q) = %v, want an error with %q", tt.args, err, tt.want)
		}
	}
	o, err := parseArgs([]string{"--counters", "--once", "3s", "--json", "--all"})
	if err != nil || !o.ctr.counters || !o.ctr.all || !o.json || o.once != 3*time.Second {
		t.Errorf("--counters --once 3s --json --all: %+v, %v", o, err)
	}
}
