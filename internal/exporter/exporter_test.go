package exporter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	clientmodel "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// fakeSource is a Source whose drops, losses and failures a test scripts.
type fakeSource struct {
	info Info

	mu     sync.Mutex
	losses Losses
	closed bool

	drops []Series      // reported when Run starts
	fail  error         // Run returns it after reporting drops, unless nil
	ran   chan struct{} // closed once the drops are reported
	stop  chan struct{} // closed to make Run return fail early
}

func newFake(info Info, drops []Series, losses Losses, fail error) *fakeSource {
	return &fakeSource{info: info, drops: drops, losses: losses, fail: fail, ran: make(chan struct{})}
}

func (f *fakeSource) Info() Info { return f.info }

func (f *fakeSource) Run(ctx context.Context, add func(Site, uint64)) error {
	for _, d := range f.drops {
		add(d.Site, d.Drops)
	}
	close(f.ran)
	if f.fail != nil {
		return f.fail
	}
	<-ctx.Done()
	return nil
}

func (f *fakeSource) Losses() Losses {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.losses
}

func (f *fakeSource) setLosses(l Losses) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.losses = l
}

func (f *fakeSource) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

func (f *fakeSource) isClosed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

const header = `
# HELP dropwatch_drops_total Packets the kernel dropped, per drop site (function, module) and cause (reason, origin, hardware trap and group). Unresolved sites have function="unknown"; sites beyond --max-series are folded into function="other".
# TYPE dropwatch_drops_total counter
`

func TestCollect(t *testing.T) {
	e := New(3)
	e.Add(Site{Function: "__udp4_lib_rcv", Reason: "NO_SOCKET"}, 5)
	e.Add(Site{Function: "nft_do_chain+0x4f1/0x6a0 [nf_tables]", Reason: "NETFILTER_DROP"}, 2)
	e.Add(Site{Function: "0xffffffffc0a01234"}, 1) // unresolved: never the address
	e.Add(Site{Origin: OriginHardware, Trap: "blackhole_route", TrapGroup: "l3_drops"}, 4)
	e.Add(Site{Function: "tcp_v4_rcv", Reason: "NO_SOCKET"}, 6) // beyond 3: folded

	src := newFake(Info{Backend: "tracepoint", Mode: "packet"}, nil, Losses{TracepointLost: 7, Malformed: 1}, nil)
	e.attach(src)

	want := header + `dropwatch_drops_total{function="__udp4_lib_rcv",module="",origin="software",reason="NO_SOCKET",trap="",trap_group=""} 5
dropwatch_drops_total{function="nft_do_chain",module="nf_tables",origin="software",reason="NETFILTER_DROP",trap="",trap_group=""} 2
dropwatch_drops_total{function="unknown",module="",origin="software",reason="",trap="",trap_group=""} 1
dropwatch_drops_total{function="other",module="",origin="",reason="",trap="",trap_group=""} 10
# HELP dropwatch_drop_series Drop series exported, the folded one included.
# TYPE dropwatch_drop_series gauge
dropwatch_drop_series 4
# HELP dropwatch_drop_series_limit Limit of drop series (--max-series); sites beyond it are folded.
# TYPE dropwatch_drop_series_limit gauge
dropwatch_drop_series_limit 3
# HELP dropwatch_folded_series_total Drop sites folded into function="other" because --max-series was reached.
# TYPE dropwatch_folded_series_total counter
dropwatch_folded_series_total 2
# HELP dropwatch_monitor_info The drop monitor in use: backend (netdm or tracepoint), alert mode (summary or packet), and whether it only listens to monitoring another tool started (passive).
# TYPE dropwatch_monitor_info gauge
dropwatch_monitor_info{backend="tracepoint",mode="packet",passive="false"} 1
# HELP dropwatch_monitoring_up Whether kernel drop monitoring is running (1) or down (0).
# TYPE dropwatch_monitoring_up gauge
dropwatch_monitoring_up 1
# HELP dropwatch_monitor_restarts_total Times the drop monitor was restarted after a failure.
# TYPE dropwatch_monitor_restarts_total counter
dropwatch_monitor_restarts_total 0
# HELP dropwatch_kernel_tail_drops_total NET_DM packet mode: drop alerts the kernel's per-CPU queue discarded because it was full.
# TYPE dropwatch_kernel_tail_drops_total counter
dropwatch_kernel_tail_drops_total 0
# HELP dropwatch_socket_overruns_total NET_DM: times the exporter's netlink socket overflowed (ENOBUFS).
# TYPE dropwatch_socket_overruns_total counter
dropwatch_socket_overruns_total 0
# HELP dropwatch_alerts_lost_total NET_DM: alerts the kernel could not queue to the exporter's socket.
# TYPE dropwatch_alerts_lost_total counter
dropwatch_alerts_lost_total 0
# HELP dropwatch_full_summaries_total NET_DM summary mode: summaries that reached the kernel's limit of 64 locations, so that drops at further locations were not counted.
# TYPE dropwatch_full_summaries_total counter
dropwatch_full_summaries_total 0
# HELP dropwatch_malformed_messages_total Kernel messages or perf records the exporter could not decode.
# TYPE dropwatch_malformed_messages_total counter
dropwatch_malformed_messages_total 1
# HELP dropwatch_tracepoint_samples_lost_total Tracepoint backend: skb:kfree_skb samples the kernel could not write because a perf ring buffer was full.
# TYPE dropwatch_tracepoint_samples_lost_total counter
dropwatch_tracepoint_samples_lost_total 7
`
	if err := testutil.CollectAndCompare(e, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	problems, err := testutil.CollectAndLint(e)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestCollectNoSource(t *testing.T) {
	e := New(0)
	want := `
# HELP dropwatch_monitoring_up Whether kernel drop monitoring is running (1) or down (0).
# TYPE dropwatch_monitoring_up gauge
dropwatch_monitoring_up 0
# HELP dropwatch_drop_series_limit Limit of drop series (--max-series); sites beyond it are folded.
# TYPE dropwatch_drop_series_limit gauge
dropwatch_drop_series_limit 1000
`
	if err := testutil.CollectAndCompare(e, strings.NewReader(want), "dropwatch_monitoring_up", "dropwatch_drop_series_limit", "dropwatch_monitor_info", "dropwatch_drops_total"); err != nil {
		t.Error(err)
	}
}

// TestLossesAcrossRestarts feeds absolute loss counts of two sources, the
// second starting from zero again and one count going down (a reset): the
// exported counters only grow.
func TestLossesAcrossRestarts(t *testing.T) {
	e := New(10)
	lost := func() float64 {
		return testutil.ToFloat64(prometheus.CollectorFunc(func(ch chan<- prometheus.Metric) {
			c := make(chan prometheus.Metric, 32)
			e.Collect(c)
			close(c)
			for m := range c {
				if strings.Contains(m.Desc().String(), `"dropwatch_tracepoint_samples_lost_total"`) {
					ch <- m
				}
			}
		}))
	}
	a := newFake(Info{Backend: "tracepoint", Mode: "packet"}, nil, Losses{}, nil)
	e.attach(a)
	for _, step := range []struct {
		set  uint64
		want float64
	}{{3, 3}, {5, 5}, {5, 5}} {
		a.setLosses(Losses{TracepointLost: step.set})
		if got := lost(); got != step.want {
			t.Errorf("source a at %d: exported %v, want %v", step.set, got, step.want)
		}
	}
	a.setLosses(Losses{TracepointLost: 6}) // counted at detach, never scraped
	e.detach(a)
	b := newFake(Info{Backend: "tracepoint", Mode: "packet"}, nil, Losses{}, nil)
	e.attach(b)
	for _, step := range []struct {
		set  uint64
		want float64
	}{{0, 6}, {4, 10}, {1, 11}, {2, 12}} { // 4 then 1: b's counters were reset
		b.setLosses(Losses{TracepointLost: step.set})
		if got := lost(); got != step.want {
			t.Errorf("source b at %d: exported %v, want %v", step.set, got, step.want)
		}
	}
}

// TestRunRestarts runs a source that fails, a reopen that fails, and a
// second source that runs until the context ends: drops of both are
// counted, restarts and up say what happened, and every source is closed.
func TestRunRestarts(t *testing.T) {
	e := New(10)
	info := Info{Backend: "tracepoint", Mode: "packet"}
	first := newFake(info, []Series{{Site: site("a"), Drops: 2}}, Losses{Malformed: 1}, errors.New("ring buffer gone"))
	second := newFake(info, []Series{{Site: site("a"), Drops: 3}}, Losses{Malformed: 2}, nil)
	opens := 0
	open := func(ctx context.Context) (Source, error) {
		opens++
		if opens == 1 {
			return nil, errors.New("perf_event_open: busy")
		}
		return second, nil
	}
	var (
		mu     sync.Mutex
		events []EventKind
	)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- e.Run(ctx, first, open, RunOptions{MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, Notify: func(ev Event) {
			mu.Lock()
			events = append(events, ev.Kind)
			mu.Unlock()
		}})
	}()
	select {
	case <-second.ran:
	case <-time.After(5 * time.Second):
		t.Fatal("the second source never ran")
	}
	want := `
# HELP dropwatch_drops_total Packets the kernel dropped, per drop site (function, module) and cause (reason, origin, hardware trap and group). Unresolved sites have function="unknown"; sites beyond --max-series are folded into function="other".
# TYPE dropwatch_drops_total counter
dropwatch_drops_total{function="a",module="",origin="software",reason="NO_SOCKET",trap="",trap_group=""} 5
# HELP dropwatch_malformed_messages_total Kernel messages or perf records the exporter could not decode.
# TYPE dropwatch_malformed_messages_total counter
dropwatch_malformed_messages_total 3
# HELP dropwatch_monitor_restarts_total Times the drop monitor was restarted after a failure.
# TYPE dropwatch_monitor_restarts_total counter
dropwatch_monitor_restarts_total 1
# HELP dropwatch_monitoring_up Whether kernel drop monitoring is running (1) or down (0).
# TYPE dropwatch_monitoring_up gauge
dropwatch_monitoring_up 1
`
	if err := testutil.CollectAndCompare(e, strings.NewReader(want), "dropwatch_drops_total", "dropwatch_malformed_messages_total", "dropwatch_monitor_restarts_total", "dropwatch_monitoring_up"); err != nil {
		t.Error(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
	if !first.isClosed() || !second.isClosed() {
		t.Errorf("closed: first %v, second %v; want both", first.isClosed(), second.isClosed())
	}
	if _, up := e.Status(); up {
		t.Error("monitoring up after Run returned")
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]EventKind{EventStarted, EventFailed, EventReopenFailed, EventRestarted}, events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestConcurrentScrape adds drops while scraping, for the race detector,
// and checks that nothing is lost.
func TestConcurrentScrape(t *testing.T) {
	e := New(100)
	h, err := Handler(e, HandlerOpts{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 20000 {
			e.Add(site(fmt.Sprintf("f%d", i%150)), 1)
		}
	}()
	// Scrapes in parallel with each other too: they share the label
	// pairs of the stored series, which nothing may write.
	errs := make(chan error, 3)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
				if rec.Code != http.StatusOK {
					errs <- fmt.Errorf("status %d", rec.Code)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	fams := scrape(t, h)
	var total float64
	for _, m := range fams["dropwatch_drops_total"].GetMetric() {
		total += m.GetCounter().GetValue()
	}
	if total != 20000 {
		t.Errorf("total drops %v, want 20000", total)
	}
	if n := len(fams["dropwatch_drops_total"].GetMetric()); n != 101 {
		t.Errorf("%d drop series, want 101", n)
	}
}

func scrape(t testing.TB, h http.Handler) map[string]*dtoFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

func TestHandler(t *testing.T) {
	e := New(10)
	e.Add(site("a"), 1)
	for _, tt := range []struct {
		name   string
		opts   HandlerOpts
		want   []string
		absent []string
	}{
		{
			name:   "with exporter metrics",
			want:   []string{"dropwatch_drops_total", "dropwatch_build_info", "go_goroutines", "process_resident_memory_bytes", "promhttp_metric_handler_requests_total"},
			absent: nil,
		},
		{
			name:   "without exporter metrics",
			opts:   HandlerOpts{DisableExporterMetrics: true},
			want:   []string{"dropwatch_drops_total", "dropwatch_build_info"},
			absent: []string{"go_goroutines", "process_resident_memory_bytes", "promhttp_metric_handler_requests_total"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Handler(e, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			fams := scrape(t, h)
			for _, n := range tt.want {
				if fams[n] == nil {
					t.Errorf("%s missing", n)
				}
			}
			for _, n := range tt.absent {
				if fams[n] != nil {
					t.Errorf("%s present", n)
				}
			}
		})
	}
}

// BenchmarkScrape1000 is one scrape of the HTTP handler with 1,000 drop
// series and the exporter's own metrics (target: under 5 ms).
func BenchmarkScrape1000(b *testing.B) {
	e := New(1000)
	for i := range 1000 {
		e.Add(Site{Function: fmt.Sprintf("some_kernel_function_%d", i), Reason: "NO_SOCKET"}, uint64(i+1))
	}
	h, err := Handler(e, HandlerOpts{})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/metrics", nil)
	b.ReportAllocs()
	// The process's CPU time per scrape as well as ns/op: on a host
	// shared with other work, the wall-clock time of a scrape includes
	// the time other processes had the CPU.
	cpu0 := processCPU(b)
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
		_, _ = io.Copy(io.Discard, rec.Body)
	}
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// processCPU is the user and system time of the process so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
}

type dtoFamily = clientmodel.MetricFamily
