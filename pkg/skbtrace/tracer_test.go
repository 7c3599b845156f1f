package skbtrace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAggregator(t *testing.T) {
	var a Aggregator
	if got := a.Flush(); got != nil {
		t.Errorf("Flush of nothing = %v, want nil", got)
	}
	a.Add(Drop{Location: 0x30}, Drop{Location: 0x10}, Drop{Location: 0x30})
	a.Add(Drop{Location: 0x20}, Drop{Location: 0x10}, Drop{Location: 0x30})
	want := []Summary{{PC: 0x30, Count: 3}, {PC: 0x10, Count: 2}, {PC: 0x20, Count: 1}}
	if diff := cmp.Diff(want, a.Flush()); diff != "" {
		t.Errorf("first interval (-want +got):\n%s", diff)
	}
	a.Add(Drop{Location: 0x20}, Drop{Location: 0x10})
	want = []Summary{{PC: 0x10, Count: 1}, {PC: 0x20, Count: 1}}
	if diff := cmp.Diff(want, a.Flush()); diff != "" {
		t.Errorf("second interval, ties by PC (-want +got):\n%s", diff)
	}
	a.Add(Drop{Location: 0x10, Reason: "NO_SOCKET"}, Drop{Location: 0x10}, Drop{Location: 0x10, Reason: "NO_SOCKET"}, Drop{Location: 0x10, Reason: "IP_CSUM"})
	want = []Summary{{PC: 0x10, Reason: "NO_SOCKET", Count: 2}, {PC: 0x10, Count: 1}, {PC: 0x10, Reason: "IP_CSUM", Count: 1}}
	if diff := cmp.Diff(want, a.Flush()); diff != "" {
		t.Errorf("by reason, ties by reason (-want +got):\n%s", diff)
	}
}

func TestParseCPUList(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		bad  bool
	}{
		{in: "0-1\n", want: []int{0, 1}},
		{in: "0", want: []int{0}},
		{in: "0-2,4,6-7", want: []int{0, 1, 2, 4, 6, 7}},
		{in: "", bad: true},
		{in: "3-1", bad: true},
		{in: "a", bad: true},
		{in: "0,,1", bad: true},
		{in: "-1", bad: true},
	}
	for _, tc := range tests {
		got, err := parseCPUList(tc.in)
		if (err != nil) != tc.bad {
			t.Errorf("parseCPUList(%q) error = %v, want error %v", tc.in, err, tc.bad)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("parseCPUList(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestOptionsDefaults(t *testing.T) {
	got, err := Options{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := Options{PerCPUPages: DefaultPerCPUPages, PollInterval: DefaultPollInterval}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	for _, bad := range []Options{
		{PerCPUPages: 3},
		{PerCPUPages: -4},
		{PerCPUPages: 1 << 17},
		{PollInterval: time.Microsecond},
		{MaxStack: -1},
		{Clock: Clock(9)},
	} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("withDefaults(%+v) accepted", bad)
		}
	}
}

func TestCountersAccount(t *testing.T) {
	var c counters
	var out []Drop
	out = c.account(out, Record{Kind: RecordDrop, Drop: Drop{Location: 1}}, nil)
	out = c.account(out, Record{Kind: RecordConsumed, Drop: Drop{Location: 2}}, nil)
	out = c.account(out, Record{Kind: RecordLost, Lost: 5}, nil)
	out = c.account(out, Record{Kind: RecordThrottle}, nil)
	out = c.account(out, Record{Kind: RecordOther}, nil)
	out = c.account(out, Record{}, ErrMalformed)
	if diff := cmp.Diff([]Drop{{Location: 1}}, out); diff != "" {
		t.Errorf("drops (-want +got):\n%s", diff)
	}
	want := Stats{Samples: 2, Drops: 1, Consumed: 1, Lost: 5, Throttled: 1, Malformed: 1}
	if diff := cmp.Diff(want, c.snapshot()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestErrorMatching(t *testing.T) {
	tests := []struct {
		err     *Error
		target  error
		wantMsg string
	}{
		{
			err:     &Error{Op: "perf_event_open", Path: "skb:kfree_skb (id 2310) on cpu 0", Err: syscall.EACCES, Hint: "kernel.perf_event_paranoid is 2"},
			target:  os.ErrPermission,
			wantMsg: "skbtrace: perf_event_open skb:kfree_skb (id 2310) on cpu 0: permission denied (kernel.perf_event_paranoid is 2)",
		},
		{
			err:     &Error{Op: "read format", Path: "/t/events/skb/kfree_skb/format", Err: &fs.PathError{Op: "open", Path: "/t/events/skb/kfree_skb/format", Err: syscall.ENOENT}},
			target:  os.ErrNotExist,
			wantMsg: "skbtrace: read format /t/events/skb/kfree_skb/format: open /t/events/skb/kfree_skb/format: no such file or directory",
		},
		{
			err:     &Error{Op: "open", Err: errors.ErrUnsupported},
			target:  errors.ErrUnsupported,
			wantMsg: "skbtrace: open: unsupported operation",
		},
		{
			err:     &Error{Op: "perf_event_open", Err: syscall.ENOSYS},
			target:  errors.ErrUnsupported,
			wantMsg: "skbtrace: perf_event_open: function not implemented",
		},
	}
	for _, tc := range tests {
		var err error = fmt.Errorf("wrapped: %w", tc.err)
		if !errors.Is(err, tc.target) {
			t.Errorf("errors.Is(%v, %v) = false", err, tc.target)
		}
		if got := tc.err.Error(); got != tc.wantMsg {
			t.Errorf("Error() = %q, want %q", got, tc.wantMsg)
		}
	}
}
