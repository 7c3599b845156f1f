//go:build vmtest

package e2e

// The in-VM burst benchmark (make bench-vm): the same drop workload against
// the C dropwatch and dwdump 1.5.4 and against ours, one tool at a time,
// each writing to a file. Every run is measured from outside the tool:
// alerts from its output, socket overruns from /proc/net/netlink, the
// kernel's tail drops from NET_DM_CMD_STATS_GET, CPU time and peak RSS
// from wait4's rusage. The tables, with ratios to the C tool of the same
// run, go to DROPWATCH_VM_OUT_DIR/bench/tables.md, which run.sh prints.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dropwatch-go/dropwatch/test/vm/dropgen"
)

// Workloads. The burst is as fast as dropgen can go in the guest (about
// 1,000 to 4,000 drops a second under TCG, less while a tool competes
// for the two vCPUs); the fixed rate is one that every tool should keep
// up with. DROPWATCH_BENCH_DROPS overrides the burst's size.
const (
	defaultBurstDrops = 20000
	fixedRate         = 500 // drops per second
	fixedDrops        = 5000
	// The slow rate is a steady trickle, the common case of a host with
	// a few drops a second: each alert comes to a tool that has gone to
	// sleep since the last one.
	slowRate  = 50
	slowDrops = 1000
	// defaultIdle is how long the idle row monitors with no drops;
	// DROPWATCH_BENCH_IDLE (seconds) overrides it.
	defaultIdle = 60 * time.Second
)

var (
	cDwdump  = tool{"C", "C_DWDUMP_BIN"}
	goDwdump = tool{"Go", "DWDUMP_BIN"}
	// The baseline: our tools built from another revision
	// (DROPWATCH_VM_BASELINE), measured in the same boot as these.
	baseDropwatch = tool{"baseline", "BASE_DROPWATCH_BIN"}
	baseDwdump    = tool{"baseline", "BASE_DWDUMP_BIN"}
)

// baselineSuffix names the rows of the baseline's tools.
const baselineSuffix = " (baseline)"

// withBaseline adds, when the guest has the baseline's binaries, a row of
// the baseline's build after each of our default rows: "before" and
// "after" of a change in one boot, where the C tools' own numbers vary
// from boot to boot as much as a change does (docs/benchmarks.md).
func withBaseline(ts []benchTool) []benchTool {
	if os.Getenv(baseDropwatch.env) == "" {
		return ts
	}
	var out []benchTool
	for _, bt := range ts {
		out = append(out, bt)
		switch bt.name {
		case "Go dropwatch":
			bt.tool = baseDropwatch
		case "Go dwdump":
			bt.tool = baseDwdump
		default:
			continue
		}
		bt.name += baselineSuffix
		out = append(out, bt)
	}
	return out
}

// output is how a tool's output is counted.
type output int

const (
	textOut output = iota // dropwatch's text on stdout
	jsonOut               // dropwatch --json on stdout
	pcapOut               // a pcap file named by -w
)

// benchTool is one way of running a tool.
type benchTool struct {
	name  string
	tool  tool
	args  []string // "FILE" stands for the pcap file
	repl  bool     // commands on stdin: set alertmode, start
	out   output
	cTool string // the name of the C row this one is compared with
	env   []string
}

const (
	cDropwatchRow = "C dropwatch"
	cDwdumpRow    = "C dwdump"
)

func packetTools() []benchTool {
	return []benchTool{
		{name: cDropwatchRow, tool: cDropwatch, args: []string{"-l", "kas"}, repl: true, out: textOut, cTool: cDropwatchRow},
		{name: "Go dropwatch", tool: goDropwatch, args: []string{"-l", "kas"}, repl: true, out: textOut, cTool: cDropwatchRow},
		{name: "Go dropwatch --json", tool: goDropwatch, args: []string{"--once", "1h", "--mode", "packet", "--json"}, out: jsonOut, cTool: cDropwatchRow},
		{name: cDwdumpRow, tool: cDwdump, args: []string{"-w", "FILE"}, out: pcapOut, cTool: cDwdumpRow},
		{name: "Go dwdump", tool: goDwdump, args: []string{"-w", "FILE"}, out: pcapOut, cTool: cDwdumpRow},
		{name: "Go dwdump -b 1M", tool: goDwdump, args: []string{"-w", "FILE", "-b", "1048576"}, out: pcapOut, cTool: cDwdumpRow},
		// Both commands run on one P unless GOMAXPROCS is set
		// (internal/procs); this row is the runtime's default on the
		// guest's two CPUs.
		{name: "Go dwdump GOMAXPROCS=2", tool: goDwdump, args: []string{"-w", "FILE"}, out: pcapOut, cTool: cDwdumpRow, env: []string{"GOMAXPROCS=2"}},
		{name: "Go dropwatch -w", tool: goDropwatch, args: []string{"--once", "1h", "--mode", "packet", "-w", "FILE"}, out: pcapOut, cTool: cDwdumpRow},
	}
}

// flowTools are the burst's rows of the cost of decoding flows: --once's
// text without and with --flows (the flow: line of each alert).
func flowTools() []benchTool {
	return []benchTool{
		{name: "Go dropwatch --once", tool: goDropwatch, args: []string{"--once", "1h", "--mode", "packet"}, out: textOut, cTool: cDropwatchRow},
		{name: "Go dropwatch --once --flows", tool: goDropwatch, args: []string{"--once", "1h", "--mode", "packet", "--flows"}, out: textOut, cTool: cDropwatchRow},
	}
}

// steadyTools are the four tools the slow-rate and idle rows compare:
// each of ours in its default form against its C counterpart.
func steadyTools() []benchTool {
	var ts []benchTool
	for _, bt := range packetTools() {
		switch bt.name {
		case cDropwatchRow, "Go dropwatch", cDwdumpRow, "Go dwdump":
			ts = append(ts, bt)
		}
	}
	return ts
}

func summaryTools() []benchTool {
	return []benchTool{
		{name: cDropwatchRow, tool: cDropwatch, args: []string{"-l", "kas"}, repl: true, out: textOut, cTool: cDropwatchRow},
		{name: "Go dropwatch", tool: goDropwatch, args: []string{"-l", "kas"}, repl: true, out: textOut, cTool: cDropwatchRow},
		{name: "Go dropwatch --json", tool: goDropwatch, args: []string{"--once", "1h", "--mode", "summary", "--json"}, out: jsonOut, cTool: cDropwatchRow},
	}
}

// result is what one run of one tool measured.
type result struct {
	tool      benchTool
	made      int
	rate      float64 // drops made per second
	alerts    int     // packet alerts, or summary lines
	others    int     // packet alerts of drops elsewhere than dropgen's
	reported  int     // drops the summary lines count
	overruns  uint64  // Drops of the tool's sockets in /proc/net/netlink
	tailDrops uint64  // the kernel's software tail drops during the run
	cpu       time.Duration
	monitored time.Duration // from monitoring on to the stop signal
	maxRSS    int64         // VmHWM in KiB, before the stop signal
	mem       memBreakdown  // what the RSS was made of when maxRSS was read
	startup   time.Duration // from fork to the kernel monitoring
	switches  int64         // context switches, voluntary and not, of all the tool's threads
	err       string
}

// workload is a drop workload and the tools it runs.
type workload struct {
	name  string
	mode  string // "packet" or "summary"
	drops int
	rate  int // 0: as fast as possible
	tools []benchTool
	// idle, for a workload of no drops: how long the tool monitors.
	idle time.Duration
}

// BenchmarkTools runs every workload against every tool and writes the
// tables. It reports, it does not assert: CPU time in an emulated guest
// varies from run to run.
func BenchmarkTools(b *testing.B) {
	burst := defaultBurstDrops
	if n, err := strconv.Atoi(os.Getenv("DROPWATCH_BENCH_DROPS")); err == nil && n > 0 {
		burst = n
	}
	idle := defaultIdle
	if n, err := strconv.Atoi(os.Getenv("DROPWATCH_BENCH_IDLE")); err == nil && n > 0 {
		idle = time.Duration(n) * time.Second
	}
	scenarios := []workload{
		{name: "packet burst", mode: "packet", drops: burst, tools: withBaseline(append(packetTools(), flowTools()...))},
		{name: "packet fixed rate", mode: "packet", drops: fixedDrops, rate: fixedRate, tools: withBaseline(packetTools())},
		{name: "packet slow rate", mode: "packet", drops: slowDrops, rate: slowRate, tools: withBaseline(steadyTools())},
		{name: "summary burst", mode: "summary", drops: burst, tools: withBaseline(summaryTools())},
		{name: "idle", mode: "packet", idle: idle, tools: withBaseline(steadyTools())},
	}
	warmUp(b, cDropwatch, goDropwatch, cDwdump, goDwdump)
	if os.Getenv(baseDropwatch.env) != "" {
		warmUp(b, baseDropwatch, baseDwdump)
	}
	var tables bytes.Buffer
	fmt.Fprintf(&tables, "### Kernel %s\n\n", os.Getenv("DROPWATCH_VM_KERNEL"))
	fmt.Fprintf(&tables, "Transparent huge pages: %s.\n\n", thpMode())
	for _, sc := range scenarios {
		var results []result
		b.Run(strings.ReplaceAll(sc.name, " ", "_"), func(b *testing.B) {
			for _, bt := range sc.tools {
				b.Run(strings.ReplaceAll(bt.name, " ", "_"), func(b *testing.B) {
					bin := bt.tool.path(b)
					var r result
					for range b.N {
						r = runTool(b, sc, bt, bin)
					}
					results = append(results, r)
					reportMetrics(b, sc, r)
				})
			}
		})
		writeTable(&tables, sc, results)
	}
	os.Stdout.Write(tables.Bytes())
	if dir := os.Getenv("DROPWATCH_VM_OUT_DIR"); dir != "" {
		dir = filepath.Join(dir, "bench")
		if err := os.MkdirAll(dir, 0o755); err == nil {
			err = os.WriteFile(filepath.Join(dir, "tables.md"), tables.Bytes(), 0o644)
		}
	}
}

func reportMetrics(b *testing.B, sc workload, r result) {
	b.ReportMetric(float64(r.made), "drops")
	b.ReportMetric(float64(r.alerts), "alerts")
	b.ReportMetric(float64(r.overruns), "overruns")
	b.ReportMetric(float64(r.tailDrops), "taildrops")
	b.ReportMetric(r.cpu.Seconds(), "cpu-s")
	b.ReportMetric(float64(r.maxRSS)/1024, "rss-MiB")
	b.ReportMetric(float64(r.startup.Microseconds())/1000, "start-ms")
	b.ReportMetric(float64(r.switches), "ctxsw")
	if sc.mode == "packet" && r.alerts > 0 {
		b.ReportMetric(1000*r.cpu.Seconds()/float64(r.alerts), "cpu-s/1k-alerts")
	}
}

// runTool starts the tool, waits until the kernel monitors, makes the
// drops, waits until the tool has read every alert queued for it, stops
// it as Ctrl-C would and measures.
func runTool(b *testing.B, sc workload, bt benchTool, bin string) result {
	r := result{tool: bt}
	dm := dialNetDM(b)
	dm.reset(b)
	b.Cleanup(func() { dm.reset(b) })
	tail0, _ := dm.tailDropped(b)

	dir := b.TempDir()
	pcap := filepath.Join(dir, "out.pcap")
	args := make([]string, len(bt.args))
	for i, a := range bt.args {
		args[i] = strings.ReplaceAll(a, "FILE", pcap)
	}
	stdout, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		b.Fatal(err)
	}
	defer stdout.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	cmd.Env = append(append(os.Environ(), "TERM=dumb"), bt.env...)
	if prof := profilePath(b, bt); prof != "" {
		cmd.Env = append(cmd.Env, "DROPWATCH_CPUPROFILE="+prof)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if bt.repl {
		// Queued before the start, so that the startup time is the
		// tool's own.
		go fmt.Fprintf(stdin, "set alertmode %s\nstart\n", sc.mode)
	} else if sc.mode == "summary" && bt.out == textOut {
		b.Fatalf("%s: no way to choose the mode", bt.name)
	}
	// The previous row's tool may have left the kernel busy (a C
	// dropwatch that fell behind leaves a socket full of alerts to free):
	// start each row on a quiet machine, so that start times compare.
	waitQuiet(b, 15*time.Second)
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatalf("starting %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	defer func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	for !dm.monitoring(b) {
		select {
		case <-exited:
			b.Fatalf("%s exited before monitoring: %s", bt.name, stderr.String())
		default:
		}
		if time.Since(t0) > stateTimeout {
			b.Fatalf("%s: the kernel is not monitoring after %v", bt.name, stateTimeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
	r.startup = time.Since(t0)
	on := time.Now()

	if sc.idle > 0 {
		time.Sleep(sc.idle)
	} else {
		r.made, err = dropgen.MakeRate(context.Background(), sc.drops, sc.rate)
		if err != nil {
			b.Fatalf("making drops: %d made: %v", r.made, err)
		}
		r.rate = float64(r.made) / time.Since(on).Seconds()
	}
	// Alerts leave the kernel from a work item after the drop (packet
	// mode) or up to a second later (summary mode).
	time.Sleep(1500 * time.Millisecond)
	waitIdle(b, cmd.Process.Pid, 5*time.Minute)
	r.overruns = toolSocketDrops(cmd.Process.Pid)
	r.maxRSS = peakRSS(cmd.Process.Pid)
	r.mem = readMem(cmd.Process.Pid)
	// Before STOP: the kernel reads 0 again once monitoring has stopped
	// (seen on 6.1: dropwatch's own report said 1652, a read after exit 0).
	tail1, _ := dm.tailDropped(b)
	r.tailDrops = tail1 - min(tail0, tail1)
	r.monitored = time.Since(on)

	_ = cmd.Process.Signal(syscall.SIGINT)
	if bt.repl {
		// Both dropwatches go back to the prompt after STOP; EOF ends them.
		dm.waitMonitoring(b, false, stateTimeout)
		stdin.Close()
	}
	select {
	case <-exited:
	case <-time.After(time.Minute):
		b.Fatalf("%s did not exit; stderr:\n%s", bt.name, stderr.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.cpu = time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
		// wait4's rusage sums every thread of the tool (the kernel adds
		// each exiting thread's nvcsw and nivcsw to its signal_struct,
		// kernel/exit.c __exit_signal); /proc/PID/status counts only
		// the main thread's.
		r.switches = ru.Nvcsw + ru.Nivcsw
	}
	if !cmd.ProcessState.Success() {
		r.err = fmt.Sprintf("exit %d", cmd.ProcessState.ExitCode())
	}
	name := strings.ReplaceAll(b.Name(), "/", "_")
	keepText(b, name+".stderr", stderr.Bytes())
	switch bt.out {
	case pcapOut:
		// The first record is the family record.
		r.alerts, r.others = pcapAlerts(b, pcap)
	default:
		r.alerts, r.reported, r.others = countText(b, stdout.Name(), bt.out)
		if r.others > 0 {
			keepText(b, name+".others", otherLines(b, stdout.Name()))
		}
	}
	b.Logf("%s: %d drops made (%.0f/s), %d alerts (%d of other drops), %d overruns, %d tail drops, cpu %v, rss %d KiB, start %v, %d context switches %s",
		bt.name, r.made, r.rate, r.alerts, r.others, r.overruns, r.tailDrops, r.cpu, r.maxRSS, r.startup, r.switches, r.err)
	return r
}

// profilePath is where one of our rows writes its Go CPU profile
// (internal/cpuprofile) when DROPWATCH_BENCH_PROFILE is set: the guest's
// out directory, which comes back to the host. The C rows have none.
func profilePath(b *testing.B, bt benchTool) string {
	dir := os.Getenv("DROPWATCH_VM_OUT_DIR")
	if os.Getenv("DROPWATCH_BENCH_PROFILE") == "" || dir == "" || strings.HasPrefix(bt.name, "C ") {
		return ""
	}
	dir = filepath.Join(dir, "bench", "profiles")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	name := strings.NewReplacer("/", "_", " ", "_", "(", "", ")", "").Replace(b.Name())
	return filepath.Join(dir, name+".prof")
}

// warmUp runs each tool once, printing its usage, before anything is
// measured. The first run of each Go binary in a fresh guest took 1.5-2.4x
// the C tool's time to start and every later run of the same binary
// 0.6-1.0x: the start column compares warm starts, as a tool run twice on
// a production box would have.
func warmUp(b *testing.B, tools ...tool) {
	for _, tl := range tools {
		// Exit statuses differ (usage errors): only the run matters.
		out, _ := exec.Command(tl.path(b), "-h").CombinedOutput()
		if len(out) == 0 {
			b.Logf("%s printed nothing for -h", tl.path(b))
		}
	}
}

// waitQuiet waits until the machine's CPUs have been at least 90% idle
// for two quarter-second samples in a row (/proc/stat), or timeout.
func waitQuiet(tb testing.TB, timeout time.Duration) {
	tb.Helper()
	start := time.Now()
	prevIdle, prevTotal := cpuTimes(tb)
	for quiet := 0; quiet < 2 && time.Since(start) < timeout; {
		time.Sleep(250 * time.Millisecond)
		idle, total := cpuTimes(tb)
		if total > prevTotal && float64(idle-prevIdle) >= 0.9*float64(total-prevTotal) {
			quiet++
		} else {
			quiet = 0
		}
		prevIdle, prevTotal = idle, total
	}
	tb.Logf("machine quiet after %v", time.Since(start).Round(time.Millisecond))
}

// cpuTimes returns the idle (idle and iowait) and total jiffies of all
// CPUs, from the first line of /proc/stat.
func cpuTimes(tb testing.TB) (idle, total uint64) {
	tb.Helper()
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		tb.Fatal(err)
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	fields := strings.Fields(string(line))
	if len(fields) < 6 || fields[0] != "cpu" {
		tb.Fatalf("/proc/stat begins %q", line)
	}
	for i, f := range fields[1:] {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			tb.Fatalf("/proc/stat field %q: %v", f, err)
		}
		total += n
		if i == 3 || i == 4 {
			idle += n
		}
	}
	return idle, total
}

// waitIdle waits until the process has read everything queued for it and
// sleeps (see procBusy), twice in a row.
func waitIdle(tb testing.TB, pid int, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for quiet := 0; quiet < 2; time.Sleep(100 * time.Millisecond) {
		busy := procBusy(pid)
		if busy != "" {
			quiet = 0
			if time.Now().After(deadline) {
				tb.Fatalf("pid %d still busy after %v: %s", pid, timeout, busy)
			}
			continue
		}
		quiet++
	}
}

// toolSocketDrops sums the Drops column of the process's sockets in
// NET_DM's "events" group: messages the kernel could not queue for them
// (netlink_overrun), whether or not NETLINK_NO_ENOBUFS hides the error.
func toolSocketDrops(pid int) uint64 {
	var n uint64
	for _, fields := range eventSockets(pid) {
		d, _ := strconv.ParseUint(fields[8], 10, 64)
		n += d
	}
	return n
}

// eventSockets returns the /proc/net/netlink lines (sk Eth Pid Groups Rmem
// Wmem Dump Locks Drops Inode), split in fields, of the process's sockets
// that joined group 1, which genetlink gives NET_DM's "events".
func eventSockets(pid int) [][]string {
	inodes := socketInodes(pid)
	data, err := os.ReadFile("/proc/net/netlink")
	if err != nil {
		return nil
	}
	var socks [][]string
	for line := range strings.Lines(string(data)) {
		fields := strings.Fields(line)
		if len(fields) < 10 || !inodes[fields[9]] {
			continue
		}
		if groups, err := strconv.ParseUint(fields[3], 16, 32); err == nil && groups&1 != 0 {
			socks = append(socks, fields)
		}
	}
	return socks
}

// peakRSS is the process's VmHWM in KiB. (wait4's ru_maxrss is no use
// here: it also counts the memory of the test binary the child was forked
// from, which exec keeps in signal->maxrss.)
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// memBreakdown is a process's resident memory by kind, in KiB: anonymous
// pages (heap, stacks, runtime metadata, the data segment's written
// pages), of which in transparent huge pages, and pages of files (the
// binary's text and read-only data; shmem when the binary is on tmpfs,
// as in the guest's initramfs). VmHWM is a high-water mark; these are
// the RSS at the moment they were read, so they add up to VmRSS, not to
// the peak.
type memBreakdown struct {
	anon, huge, file int64
}

// readMem reads pid's memBreakdown from /proc/PID/status (RssAnon,
// RssFile, RssShmem) and /proc/PID/smaps_rollup (AnonHugePages).
func readMem(pid int) memBreakdown {
	var m memBreakdown
	field := func(path, name string) int64 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, path))
		if err != nil {
			return 0
		}
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, name+":"); ok {
				n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				return n
			}
		}
		return 0
	}
	m.anon = field("status", "RssAnon")
	m.file = field("status", "RssFile") + field("status", "RssShmem")
	m.huge = field("smaps_rollup", "AnonHugePages")
	return m
}

// thpMode is the kernel's transparent huge page setting, the bracketed
// word of /sys/kernel/mm/transparent_hugepage/enabled.
func thpMode() string {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return "unknown"
	}
	s := string(b)
	if i := strings.IndexByte(s, '['); i >= 0 {
		if j := strings.IndexByte(s[i:], ']'); j > 0 {
			return s[i+1 : i+j]
		}
	}
	return strings.TrimSpace(s)
}

var (
	summaryLine = regexp.MustCompile(`(?m)^(\d+) drops at `)
	jsonCount   = regexp.MustCompile(`"count":(\d+)`)
)

// dropgenSymbol is where the kernel drops dropgen's datagrams. A packet
// alert of a drop elsewhere is another's: on 6.1 a tool that fell behind
// before has been seen to leave drops that the next row's tool reported.
const dropgenSymbol = "__udp4_lib_rcv+"

// countText counts the packet alerts or summary lines in a dropwatch's
// output, the drops the summary lines add up to, and the packet alerts of
// drops elsewhere than dropgen's.
func countText(tb testing.TB, path string, out output) (alerts, drops, others int) {
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if out == jsonOut {
		for line := range bytes.Lines(data) {
			switch {
			case bytes.HasPrefix(line, []byte(`{"type":"packet"`)):
				alerts++
				if !bytes.Contains(line, []byte(`"`+dropgenSymbol)) {
					others++
				}
			case bytes.HasPrefix(line, []byte(`{"type":"summary"`)):
				alerts++
				if m := jsonCount.FindSubmatch(line); m != nil {
					n, _ := strconv.Atoi(string(m[1]))
					drops += n
				}
			}
		}
		return alerts, drops, others
	}
	alerts = bytes.Count(data, []byte("drop at: "))
	others = alerts - bytes.Count(data, []byte("drop at: "+dropgenSymbol))
	for _, m := range summaryLine.FindAllSubmatch(data, -1) {
		n, _ := strconv.Atoi(string(m[1]))
		alerts++
		drops += n
	}
	return alerts, drops, others
}

// otherLines returns up to 200 lines of a dropwatch's output about drops
// elsewhere than dropgen's, with the two lines before each: what the
// kernel dropped besides the workload.
func otherLines(tb testing.TB, path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var out []byte
	lines := bytes.Split(data, []byte("\n"))
	n := 0
	for i, line := range lines {
		isAlert := bytes.HasPrefix(line, []byte("drop at: ")) || bytes.HasPrefix(line, []byte(`{"type":"packet"`))
		if !isAlert || bytes.Contains(line, []byte(dropgenSymbol)) {
			continue
		}
		for _, l := range lines[max(0, i-2) : i+1] {
			out = append(append(out, l...), '\n')
		}
		if n++; n == 200 {
			break
		}
	}
	return out
}

// writeTable writes one workload's results as a Markdown table, with
// ratios to the C tool each row is compared with.
func writeTable(w *bytes.Buffer, sc workload, rs []result) {
	how := "as fast as dropgen can"
	if sc.rate > 0 {
		how = fmt.Sprintf("at %d/s", sc.rate)
	}
	if sc.idle > 0 {
		fmt.Fprintf(w, "#### %s: monitoring for %v with no drops, %s mode\n\n", sc.name, sc.idle, sc.mode)
	} else {
		fmt.Fprintf(w, "#### %s: %d drops %s, %s mode\n\n", sc.name, sc.drops, how, sc.mode)
	}
	byName := map[string]result{}
	for _, r := range rs {
		byName[r.tool.name] = r
	}
	ratio := func(v, c float64) string {
		if c <= 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f", v/c)
	}
	switch {
	case sc.idle > 0:
		w.WriteString("| tool | alerts | CPU s | monitored s | CPU ms / min (× C) | peak RSS MiB (× C) | context switches / min (× C) | start ms (× C) |\n")
		w.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	case sc.mode == "packet":
		w.WriteString("| tool | drops made | drops/s | alerts | of other drops | received | socket overruns | kernel tail drops | CPU s | CPU ms / 1k alerts (× C) | peak RSS MiB (× C) | start ms (× C) | context switches / alert (× C) |\n")
		w.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	default:
		w.WriteString("| tool | drops made | drops/s | summary lines | drops reported | socket overruns | CPU s | monitored s | CPU ms / s (× C) | peak RSS MiB (× C) | start ms (× C) | context switches / s (× C) |\n")
		w.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	}
	for _, r := range rs {
		c := byName[r.tool.cTool]
		rss, cRSS := float64(r.maxRSS)/1024, float64(c.maxRSS)/1024
		start, cStart := ms(r.startup), ms(c.startup)
		name := r.tool.name
		if r.err != "" {
			name += " (" + r.err + ")"
		}
		switch {
		case sc.idle > 0:
			per, cPer := 60*perSecond(r), 60*perSecond(c)
			sw, cSw := switchesPerSecond(r)*60, switchesPerSecond(c)*60
			fmt.Fprintf(w, "| %s | %d | %.2f | %.1f | %.1f (%s) | %.1f (%s) | %.0f (%s) | %.0f (%s) |\n",
				name, r.alerts, r.cpu.Seconds(), r.monitored.Seconds(), per, ratio(per, cPer),
				rss, ratio(rss, cRSS), sw, ratio(sw, cSw), start, ratio(start, cStart))
		case sc.mode == "packet":
			per, cPer := perK(r), perK(c)
			sw, cSw := switchesPerAlert(r), switchesPerAlert(c)
			// received: the share of dropgen's drops reported.
			fmt.Fprintf(w, "| %s | %d | %.0f | %d | %d | %.1f%% | %d | %d | %.2f | %.1f (%s) | %.1f (%s) | %.0f (%s) | %.1f (%s) |\n",
				name, r.made, r.rate, r.alerts, r.others, 100*float64(r.alerts-r.others)/float64(max(r.made, 1)),
				r.overruns, r.tailDrops, r.cpu.Seconds(), per, ratio(per, cPer),
				rss, ratio(rss, cRSS), start, ratio(start, cStart), sw, ratio(sw, cSw))
		default:
			per, cPer := perSecond(r), perSecond(c)
			sw, cSw := switchesPerSecond(r), switchesPerSecond(c)
			fmt.Fprintf(w, "| %s | %d | %.0f | %d | %d | %d | %.2f | %.1f | %.1f (%s) | %.1f (%s) | %.0f (%s) | %.0f (%s) |\n",
				name, r.made, r.rate, r.alerts, r.reported, r.overruns, r.cpu.Seconds(),
				r.monitored.Seconds(), per, ratio(per, cPer), rss, ratio(rss, cRSS), start, ratio(start, cStart), sw, ratio(sw, cSw))
		}
	}
	w.WriteString("\n")
	writeMemTable(w, rs)
}

// writeMemTable writes what each row's resident memory was made of when
// its peak was read (memBreakdown).
func writeMemTable(w *bytes.Buffer, rs []result) {
	w.WriteString("| tool | peak RSS MiB | RSS then MiB | anonymous MiB | of it huge pages MiB | file MiB |\n")
	w.WriteString("| --- | ---: | ---: | ---: | ---: | ---: |\n")
	mib := func(kib int64) float64 { return float64(kib) / 1024 }
	for _, r := range rs {
		m := r.mem
		fmt.Fprintf(w, "| %s | %.1f | %.1f | %.1f | %.1f | %.1f |\n",
			r.tool.name, mib(r.maxRSS), mib(m.anon+m.file), mib(m.anon), mib(m.huge), mib(m.file))
	}
	w.WriteString("\n")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// perK is CPU milliseconds per 1,000 alerts.
func perK(r result) float64 {
	if r.alerts == 0 {
		return 0
	}
	return 1e6 * r.cpu.Seconds() / float64(r.alerts)
}

// perSecond is CPU milliseconds per second of monitoring.
func perSecond(r result) float64 {
	if r.monitored <= 0 {
		return 0
	}
	return 1000 * r.cpu.Seconds() / r.monitored.Seconds()
}

// switchesPerAlert is the tool's context switches per alert, over its
// whole run.
func switchesPerAlert(r result) float64 {
	if r.alerts == 0 {
		return 0
	}
	return float64(r.switches) / float64(r.alerts)
}

// switchesPerSecond is the tool's context switches per second of
// monitoring.
func switchesPerSecond(r result) float64 {
	if r.monitored <= 0 {
		return 0
	}
	return float64(r.switches) / r.monitored.Seconds()
}

// keepText leaves a file in the guest's /out/bench, which run.sh brings
// back to the host.
func keepText(tb testing.TB, name string, data []byte) {
	dir := os.Getenv("DROPWATCH_VM_OUT_DIR")
	if dir == "" {
		return
	}
	dir = filepath.Join(dir, "bench")
	err := os.MkdirAll(dir, 0o755)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	if err != nil {
		tb.Logf("keeping %s: %v", name, err)
	}
}
