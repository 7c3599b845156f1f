//go:build vmtest

package e2e

// The exporter's rows of make bench-vm (BenchmarkExporter): its CPU time
// idle and per 1,000 drops of a burst, and its peak RSS, on each backend
// and mode. The table goes to DROPWATCH_VM_OUT_DIR/bench/exporter.md and
// to stdout.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// exporterIdle is how long the idle CPU is measured: the exporter's
// target is below 0.1% of a core, 20 ms over this time.
const exporterIdle = 20 * time.Second

// cpuTime is the time the process's threads have run on a CPU, from
// /proc/PID/task/*/schedstat (nanoseconds, CONFIG_SCHED_INFO; the
// process's own schedstat is its main thread's only, and Go works in
// others): /proc/PID/stat's clock ticks (10 ms) are too coarse for an idle
// exporter. Threads that exited are not counted; the Go runtime keeps its
// threads.
func cpuTime(tb testing.TB, pid int) time.Duration {
	tb.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		tb.Fatalf("no threads of %d: %v", pid, err)
	}
	var sum time.Duration
	for _, task := range tasks {
		b, err := os.ReadFile(task)
		if err != nil {
			tb.Fatalf("schedstat: %v", err)
		}
		f := strings.Fields(string(b))
		if len(f) < 1 {
			tb.Fatalf("%s is %q", task, b)
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			tb.Fatal(err)
		}
		sum += time.Duration(ns)
	}
	return sum
}

type exporterRow struct {
	name                  string
	drops, counted, lost  float64
	idle, idleFor, burstC time.Duration
	rss                   int64
}

func BenchmarkExporter(b *testing.B) {
	burst := defaultBurstDrops
	if n, err := strconv.Atoi(os.Getenv("DROPWATCH_BENCH_DROPS")); err == nil && n > 0 {
		burst = n
	}
	rows := []struct {
		name, backend, mode string
		losses              []string
	}{
		{"NET_DM summary", "netdm", "summary", nil},
		{"NET_DM packet", "netdm", "packet", []string{"dropwatch_kernel_tail_drops_total", "dropwatch_alerts_lost_total"}},
		{"tracepoint packet", "tracepoint", "packet", []string{"dropwatch_tracepoint_samples_lost_total"}},
	}
	var results []exporterRow
	for _, row := range rows {
		b.Run(strings.ReplaceAll(row.name, " ", "_"), func(b *testing.B) {
			for range b.N {
				r := exporterRow{name: row.name}
				dm := dialNetDM(b)
				dm.reset(b)
				b.Cleanup(func() { dm.reset(b) })
				waitQuiet(b, 15*time.Second)
				e := startExporter(b, "--backend="+row.backend, "--mode="+row.mode)
				pid := e.cmd.Process.Pid
				// Settle after startup (kallsyms, first GC), then
				// measure idle without a scrape.
				time.Sleep(2 * time.Second)
				c0 := cpuTime(b, pid)
				time.Sleep(exporterIdle)
				r.idle, r.idleFor = cpuTime(b, pid)-c0, exporterIdle

				c1 := cpuTime(b, pid)
				// The loopback backlog is drained by the NET_RX softirq,
				// which lags the writes in a busy guest: the kernel's count
				// first.
				r.drops = float64(sendDrops(b, burst)())
				// Summary alerts leave up to a second after the drops;
				// the tracepoint reader looks once a second.
				time.Sleep(1500 * time.Millisecond)
				waitIdle(b, pid, 5*time.Minute)
				time.Sleep(1200 * time.Millisecond)
				r.burstC = cpuTime(b, pid) - c1
				r.rss = peakRSS(pid)
				// Scrapes cost CPU too: the count is checked after the
				// measurement, waiting longer if it is not complete.
				deadline := time.Now().Add(time.Minute)
				for {
					m := e.metrics(b)
					r.counted, _ = udpDrops(m)
					r.lost = 0
					for _, l := range row.losses {
						r.lost += m[l]
					}
					if r.counted+r.lost >= r.drops || time.Now().After(deadline) {
						break
					}
					time.Sleep(time.Second)
				}
				// As TestExporterBurst: lost alerts have no site, and may
				// be of drops elsewhere (a backlog overflow).
				if r.counted > r.drops || r.counted+r.lost < r.drops {
					b.Errorf("%s: counted %v + lost %v, the kernel dropped %v", row.name, r.counted, r.lost, r.drops)
				}
				e.signal(b, syscall.SIGTERM)
				e.wait(b, stateTimeout)
				b.ReportMetric(1000*ms(r.burstC)/r.drops, "cpu-ms/1k-drops")
				b.ReportMetric(100*r.idle.Seconds()/r.idleFor.Seconds(), "idle-%core")
				b.ReportMetric(float64(r.rss)/1024, "rss-MiB")
				b.Logf("%s: %v drops, %v counted, %v lost; burst CPU %v; idle CPU %v in %v; peak RSS %d KiB",
					row.name, r.drops, r.counted, r.lost, r.burstC, r.idle, r.idleFor, r.rss)
				results = append(results, r)
			}
		})
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "### dropwatch_exporter, kernel %s\n\n", os.Getenv("DROPWATCH_VM_KERNEL"))
	fmt.Fprintf(&out, "| backend, mode | drops | counted | lost | CPU ms per 1,000 drops | idle CPU (%% of a core, %v) | peak RSS MiB |\n", exporterIdle)
	fmt.Fprintf(&out, "|---|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range results {
		fmt.Fprintf(&out, "| %s | %.0f | %.0f | %.0f | %.1f | %.3f | %.1f |\n", r.name, r.drops, r.counted, r.lost,
			1000*ms(r.burstC)/r.drops, 100*r.idle.Seconds()/r.idleFor.Seconds(), float64(r.rss)/1024)
	}
	os.Stdout.Write(out.Bytes())
	keepText(b, "exporter.md", out.Bytes())
}
