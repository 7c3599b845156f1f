package countersmode

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/counters"
)

// step is a Snapshotter whose softnet "dropped" grows by 5 a snapshot,
// the snapshots a second apart; snapshot number failAt fails (never if 0).
type step struct {
	n      int
	failAt int
}

func (s *step) Snapshot(context.Context) (*counters.Snapshot, error) {
	s.n++
	if s.n == s.failAt {
		return nil, errors.New("netlink: timeout")
	}
	return &counters.Snapshot{
		Time:     time.Date(2026, 1, 2, 3, 4, s.n, 0, time.UTC),
		Counters: []counters.Counter{{Source: counters.Softnet, Object: "cpu0", Name: "dropped", Value: uint64(5 * s.n), Bits: 32}},
		Read:     []counters.Source{counters.Softnet},
	}, nil
}

// brokenPipe fails every write.
type brokenPipe struct{}

func (brokenPipe) Write([]byte) (int, error) { return 0, syscall.EPIPE }

// TestRunFor: a run that o.For ends prints each interval and the total,
// and returns no signal.
func TestRunFor(t *testing.T) {
	var out, errs strings.Builder
	sig, ok := Run(&step{}, Options{Interval: 20 * time.Millisecond, For: 70 * time.Millisecond, JSON: true}, nil, &out, &errs)
	if !ok || sig != nil {
		t.Fatalf("Run = %v, %v; stderr %q", sig, ok, errs.String())
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	last := lines[len(lines)-1]
	if len(lines) < 2 || !strings.HasPrefix(last, `{"type":"counters_total",`) {
		t.Errorf("stdout:\n%s", out.String())
	}
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, `{"type":"counters",`) || !strings.Contains(l, `"delta":5`) {
			t.Errorf("interval line %s", l)
		}
	}
	if want := "dropwatch: counters every 20ms until 70ms or Ctrl-C\n"; errs.String() != want {
		t.Errorf("stderr %q, want %q", errs.String(), want)
	}
}

// TestRunSignal: a signal ends the run at once and is returned.
func TestRunSignal(t *testing.T) {
	sigs := make(chan os.Signal, 1)
	sigs <- syscall.SIGHUP
	var out, errs strings.Builder
	sig, ok := Run(&step{}, Options{Interval: time.Hour}, sigs, &out, &errs)
	if !ok || sig != syscall.SIGHUP {
		t.Fatalf("Run = %v, %v; want SIGHUP", sig, ok)
	}
	if want := "Counters that grew in 1.00 s:\n"; !strings.Contains(out.String(), want) {
		t.Errorf("stdout has no totals:\n%s", out.String())
	}
	if !strings.Contains(errs.String(), "until Ctrl-C\n") {
		t.Errorf("stderr %q", errs.String())
	}
}

// TestRunFailures: a failed snapshot or write ends the run with false,
// said on stderr.
func TestRunFailures(t *testing.T) {
	for _, tt := range []struct {
		name string
		r    *step
		want string
	}{
		{"first snapshot", &step{failAt: 1}, "dropwatch: counters: netlink: timeout\n"},
		{"later snapshot", &step{failAt: 2}, "dropwatch: counters: netlink: timeout\n"},
	} {
		var out, errs strings.Builder
		if _, ok := Run(tt.r, Options{For: time.Millisecond}, nil, &out, &errs); ok || !strings.HasSuffix(errs.String(), tt.want) {
			t.Errorf("%s: ok %v, stderr %q; want %q", tt.name, ok, errs.String(), tt.want)
		}
	}
	var errs strings.Builder
	if _, ok := Run(&step{}, Options{For: time.Millisecond}, nil, brokenPipe{}, &errs); ok || !strings.HasSuffix(errs.String(), "dropwatch: writing output: broken pipe\n") {
		t.Errorf("broken stdout: ok %v, stderr %q", ok, errs.String())
	}
}

func TestExplain(t *testing.T) {
	var out, errs strings.Builder
	if !Explain(&out, &errs, "NO_SOCKET") || !strings.HasPrefix(out.String(), "reason/NO_SOCKET (drop)\n") || errs.Len() != 0 {
		t.Errorf("Explain(NO_SOCKET): %q, stderr %q", out.String(), errs.String())
	}
	out.Reset()
	if !Explain(&out, &errs, "") || strings.Count(out.String(), "  meaning: ") != len(counters.Entries()) {
		t.Errorf("Explain(\"\") did not explain every entry")
	}
	out.Reset()
	if Explain(&out, &errs, "NoSuchCounter") || out.Len() != 0 || !strings.Contains(errs.String(), `no explanation of "NoSuchCounter"`) {
		t.Errorf("Explain(NoSuchCounter): %q, stderr %q", out.String(), errs.String())
	}
	if Explain(brokenPipe{}, &errs, "") {
		t.Error("Explain to a broken pipe succeeded")
	}
}

func TestSince(t *testing.T) {
	var b strings.Builder
	if err := Since(&b, nil, false); err == nil || err.Error() != "the counters cannot be read here" || b.Len() != 0 {
		t.Errorf("Since(nil) = %v, wrote %q", err, b.String())
	}
	win := counters.NewWindow(&step{})
	if err := Since(&b, win, false); err == nil || err.Error() != "the counters cannot be read here" {
		t.Errorf("Since without a baseline = %v", err)
	}
	win.Start(context.Background())
	if err := Since(&b, win, true); err != nil || !strings.HasPrefix(b.String(), "Counters that grew in 1.00 s:\n") || !strings.Contains(b.String(), "dropped") {
		t.Errorf("Since = %v, wrote:\n%s", err, b.String())
	}
	failing := counters.NewWindow(&step{failAt: 2})
	failing.Start(context.Background())
	if err := Since(&b, failing, false); err == nil || err.Error() != "netlink: timeout" {
		t.Errorf("Since with a failing snapshot = %v", err)
	}
}

func TestExplainOne(t *testing.T) {
	var b strings.Builder
	if err := ExplainOne(&b, "softnet/dropped"); err != nil || !strings.HasPrefix(b.String(), "softnet/dropped (drop)\n  meaning: ") {
		t.Errorf("ExplainOne = %v, wrote %q", err, b.String())
	}
	b.Reset()
	if err := ExplainOne(&b, "nothing"); err == nil || err.Error() != `no explanation of "nothing"` || b.Len() != 0 {
		t.Errorf("ExplainOne(nothing) = %v, wrote %q", err, b.String())
	}
}

func TestWriteGrew(t *testing.T) {
	var b strings.Builder
	if err := WriteGrew(&b, nil, nil); err != nil || b.Len() != 0 {
		t.Errorf("WriteGrew(nil) = %v, wrote %q", err, b.String())
	}
	win := counters.NewWindow(&step{})
	win.Start(context.Background())
	if WriteGrew(&b, win, nil); b.Len() != 0 {
		t.Errorf("WriteGrew of a window not stopped wrote %q", b.String())
	}
	win.Stop(context.Background())
	if err := WriteGrew(&b, win, nil); err != nil || !strings.HasPrefix(b.String(), "Counters that grew in 1.00 s:\n") {
		t.Errorf("WriteGrew = %v, wrote:\n%s", err, b.String())
	}
}
