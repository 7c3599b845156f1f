//go:build vmtest

package e2e

// Real-kernel tests of dropwatch_exporter (issue 13): its counts at
// __udp4_lib_rcv, scraped from /metrics, against the drops dropgen made
// (Udp NoPorts) and the kernel reported (the tests' own NET_DM watcher and
// the kernel's tail drop counter); an admin's dropwatch beside it; what it
// leaves of the kernel's monitoring when it stops.

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dropwatch-go/dropwatch/test/vm/dropgen"
)

var exporterTool = tool{"exporter", "EXPORTER_BIN"}

// exporter is a running dropwatch_exporter.
type exporter struct {
	*proc
	addr string
}

// startExporter starts the exporter on a free loopback port and waits
// until its drop monitor runs.
func startExporter(t testing.TB, args ...string) *exporter {
	t.Helper()
	bin := exporterTool.path(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := startProc(t, bin, append([]string{"--web.listen-address=" + addr}, args...)...)
	p.waitFor(t, &p.stderr, `msg="Drop monitor running"`, stateTimeout)
	return &exporter{proc: p, addr: addr}
}

// metrics scrapes the exporter: each sample by its name and labels as
// the text exposition writes them.
func (e *exporter) metrics(t testing.TB) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + e.addr + "/metrics")
	if err != nil {
		t.Fatalf("scraping the exporter: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("scraping the exporter: %s\n%s", resp.Status, b)
	}
	m := map[string]float64{}
	s := bufio.NewScanner(resp.Body)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		line := s.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample %q: %v", line, err)
		}
		m[line[:i]] = v
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// udpDrops is the exporter's count at __udp4_lib_rcv over every reason,
// and the part with reason NO_SOCKET.
func udpDrops(m map[string]float64) (all, noSocket float64) {
	for k, v := range m {
		if strings.HasPrefix(k, `dropwatch_drops_total{function="__udp4_lib_rcv",`) {
			all += v
			if strings.Contains(k, `reason="NO_SOCKET"`) {
				noSocket += v
			}
		}
	}
	return all, noSocket
}

// waitCount waits until the exporter's count at __udp4_lib_rcv plus the
// losses it reports reaches want, and returns the last scrape.
func (e *exporter) waitCount(t *testing.T, want float64, losses ...string) map[string]float64 {
	t.Helper()
	var m map[string]float64
	e.waitUntil(t, "count the drops", func() bool {
		m = e.metrics(t)
		n, _ := udpDrops(m)
		for _, l := range losses {
			n += m[l]
		}
		return n >= want
	}, 60*time.Second)
	return m
}

func (e *exporter) info(t testing.TB, m map[string]float64, backend, mode, passive string) {
	t.Helper()
	k := `dropwatch_monitor_info{backend="` + backend + `",mode="` + mode + `",passive="` + passive + `"}`
	if m[k] != 1 || m["dropwatch_monitoring_up"] != 1 {
		t.Errorf("want %s 1 and dropwatch_monitoring_up 1 in\n%v", k, m)
	}
}

// sigterm stops the exporter as systemd does and checks that it exits 0.
func (e *exporter) sigterm(t *testing.T) {
	t.Helper()
	e.signal(t, syscall.SIGTERM)
	if code := e.wait(t, stateTimeout); code != 0 {
		t.Errorf("exporter exited %d after SIGTERM; stderr:\n%s", code, e.stderr.String())
	}
}

// TestExporterCounts: on NET_DM in summary and packet mode the exporter's
// count at __udp4_lib_rcv is the number of drops dropgen made, with the
// reason in packet mode; after SIGTERM the kernel is not monitoring.
func TestExporterCounts(t *testing.T) {
	for _, mode := range []string{"summary", "packet"} {
		t.Run(mode, func(t *testing.T) {
			k := newKernel(t)
			e := startExporter(t, "--backend=netdm", "--mode="+mode)
			defer saveTranscript(t, "exporter", e.proc)
			k.dm.waitMonitoring(t, true, stateTimeout)
			const n = 500
			k.makeDrops(t, n)
			m := e.waitCount(t, n)
			e.info(t, m, "netdm", mode, "false")
			all, noSocket := udpDrops(m)
			if all != n {
				t.Errorf("exporter counted %v drops at __udp4_lib_rcv, dropgen made %d", all, n)
			}
			if mode == "packet" && noSocket != n {
				t.Errorf("exporter counted %v drops with reason NO_SOCKET, want %d", noSocket, n)
			}
			e.sigterm(t)
			if k.dm.monitoring(t) {
				t.Error("the kernel is still monitoring after the exporter's SIGTERM")
			}
			if !strings.Contains(e.stderr.String(), `msg="Drop monitor stopped"`) {
				t.Errorf("no stop line in the exporter's log:\n%s", e.stderr.String())
			}
		})
	}
}

// TestExporterBurst: 20,000 drops at once. Every drop the kernel sent is
// counted, and those it did not send or the exporter's socket could not
// take are in the loss counters: the exporter's kernel tail drops are the
// kernel's, and counted plus lost is the kernel's count at the site
// (exactly, when all the drops were there).
func TestExporterBurst(t *testing.T) {
	const n = 20000
	for _, tt := range []struct {
		name, backend, mode string
		losses              []string
	}{
		{"netdm summary", "netdm", "summary", nil},
		{"netdm packet", "netdm", "packet", []string{"dropwatch_kernel_tail_drops_total", "dropwatch_alerts_lost_total"}},
		{"tracepoint", "tracepoint", "packet", []string{"dropwatch_tracepoint_samples_lost_total"}},
	} {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			k := newKernel(t)
			swBefore, hwBefore := k.dm.tailDropped(t)
			e := startExporter(t, "--backend="+tt.backend, "--mode="+tt.mode)
			defer saveTranscript(t, "exporter", e.proc)
			if tt.backend == "netdm" {
				k.dm.waitMonitoring(t, true, stateTimeout)
			}
			kernel := sendDrops(t, n)
			m := e.waitCount(t, float64(kernel()), tt.losses...)
			// Anything late would show now.
			time.Sleep(1500 * time.Millisecond)
			m = e.metrics(t)
			dropped := kernel()
			e.info(t, m, tt.backend, tt.mode, "false")
			counted, _ := udpDrops(m)
			lost := 0.0
			for _, l := range tt.losses {
				lost += m[l]
			}
			elsewhere := -counted
			for k, v := range m {
				if strings.HasPrefix(k, "dropwatch_drops_total{") {
					elsewhere += v
				}
			}
			t.Logf("%d datagrams sent, %d dropped by __udp4_lib_rcv (Udp NoPorts): %v counted there, %v elsewhere, %v lost (%v)", n, dropped, counted, elsewhere, lost, tt.losses)
			// A lost alert has no site. When every drop was dropgen's at
			// __udp4_lib_rcv, counted plus lost is exactly the kernel's
			// count. When the burst overflowed the loopback backlog, or
			// a full socket's freed messages (netlink_broadcast), drops
			// at other sites come in, whose lost alerts the loss counters
			// count too: then the count is between the kernel's less
			// the losses and the kernel's.
			switch {
			case counted > float64(dropped):
				t.Errorf("counted %v at __udp4_lib_rcv, more than the kernel's %d", counted, dropped)
			case counted+lost < float64(dropped):
				t.Errorf("counted %v + lost %v = %v, less than the kernel's %d: drops missing from the loss counters", counted, lost, counted+lost, dropped)
			case dropped == uint64(n) && elsewhere == 0 && counted+lost != float64(dropped):
				t.Errorf("counted %v + lost %v = %v, want the kernel's %d", counted, lost, counted+lost, dropped)
			}
			if m["dropwatch_malformed_messages_total"] != 0 || m["dropwatch_full_summaries_total"] != 0 {
				t.Errorf("malformed %v, full summaries %v; want 0", m["dropwatch_malformed_messages_total"], m["dropwatch_full_summaries_total"])
			}
			if tt.backend == "netdm" {
				sw, hw := k.dm.tailDropped(t)
				if kernel := float64(sw - swBefore + hw - hwBefore); m["dropwatch_kernel_tail_drops_total"] != kernel {
					t.Errorf("exporter reports %v kernel tail drops, the kernel %v", m["dropwatch_kernel_tail_drops_total"], kernel)
				}
			}
			e.sigterm(t)
			if k.dm.monitoring(t) {
				t.Error("the kernel is still monitoring after the exporter's SIGTERM")
			}
		})
	}
}

// sendDrops sends n datagrams to a closed port as fast as dropgen goes
// and returns a function that says how many of them __udp4_lib_rcv has
// dropped so far (Udp NoPorts), after waiting for the count to settle. In
// an emulated guest under a burst, the loopback backlog
// (net.core.netdev_max_backlog) overflows and enqueue_to_backlog drops
// some before UDP sees them (net/core/dev.c): seen with the tracepoint
// backend, 17,901 of 20,000 reached UDP. Those are drops at another site.
func sendDrops(t testing.TB, n int) func() uint64 {
	t.Helper()
	before, err := dropgen.NoPorts()
	if err != nil {
		t.Fatal(err)
	}
	made, err := dropgen.Make(n)
	if err != nil {
		t.Fatalf("making %d drops: made %d: %v", n, made, err)
	}
	return func() uint64 {
		got, err := dropgen.CountedSince(before, uint64(made), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
}

// sumDrops adds up the counts of the C tool's "N drops at __udp4_lib_rcv+…"
// lines, and of the Go tool's, which print the same.
func sumDrops(t testing.TB, out string) int {
	t.Helper()
	n := 0
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[1] == "drops" && f[2] == "at" && strings.HasPrefix(f[3], "__udp4_lib_rcv+") {
			c, err := strconv.Atoi(f[0])
			if err != nil {
				t.Fatalf("bad line %q", line)
			}
			n += c
		}
	}
	return n
}

// TestExporterBesideDropwatch: by default the exporter reads the
// tracepoint, and holds nothing of NET_DM: an admin's dropwatch -l kas
// starts and (Ctrl-C) stops the kernel's monitoring as if the exporter were not
// there, both count the same drops, and the exporter goes on counting
// after dropwatch has stopped.
func TestExporterBesideDropwatch(t *testing.T) {
	for _, tl := range []tool{cDropwatch, goDropwatch} {
		t.Run(tl.name, func(t *testing.T) {
			bin := tl.path(t)
			k := newKernel(t)
			e := startExporter(t)
			defer saveTranscript(t, "exporter", e.proc)
			e.info(t, e.metrics(t), "tracepoint", "packet", "false")
			if k.dm.monitoring(t) {
				t.Fatal("the exporter's default holds NET_DM")
			}
			p := startProc(t, bin, "-l", "kas")
			defer saveTranscript(t, "dropwatch", p)
			p.send(t, "start")
			waitActivated(t, k, p)
			const n = 200
			k.makeDrops(t, n)
			p.waitQuiet(t, stateTimeout)
			p.signal(t, syscall.SIGINT) // as Ctrl-C: the admin stops monitoring
			k.dm.waitMonitoring(t, false, stateTimeout)
			if code := p.finish(t); code != 0 {
				t.Errorf("dropwatch exited %d", code)
			}
			if got := sumDrops(t, p.stdout.String()); got != n {
				t.Errorf("dropwatch reported %d drops at __udp4_lib_rcv, want %d:\n%s%s", got, n, p.stdout.String(), p.stderr.String())
			}
			m := e.waitCount(t, n)
			if all, noSocket := udpDrops(m); all != n || noSocket != n {
				t.Errorf("exporter counted %v (NO_SOCKET %v) with dropwatch running, want %d", all, noSocket, n)
			}
			k.makeUnreported(t, 50)
			m = e.waitCount(t, n+50)
			if all, _ := udpDrops(m); all != n+50 {
				t.Errorf("exporter counted %v after dropwatch exited, want %d", all, n+50)
			}
			e.sigterm(t)
			if k.dm.monitoring(t) {
				t.Error("the kernel is monitoring after both stopped")
			}
		})
	}
}

// TestExporterPassive: with the kernel already monitoring for an admin's
// dropwatch, the exporter on NET_DM says in its log that it listens
// passively, counts the drops, and on SIGTERM leaves the admin's
// monitoring on, which the admin then stops.
func TestExporterPassive(t *testing.T) {
	bin := cDropwatch.path(t)
	k := newKernel(t)
	p := startProc(t, bin, "-l", "kas")
	defer saveTranscript(t, "dropwatch", p)
	p.send(t, "start")
	waitActivated(t, k, p)
	e := startExporter(t, "--backend=netdm")
	defer saveTranscript(t, "exporter", e.proc)
	if !strings.Contains(e.stderr.String(), "listening passively") {
		t.Errorf("no line about listening passively in the exporter's log:\n%s", e.stderr.String())
	}
	e.info(t, e.metrics(t), "netdm", "summary", "true")
	const n = 300
	k.makeDrops(t, n)
	m := e.waitCount(t, n)
	if all, _ := udpDrops(m); all != n {
		t.Errorf("passive exporter counted %v, want %d", all, n)
	}
	e.sigterm(t)
	if !k.dm.monitoring(t) {
		t.Fatal("the exporter stopped the admin's monitoring")
	}
	p.waitQuiet(t, stateTimeout)
	p.signal(t, syscall.SIGINT)
	k.dm.waitMonitoring(t, false, stateTimeout)
	if code := p.finish(t); code != 0 {
		t.Errorf("dropwatch exited %d", code)
	}
	if got := sumDrops(t, p.stdout.String()); got != n {
		t.Errorf("dropwatch reported %d drops beside the passive exporter, want %d", got, n)
	}
}
