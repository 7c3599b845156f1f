package main

import (
	"bytes"
	"context"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/nlpcap"
	"github.com/dropwatch-go/dropwatch/pkg/nlpcap/nlpcaptest"
)

// readPcap decodes a capture and returns its snapshot length and the
// datagrams of its records.
func readPcap(t *testing.T, b []byte) (uint32, [][]byte) {
	t.Helper()
	r, err := nlpcap.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("reading the capture: %v", err)
	}
	var ds [][]byte
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return r.SnapLen(), ds
		}
		if err != nil {
			t.Fatalf("record %d: %v", len(ds)+1, err)
		}
		if !rec.Time.Equal(testTime) || rec.Truncated() {
			t.Errorf("record %d: time %v, truncated %v", len(ds)+1, rec.Time, rec.Truncated())
		}
		ds = append(ds, rec.Datagram)
	}
}

func datagram(raw string) receipt { return receipt{datagram: []byte(raw)} }

func TestCaptureSequence(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		calls   []string
		snaplen uint32
	}{
		{
			name: "defaults",
			calls: []string{
				"open",
				"listen buffer=33554432",
				"config mode=packet trunc=65535 queue=1000",
				"start sw+hw",
				"stop sw+hw",
				"monitor close",
				"close",
			},
			snaplen: 65535 + 2048,
		},
		{
			name: "options",
			args: []string{"-t", "100", "-l", "50", "-b", "4096", "-o", "hw"},
			calls: []string{
				"open",
				"listen buffer=4096",
				"config mode=packet trunc=100 queue=50",
				"start hw",
				"stop hw",
				"monitor close",
				"close",
			},
			snaplen: 100 + 2048,
		},
		{
			name:    "passive: no configuration, no start, no stop",
			args:    []string{"-p", "-o", "sw"},
			calls:   []string{"open", "listen buffer=33554432", "monitor close", "close"},
			snaplen: 65535 + 2048,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			// Whatever arrives is written, decodable or not, as C does.
			h.k.mon.receipts = []receipt{datagram("first alert"), datagram("second alert"), datagram("undecodable, written all the same")}
			got := h.run(syscall.SIGINT, tt.args...)
			if got.code != 0 || got.stderr != "" {
				t.Errorf("exit status %d, stderr %q; want 0 and nothing", got.code, got.stderr)
			}
			if diff := cmp.Diff(tt.calls, h.k.Calls()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			snaplen, ds := readPcap(t, []byte(got.stdout))
			if snaplen != tt.snaplen {
				t.Errorf("snapshot length %d, want %d", snaplen, tt.snaplen)
			}
			want := [][]byte{
				nlpcap.NewFamilyMessage(nlpcap.NETDMFamily(0x1b, 0)),
				[]byte("first alert"),
				[]byte("second alert"),
				[]byte("undecodable, written all the same"),
			}
			if diff := cmp.Diff(want, ds); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

// Every signal dwdump catches ends the capture the same way: the pcap
// complete and closed, STOP sent because dwdump started the monitor,
// exit status 0.
func TestStopSignals(t *testing.T) {
	for _, sig := range stopSignals {
		t.Run(sig.String(), func(t *testing.T) {
			h := newHarness(t)
			h.k.mon.receipts = []receipt{datagram("a")}
			path := filepath.Join(t.TempDir(), "out.pcap")
			got := h.run(sig, "-w", path)
			if got.code != 0 || got.stdout != "" || got.stderr != "" {
				t.Errorf("got %+v, want exit status 0 and no output", got)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, ds := readPcap(t, b); len(ds) != 2 {
				t.Errorf("%d records, want the family record and one alert", len(ds))
			}
			calls := h.k.Calls()
			if n := strings.Count(strings.Join(calls, "\n"), "stop sw+hw"); n != 1 || calls[len(calls)-3] != "stop sw+hw" {
				t.Errorf("STOP sent %d times; requests %q", n, calls)
			}
		})
	}
}

func TestFamilyRecord(t *testing.T) {
	reply := nlpcap.NewFamilyMessage(nlpcap.Family{ID: 0x1b, Version: 2, Name: "NET_DM", MaxAttr: 23})
	otherID := nlpcap.NewFamilyMessage(nlpcap.NETDMFamily(0x22, 23))
	built := nlpcap.NewFamilyMessage(nlpcap.NETDMFamily(0x1b, 0))
	tests := []struct {
		name  string
		reply []byte
		err   error
		want  []byte
	}{
		{"the kernel's reply as it came", reply, nil, reply},
		{"no reply: built", nil, os.ErrDeadlineExceeded, built},
		{"reply for another ID: built", otherID, nil, built},
		{"garbage: built", []byte("garbage"), nil, built},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.a.fetchFamily = func(ctx context.Context) ([]byte, error) { return tt.reply, tt.err }
			got := h.run(syscall.SIGTERM, "-p")
			_, ds := readPcap(t, []byte(got.stdout))
			if len(ds) != 1 {
				t.Fatalf("%d records, want 1", len(ds))
			}
			if diff := cmp.Diff(tt.want, ds[0]); diff != "" {
				t.Errorf("family record (-want +got):\n%s", diff)
			}
		})
	}
}

func errno(op string, e syscall.Errno) error { return &dropmon.Error{Op: op, Errno: e} }

func TestCaptureFailures(t *testing.T) {
	tests := []struct {
		name     string
		errs     map[string]error
		args     []string
		code     int
		stderr   []string // lines, or their beginnings when ending in "..."
		calls    []string
		noOutput bool
	}{
		{
			name:   "another tool is monitoring: CONFIG refused with EBUSY",
			errs:   map[string]error{"config": errno("config", syscall.EBUSY)},
			code:   1,
			stderr: []string{"Failed to configure drop monitor kernel module", "dwdump: dropmon: config: ...", `dwdump: the kernel is already monitoring drops: another dropwatch or dwdump is running, or one exited without stopping it. "dwdump -e" stops it, which also ends the other tool's capture.`},
			calls:  []string{"open", "listen buffer=33554432", "config mode=packet trunc=65535 queue=1000", "monitor close", "close"},
		},
		{
			name:   "START refused with EAGAIN: no STOP, the monitor is someone else's",
			errs:   map[string]error{"start": errno("start", syscall.EAGAIN)},
			code:   1,
			stderr: []string{"Failed to start monitoring", "dwdump: dropmon: start: ...", "dwdump: the kernel is already monitoring drops: ..."},
			calls:  []string{"open", "listen buffer=33554432", "config mode=packet trunc=65535 queue=1000", "start sw+hw", "monitor close", "close"},
		},
		{
			name:   "START without CAP_NET_ADMIN",
			errs:   map[string]error{"start": errno("start", syscall.EPERM)},
			code:   1,
			stderr: []string{"Failed to start monitoring", "dwdump: dropmon: start: ...", "dwdump: configuring the drop monitor needs CAP_NET_ADMIN, ..."},
			calls:  []string{"open", "listen buffer=33554432", "config mode=packet trunc=65535 queue=1000", "start sw+hw", "monitor close", "close"},
		},
		{
			name:   "no hardware drops without devlink",
			errs:   map[string]error{"start": errno("start", syscall.EOPNOTSUPP)},
			code:   1,
			stderr: []string{"Failed to start monitoring", "dwdump: dropmon: start: ...", "dwdump: this kernel cannot monitor hardware drops (that needs devlink, CONFIG_NET_DEVLINK): use -o sw."},
			calls:  []string{"open", "listen buffer=33554432", "config mode=packet trunc=65535 queue=1000", "start sw+hw", "monitor close", "close"},
		},
		{
			name:   "no packet mode before 5.4",
			errs:   map[string]error{"config": errno("config", syscall.EOPNOTSUPP)},
			code:   1,
			stderr: []string{"Failed to configure drop monitor kernel module", "dwdump: dropmon: config: ...", "dwdump: this kernel's drop monitor predates Linux 5.4; dwdump needs its packet mode."},
			calls:  []string{"open", "listen buffer=33554432", "config mode=packet trunc=65535 queue=1000", "monitor close", "close"},
		},
		{
			name:   "kernel silent",
			errs:   map[string]error{"config": &dropmon.Error{Op: "config", Err: dropmon.ErrTimeout}},
			code:   1,
			stderr: []string{"Failed to configure drop monitor kernel module", "dwdump: dropmon: config: ...", "dwdump: the kernel did not answer in time."},
			calls:  []string{"open", "listen buffer=33554432", "config mode=packet trunc=65535 queue=1000", "monitor close", "close"},
		},
		{
			name:   "joining the group without CAP_SYS_ADMIN (6.7+)",
			errs:   map[string]error{"listen": errno("join group", syscall.EPERM)},
			code:   1,
			stderr: []string{"Failed to join multicast group", "dwdump: dropmon: join group: ...", `dwdump: receiving drop alerts needs CAP_SYS_ADMIN on Linux 6.7 and later (the "events" group is GENL_MCAST_CAP_SYS_ADMIN): run dwdump as root.`},
			calls:  []string{"open", "listen buffer=33554432", "close"},
		},
		{
			name:   "unwritable -w: the kernel is left alone",
			args:   []string{"-w", "/nonexistent/dir/x.pcap"},
			code:   1,
			stderr: []string{"/nonexistent/dir/x.pcap: /nonexistent/dir/x.pcap: No such file or directory"},
			calls:  []string{"open", "listen buffer=33554432", "monitor close", "close"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.k.errs = tt.errs
			got := h.run(nil, tt.args...)
			if got.code != tt.code {
				t.Errorf("exit status %d, want %d", got.code, tt.code)
			}
			if got.stdout != "" {
				t.Errorf("stdout %q, want nothing: no pcap before START succeeds", got.stdout)
			}
			checkLines(t, tt.stderr, got.stderr)
			if diff := cmp.Diff(tt.calls, h.k.Calls()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// checkLines compares text with lines, where a line ending in "..." only
// needs to begin like it.
func checkLines(t *testing.T, want []string, text string) {
	t.Helper()
	got := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	for i := range min(len(want), len(got)) {
		if p, ok := strings.CutSuffix(want[i], "..."); ok && strings.HasPrefix(got[i], p) {
			got[i] = want[i]
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stderr lines (-want +got):\n%s", diff)
	}
}

func TestCaptureEnds(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		receipts []receipt
		stdout   io.Writer
		stopErr  error
		drops    uint64
		code     int
		stderr   []string
	}{
		{
			name:     "receive error: recv: <strerror>, exit 255",
			receipts: []receipt{{err: &dropmon.Error{Op: "receive", Err: syscall.EBADF}}},
			code:     255,
			stderr:   []string{"recv: Bad file descriptor"},
		},
		{
			name:   "reader gone (EPIPE): exit 0, as after SIGPIPE",
			stdout: failingWriter{syscall.EPIPE},
		},
		{
			name:   "disk full: exit 1",
			stdout: failingWriter{syscall.ENOSPC},
			code:   1,
			stderr: []string{"dwdump: writing -: nlpcap: flush: no space left on device"},
		},
		{
			name:    "STOP fails: exit 1, say so",
			stopErr: &dropmon.Error{Op: "stop", Err: dropmon.ErrTimeout},
			code:    1,
			stderr:  []string{"Failed to stop monitoring", "dwdump: dropmon: stop: ...", `dwdump: the kernel did not answer, and may still be monitoring: run "dwdump -e" to stop it.`},
		},
		{
			name:   "alerts lost to a full socket buffer are reported",
			args:   []string{"-b", "65536"},
			drops:  17,
			stderr: []string{"dwdump: 17 drop alerts were lost because the receive buffer (-b 65536) was full"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.k.mon.receipts = tt.receipts
			h.k.mon.drops = tt.drops
			h.stdout = tt.stdout
			if tt.stopErr != nil {
				h.k.errs["stop"] = tt.stopErr
			}
			got := h.run(syscall.SIGTERM, tt.args...)
			if got.code != tt.code {
				t.Errorf("exit status %d, want %d", got.code, tt.code)
			}
			if tt.stderr == nil {
				tt.stderr = []string{""}
			}
			checkLines(t, tt.stderr, got.stderr)
			// However the capture ends, the monitor dwdump started is stopped.
			if calls := h.k.Calls(); calls[len(calls)-3] != "stop sw+hw" {
				t.Errorf("no STOP before closing: %q", calls)
			}
		})
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestQueryStatsExit(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		config *dropmon.Config
		stats  *dropmon.Stats
		errs   map[string]error
		code   int
		stdout string
		stderr string
		calls  []string
	}{
		{
			// As on Debian's 6.1 kernel (c-dropwatch-transcripts.md).
			name:   "-q",
			args:   []string{"-q"},
			config: &dropmon.Config{Mode: dropmon.ModePacket, TruncLen: 65535, QueueLen: 1000},
			stdout: "Alert mode: packet\nTruncation length: 65535\nQueue length: 1000\n",
			calls:  []string{"open", "config get", "close"},
		},
		{
			name:   "-q, summary mode, -q wins over -s and -e",
			args:   []string{"-e", "-s", "-q"},
			config: &dropmon.Config{Mode: dropmon.ModeSummary, QueueLen: 1000},
			stdout: "Alert mode: summary\nTruncation length: 0\nQueue length: 1000\n",
			calls:  []string{"open", "config get", "close"},
		},
		{
			name:   "-q, unknown mode",
			args:   []string{"--query"},
			config: &dropmon.Config{Mode: 7, TruncLen: 1, QueueLen: 4294967295},
			stdout: "Alert mode: invalid alert mode\nTruncation length: 1\nQueue length: 4294967295\n",
			calls:  []string{"open", "config get", "close"},
		},
		{
			name:   "-q fails: exit 255",
			args:   []string{"-q"},
			errs:   map[string]error{"config get": errno("config get", syscall.EOPNOTSUPP)},
			code:   255,
			stderr: "Failed to query configuration\ndwdump: dropmon: config get: operation not supported\ndwdump: this kernel's drop monitor predates Linux 5.4; dwdump needs its packet mode.\n",
			calls:  []string{"open", "config get", "close"},
		},
		{
			name:   "-s",
			args:   []string{"-s"},
			stats:  &dropmon.Stats{Software: &dropmon.OriginStats{}, Hardware: &dropmon.OriginStats{}},
			stdout: "Software statistics:\nTail dropped: 0\nHardware statistics:\nTail dropped: 0\n",
			calls:  []string{"open", "stats get", "close"},
		},
		{
			name:   "-s, software only, -s wins over -e",
			args:   []string{"-es"},
			stats:  &dropmon.Stats{Software: &dropmon.OriginStats{Dropped: 18446744073709551615}},
			stdout: "Software statistics:\nTail dropped: 18446744073709551615\n",
			calls:  []string{"open", "stats get", "close"},
		},
		{
			name:  "-s, nothing reported",
			args:  []string{"-s"},
			stats: &dropmon.Stats{},
			calls: []string{"open", "stats get", "close"},
		},
		{
			name:   "-s fails: exit 255",
			args:   []string{"-s"},
			errs:   map[string]error{"stats get": &dropmon.Error{Op: "stats get", Err: dropmon.ErrTimeout}},
			code:   255,
			stderr: "Failed to query statistics\ndwdump: dropmon: stats get: timed out waiting for the kernel's reply\ndwdump: the kernel did not answer in time.\n",
			calls:  []string{"open", "stats get", "close"},
		},
		{
			name:  "-e",
			args:  []string{"-e"},
			calls: []string{"open", "stop sw+hw", "close"},
		},
		{
			name:  "-e -o sw",
			args:  []string{"-e", "-o", "sw"},
			calls: []string{"open", "stop sw", "close"},
		},
		{
			name:   "-e fails: exit 1",
			args:   []string{"-e"},
			errs:   map[string]error{"stop": errno("stop", syscall.EPERM)},
			code:   1,
			stderr: "Failed to stop monitoring\ndwdump: dropmon: stop: operation not permitted\ndwdump: configuring the drop monitor needs CAP_NET_ADMIN, and so do starting and stopping it on Linux 6.7 and later: run dwdump as root.\n",
			calls:  []string{"open", "stop sw+hw", "close"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.k.config, h.k.stats = tt.config, tt.stats
			if tt.errs != nil {
				h.k.errs = tt.errs
			}
			got := h.run(nil, tt.args...)
			want := result{tt.code, tt.stdout, tt.stderr}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(result{})); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.calls, h.k.Calls()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFamilyNotFound(t *testing.T) {
	tests := []struct {
		name string
		d    dropmon.Diagnosis
		hint string
	}{
		{"other namespace", dropmon.Diagnosis{OtherNetNS: true, Config: dropmon.Module},
			"dwdump: NET_DM exists only in the initial network namespace, and dwdump runs in another one (a container?): run it on the host."},
		{"not built", dropmon.Diagnosis{KernelRelease: "6.18.1", Config: dropmon.NotBuilt, ConfigSource: "/proc/config.gz"},
			"dwdump: kernel 6.18.1 was built without CONFIG_NET_DROP_MONITOR (says /proc/config.gz): it has no drop monitor."},
		{"module not loaded", dropmon.Diagnosis{KernelRelease: "6.1.0-56-amd64", Config: dropmon.Module,
			ModuleFile: "/lib/modules/6.1.0-56-amd64/kernel/net/core/drop_monitor.ko"},
			`dwdump: the drop_monitor module is not loaded, and could not be loaded on demand: run "modprobe drop_monitor" as root.`},
		// modprobe would fail: there is no module to load.
		{"=m without a module", dropmon.Diagnosis{KernelRelease: "6.1.0-56-amd64", Config: dropmon.Module, ConfigSource: "/boot/config-6.1.0-56-amd64"},
			"dwdump: kernel 6.1.0-56-amd64 was built with CONFIG_NET_DROP_MONITOR=m (says /boot/config-6.1.0-56-amd64), but no drop_monitor module is installed for it."},
		{"module file, no config", dropmon.Diagnosis{ModuleFile: "/lib/modules/x/kernel/net/core/drop_monitor.ko"},
			`dwdump: the drop_monitor module is not loaded, and could not be loaded on demand: run "modprobe drop_monitor" as root.`},
		{"unknown", dropmon.Diagnosis{},
			`dwdump: this kernel has no NET_DM generic netlink family: it needs CONFIG_NET_DROP_MONITOR ("modprobe drop_monitor" if it is a module), and dwdump must run in the initial network namespace.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.a.open = func() (kernel, error) {
				return nil, &dropmon.Error{Op: "resolve family", Err: dropmon.ErrFamilyNotFound}
			}
			h.a.diagnose = func() dropmon.Diagnosis { return tt.d }
			got := h.run(nil, "-q")
			want := result{1, "", "Failed to resolve ID of \"NET_DM\" family\n" + tt.hint + "\n"}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(result{})); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}

	h := newHarness(t)
	h.a.open = func() (kernel, error) { return nil, &dropmon.Error{Op: "dial", Err: syscall.EMFILE} }
	got := h.run(nil)
	want := result{1, "", "Failed to connect data socket\ndwdump: dropmon: dial: too many open files\n"}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(result{})); diff != "" {
		t.Errorf("dial failure (-want +got):\n%s", diff)
	}
}

// The capture dwdump writes from the kernel's alerts decodes in the real
// tshark as the kernel selftest (drop_monitor_tests.sh) checks it.
func TestCaptureDecodesInTShark(t *testing.T) {
	localhost := netip.MustParseAddr("127.0.0.1")
	pa := nlpcaptest.PacketAlert{
		FamilyID:  0x1b,
		PC:        0xffffffff89d78f65,
		Reason:    "NO_SOCKET",
		Symbol:    "__udp4_lib_rcv+0x545/0xdd0",
		Ifindex:   1,
		Timestamp: time.Date(2026, 11, 25, 12, 49, 47, 527937779, time.UTC),
		Proto:     0x0800,
		Payload:   nlpcaptest.UDPFrame(localhost, netip.MustParseAddr("192.0.2.10"), 12345, 54321, make([]byte, 18)),
	}
	h := newHarness(t)
	h.k.mon.receipts = []receipt{
		{datagram: pa.Message()},
		{datagram: pa.Message()},
	}
	path := filepath.Join(t.TempDir(), "packets.pcap")
	if got := h.run(syscall.SIGTERM, "-o", "sw", "-w", path); got.code != 0 {
		t.Fatalf("exit status %d, stderr %q", got.code, got.stderr)
	}
	got := nlpcaptest.TShark(t, path, "ip.dst == 192.0.2.10", "net_dm.symbol", "net_dm.pc", "ip.dst")
	want := [][]string{
		{"__udp4_lib_rcv+0x545/0xdd0", "0xffffffff89d78f65", "192.0.2.10"},
		{"__udp4_lib_rcv+0x545/0xdd0", "0xffffffff89d78f65", "192.0.2.10"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tshark -Y 'ip.dst == 192.0.2.10' (-want +got):\n%s", diff)
	}
}

// lockedWrites keeps what is written to it, a write at a time.
type lockedWrites struct {
	mu     sync.Mutex
	writes [][]byte
}

func (w *lockedWrites) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, append([]byte(nil), p...))
	return len(p), nil
}

func (w *lockedWrites) all() (n int, b []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.writes {
		b = append(b, p...)
	}
	return len(w.writes), b
}

// The records received before the monitor says it is idle are written in
// one write when it does; a record received after waits for the next
// idle time or the end of the capture, and is written then.
func TestCaptureWritesWhenIdle(t *testing.T) {
	h := newHarness(t)
	idle := receipt{err: &dropmon.Error{Op: "receive", Err: os.ErrDeadlineExceeded}}
	out := &lockedWrites{}
	var n int
	var b []byte
	three := datagram("three")
	three.before = func() { n, b = out.all() }
	h.k.mon.receipts = []receipt{datagram("one"), datagram("two"), idle, three}
	h.stdout = out
	r := h.run(syscall.SIGTERM)
	if r.code != 0 {
		t.Fatalf("exit status %d, stderr %q", r.code, r.stderr)
	}
	// The header and family record, then "one" and "two".
	if _, ds := readPcap(t, b); n != 2 || len(ds) != 3 || string(ds[2]) != "two" {
		t.Errorf("before three: %d writes of %d records, want 2 writes of the family record, one and two", n, len(ds))
	}
	n, b = out.all()
	_, ds := readPcap(t, b)
	var got []string
	for _, d := range ds[1:] {
		got = append(got, string(d))
	}
	if n != 3 || !cmp.Equal(got, []string{"one", "two", "three"}) {
		t.Errorf("at the end: %d writes of %q after the family record, want 3 writes of one, two, three", n, got)
	}
}
