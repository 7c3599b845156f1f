package main

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/dropwatch-go/dropwatch/pkg/skbtrace"
)

// TestOpenSourceErrors: each reason the drop monitor cannot start gives an
// error that says what is missing, and keeps the cause for errors.Is.
func TestOpenSourceErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		is   error
		want []string
	}{
		{
			name: "no privilege",
			err:  &skbtrace.Error{Op: "perf_event_open", Hint: "kernel.perf_event_paranoid is 2", Err: syscall.EACCES},
			is:   os.ErrPermission,
			want: []string{"CAP_PERFMON", "CAP_SYS_ADMIN", "tracefs", "perf_event_paranoid"},
		},
		{
			name: "no tracepoint",
			err:  &skbtrace.Error{Op: "read format", Path: "/sys/kernel/tracing/events/skb/kfree_skb/format", Err: os.ErrNotExist},
			is:   os.ErrNotExist,
			want: []string{"no drop monitor", "skb:kfree_skb", "CONFIG_TRACEPOINTS"},
		},
		{
			name: "no perf events",
			err:  &skbtrace.Error{Op: "perf_event_open", Err: errors.ErrUnsupported},
			is:   errors.ErrUnsupported,
			want: []string{"no drop monitor", "CONFIG_PERF_EVENTS"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := explainTracepoint(tt.err)
			if !errors.Is(err, tt.is) {
				t.Errorf("%v does not match %v", err, tt.is)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
		})
	}
	for _, c := range []config{{backend: "netdm", mode: "auto"}, {backend: "auto", mode: "summary"}} {
		if _, err := openSource(&c, nil); !errors.Is(err, errNeedsEngine) {
			t.Errorf("openSource(--backend %s --mode %s) = %v, want errNeedsEngine", c.backend, c.mode, err)
		}
	}
}
