package skbtrace

import (
	"context"
	"testing"
	"time"
)

// TestIntegrationKernelFilter: a reason filter set in the kernel
// (PERF_EVENT_IOC_SET_FILTER) keeps exactly the drops that filtering in
// user space keeps. Two tracers run at once, one filtered in the kernel;
// both see the sender's NO_SOCKET drops, and the filtered one nothing of
// another reason. Its Stats count the samples it was spared: every drop of
// the machine with another reason meanwhile.
func TestIntegrationKernelFilter(t *testing.T) {
	all := openForTest(t, Options{})
	expr, err := all.Format().ReasonFilter([]string{"NO_SOCKET"})
	if err != nil {
		t.Skipf("this kernel's tracepoint has no reason table: %v", err)
	}
	filtered := openForTest(t, Options{Filter: expr})
	s := newUDPSender(t)
	u := newUDPDrops(t, s)
	const n = 50
	s.Send(t, n)
	read := func(tr *Tracer) (ours int, others int) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*DefaultPollInterval+500*time.Millisecond)
		defer cancel()
		for _, d := range collect(t, ctx, tr, func(Drop) bool { return true }, func([]Drop) bool { return false }) {
			switch {
			case u.ours(d):
				ours++
			case d.Reason != "NO_SOCKET":
				others++
			}
		}
		return ours, others
	}
	oursAll, othersAll := read(all)
	oursFiltered, othersFiltered := read(filtered)
	t.Logf("filter %q: %d of ours and %d drops of other reasons without it, %d and %d with it; samples read %d and %d",
		expr, oursAll, othersAll, oursFiltered, othersFiltered, all.Stats().Samples, filtered.Stats().Samples)
	if oursFiltered != oursAll || oursAll != n {
		t.Errorf("our NO_SOCKET drops: %d filtered in the kernel, %d in user space, want %d", oursFiltered, oursAll, n)
	}
	if othersFiltered != 0 {
		t.Errorf("the kernel's filter let %d drops of other reasons through", othersFiltered)
	}
}

func TestReasonFilter(t *testing.T) {
	f := &Format{Reasons: map[uint32]string{2: "NOT_SPECIFIED", 3: "NO_SOCKET", 7: "TCP_CSUM"}}
	got, err := f.ReasonFilter([]string{"TCP_CSUM", "NO_SOCKET"})
	if want := "reason == 3 || reason == 7"; err != nil || got != want {
		t.Errorf("ReasonFilter = %q, %v; want %q", got, err, want)
	}
	if _, err := f.ReasonFilter([]string{"NOPE"}); err == nil {
		t.Error("an unknown reason gave no error")
	}
}

// TestIntegrationKernelFilterRefused: a filter the kernel cannot parse
// fails Open, rather than tracing everything.
func TestIntegrationKernelFilterRefused(t *testing.T) {
	openForTest(t, Options{}) // root and the tracepoint, or skip saying why
	_, err := Open(Options{Filter: "no_such_field == 1"})
	if err == nil {
		t.Fatal("a filter over a field the tracepoint lacks was accepted")
	}
	t.Logf("refused: %v", err)
}
