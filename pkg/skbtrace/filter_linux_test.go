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
	expr, err := all.Format().EventFilter([]string{"NO_SOCKET"}, nil)
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

// TestIntegrationKernelProtocolFilter: a protocol filter set in the kernel
// keeps exactly the drops that filtering Drop.Protocol in user space keeps.
// Two tracers run at once, one keeping only IPv4 in the kernel, while the
// sender's datagrams to closed ports are dropped over IPv4 (__udp4_lib_rcv,
// protocol 0x0800) and IPv6 (__udp6_lib_rcv, 0x86dd). Only the drops
// processed on the sender's thread are compared: both tracers see the same
// of them, the host's other drops are another matter.
func TestIntegrationKernelProtocolFilter(t *testing.T) {
	const ipv4, ipv6 = 0x0800, 0x86dd
	// 1 MiB per CPU: nothing of ours is lost to other drops on the host.
	all := openForTest(t, Options{PerCPUPages: 256})
	if _, ok := all.Format().Field("protocol"); !ok {
		t.Skip("this kernel's tracepoint has no protocol field")
	}
	filtered := openForTest(t, Options{PerCPUPages: 256, Protocols: []uint16{ipv4}})
	if got, want := filtered.Filter(), "protocol == 2048"; got != want {
		t.Fatalf("Filter() = %q, want %q", got, want)
	}
	s := newUDPSender(t)
	u4, u6 := newUDPDrops(t, s), newUDPDropsAt(t, s, "__udp6_lib_rcv")
	const n = 50
	s.Send6(t, n)
	s.Send(t, n)
	s.Send6(t, n)

	type counts struct{ v4, v6, deferred, kept, notIPv4 int }
	read := func(tr *Tracer) (c counts) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*DefaultPollInterval+500*time.Millisecond)
		defer cancel()
		for _, d := range collect(t, ctx, tr, func(Drop) bool { return true }, func([]Drop) bool { return false }) {
			if d.Protocol != ipv4 {
				c.notIPv4++
			}
			switch {
			case u4.ours(d):
				c.v4++
			case u6.ours(d):
				c.v6++
			case u4.deferred(d) || u6.deferred(d):
				c.deferred++
				continue
			default:
				continue
			}
			if d.Protocol == ipv4 { // the user-space filter
				c.kept++
			}
		}
		return c
	}
	ca, cf := read(all), read(filtered)
	sa, sf := all.Stats(), filtered.Stats()
	t.Logf("without the filter: %+v, %d samples; with it: %+v, %d samples", ca, sa.Samples, cf, sf.Samples)
	if sa.Lost != 0 || sf.Lost != 0 {
		t.Skipf("samples lost (%d without the filter, %d with it): the counts cannot be compared", sa.Lost, sf.Lost)
	}
	checkCount(t, "IPv4 drops without the filter", ca.v4, ca.deferred, 0, n)
	checkCount(t, "IPv6 drops without the filter", ca.v6, ca.deferred, 0, 2*n)
	if ca.v4 == 0 || ca.v6 == 0 {
		t.Fatalf("without the filter: %d IPv4 and %d IPv6 drops of ours, want some of each", ca.v4, ca.v6)
	}
	if cf.kept != ca.kept || cf.v4 != ca.v4 {
		t.Errorf("IPv4 drops of ours: %d kept by the kernel's filter, %d by user space's", cf.kept, ca.kept)
	}
	if cf.v6 != 0 || cf.notIPv4 != 0 {
		t.Errorf("the kernel's filter let %d IPv6 drops of ours and %d samples of other protocols through", cf.v6, cf.notIPv4)
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
