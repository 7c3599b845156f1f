package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/internal/repl"
	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
	"github.com/dropwatch-go/dropwatch/pkg/kallsyms"
)

// TestCommands runs one command line at a time: what it prints on stdout
// (after the echoed prompt), on stderr, and which requests it sends. The
// C tool's messages come from reference §2.3.
func TestCommands(t *testing.T) {
	eperm := func(op string) error { return &dropmon.Error{Op: op, Errno: syscall.EPERM} }
	tests := []struct {
		line   string
		fail   map[string]error
		stdout string
		stderr string
		calls  []string
	}{
		{line: "help", stdout: helpForTest()},
		{line: "   help   ", stdout: helpForTest()},
		{line: "help set", stdout: strings.Join(strings.Split(helpForTest(), "\n")[3:10], "\n") + "\n"},
		{line: "", stdout: ""},
		{line: "   ", stdout: ""},
		{line: "frobnicate", stderr: "unknown command \"frobnicate\"; type help\n"},
		{line: "showfoo", stderr: "unknown command \"showfoo\"; type help\n"},
		{line: "start now", stderr: "start takes no argument (got \"now\")\n"},
		{line: "set", stderr: "set needs one of: alertlimit, alertmode, trunc, queue, sw, hw\n"},
		{line: "set bogus 1", stderr: "unknown set setting \"bogus\"; type help\n"},

		{line: "set alertlimit 10", stdout: "setting alert capture limit to 10\n"},
		{line: "set alertlimit 0", stdout: "setting alert capture limit to 0\n"},
		{line: "set alertlimit 18446744073709551615", stdout: "setting alert capture limit to 18446744073709551615\n"},
		{line: "set alertlimit -1", stderr: "invalid number \"-1\": usage: set alertlimit <number>, a number from 0 to 18446744073709551615\n"},
		{line: "set alertlimit", stderr: "usage: set alertlimit <number>\n"},
		{line: "set alertlimit 1 2", stderr: "usage: set alertlimit <number>\n"},

		{line: "set alertmode packet", stdout: "Setting alert mode\nAlert mode successfully set\n", calls: []string{"config mode=packet"}},
		{line: "set alertmode summary", stdout: "Setting alert mode\nAlert mode successfully set\n", calls: []string{"config mode=summary"}},
		{line: "set alertmode foo", stderr: "invalid alert mode \"foo\": usage: set alertmode summary|packet\n"},
		{
			line:   "set alertmode packet",
			fail:   map[string]error{"config": &dropmon.Error{Op: "config", Errno: syscall.EBUSY}},
			stdout: "Setting alert mode\nFailed config request, error: Device or resource busy\n",
			stderr: "dropwatch: the kernel refuses configuration changes while it monitors drops (perhaps for another tool): type stop first.\n",
			calls:  []string{"config mode=packet"},
		},
		{
			line:   "set alertmode packet",
			fail:   map[string]error{"config": &dropmon.Error{Op: "config", Errno: syscall.EOPNOTSUPP}},
			stdout: "Setting alert mode\nFailed config request, error: Operation not supported\n",
			stderr: "dropwatch: this kernel's drop monitor predates Linux 5.4: packet mode, trunc, queue, show and stats need 5.4 or later.\n",
			calls:  []string{"config mode=packet"},
		},
		{
			line:   "set alertmode packet",
			fail:   map[string]error{"config": eperm("config")},
			stdout: "Setting alert mode\nFailed config request, error: Operation not permitted\n",
			stderr: "dropwatch: configuring the drop monitor (NET_DM_CMD_CONFIG) needs CAP_NET_ADMIN: run dropwatch as root.\n",
			calls:  []string{"config mode=packet"},
		},

		{line: "set trunc 100", stdout: "Setting truncation length to 100\nTruncation length successfully set\n", calls: []string{"config trunc=100"}},
		{line: "set trunc abc", stderr: "invalid number \"abc\": usage: set trunc <len>, a number from 0 to 4294967295\n"},
		{line: "set trunc 4294967296", stderr: "invalid number \"4294967296\": usage: set trunc <len>, a number from 0 to 4294967295\n"},
		{line: "set queue 4294967295", stdout: "Setting queue length to 4294967295\nQueue length successfully set\n", calls: []string{"config queue=4294967295"}},
		{
			line:   "set queue 5",
			fail:   map[string]error{"config": dropmon.ErrTimeout},
			stdout: "Setting queue length to 5\nFailed config request, error: Timed out waiting for the kernel's reply\n",
			stderr: "dropwatch: the kernel did not answer; the request may or may not have taken effect.\n",
			calls:  []string{"config queue=5"},
		},

		{line: "set sw true", stdout: "setting software drops monitoring to 1\n"},
		{line: "set sw 1", stdout: "setting software drops monitoring to 1\n"},
		{line: "set hw true", stdout: "setting hardware drops monitoring to 1\n"},
		{line: "set sw false", stdout: "setting software drops monitoring to 0\n", stderr: noteNeitherSource + "\n"},
		{line: "set hw 0", stdout: "setting hardware drops monitoring to 0\n", stderr: noteNeitherSource + "\n"},
		{line: "set sw maybe", stderr: "invalid boolean value \"maybe\": usage: set sw <true | false>\n"},

		{line: "show", stdout: "Getting existing configuration\nAlert mode: Summary\nTruncation length: 0\nQueue length: 1000\n", calls: []string{"config-get"}},
		{
			line:   "show",
			fail:   map[string]error{"config-get": &dropmon.Error{Op: "config get", Errno: syscall.EOPNOTSUPP}},
			stdout: "Getting existing configuration\n",
			stderr: "Failed to get existing configuration: Operation not supported\n" +
				"dropwatch: this kernel's drop monitor predates Linux 5.4: packet mode, trunc, queue, show and stats need 5.4 or later.\n",
			calls: []string{"config-get"},
		},
		{line: "stats", stdout: "Getting statistics\n", calls: []string{"stats-get"}},
		{
			line:   "stats",
			fail:   map[string]error{"stats-get": dropmon.ErrTimeout},
			stdout: "Getting statistics\n",
			stderr: "Failed to get statistics: Timed out waiting for the kernel's reply\n" +
				"dropwatch: the kernel did not answer; the request may or may not have taken effect.\n",
			calls: []string{"stats-get"},
		},

		{line: "stop", stdout: "Deactivation requested, turning off monitoring\nGot a stop message\n", calls: []string{"stop -"}},
		{
			line:   "stop",
			fail:   map[string]error{"stop": eperm("stop")},
			stdout: "Deactivation requested, turning off monitoring\nStop request failed, error: Operation not permitted\n",
			stderr: "dropwatch: stopping the drop monitor (NET_DM_CMD_STOP) needs CAP_NET_ADMIN: run dropwatch as root.\n",
			calls:  []string{"stop -"},
		},
		{
			line:   "stop",
			fail:   map[string]error{"stop": dropmon.ErrTimeout},
			stdout: "Deactivation requested, turning off monitoring\nStop request failed, error: Timed out waiting for the kernel's reply\n",
			stderr: "dropwatch: the kernel may still be monitoring: type stop to try again.\n",
			calls:  []string{"stop -"},
		},

		{
			line:   "start",
			fail:   map[string]error{"start": &dropmon.Error{Op: "start", Errno: syscall.EAGAIN}},
			stdout: "Enabling monitoring...\nFailed activation request, error: Resource temporarily unavailable\n",
			stderr: "dropwatch: the kernel is already monitoring drops: another tool, or a dropwatch that ended without stopping it, started it. Type stop to end it, or run dropwatch --force.\n",
			calls:  []string{"listen", "stats-get", "start -", "close-monitor"},
		},
		{
			line:   "start",
			fail:   map[string]error{"start": eperm("start")},
			stdout: "Enabling monitoring...\nFailed activation request, error: Operation not permitted\n",
			stderr: "dropwatch: starting the drop monitor (NET_DM_CMD_START) needs CAP_NET_ADMIN: run dropwatch as root.\n",
			calls:  []string{"listen", "stats-get", "start -", "close-monitor"},
		},
		{
			line:   "start",
			fail:   map[string]error{"listen": &dropmon.Error{Op: "join group", Errno: syscall.EPERM}},
			stdout: "Enabling monitoring...\nFailed activation request, error: Operation not permitted\n",
			stderr: "dropwatch: joining NET_DM's events multicast group needs CAP_SYS_ADMIN on Linux 6.7 and later: run dropwatch as root.\n",
			calls:  []string{"listen"},
		},
		{
			line:   "start",
			fail:   map[string]error{"start": dropmon.ErrTimeout},
			stdout: "Enabling monitoring...\nFailed activation request, error: Timed out waiting for the kernel's reply\n",
			stderr: "dropwatch: the kernel did not answer; the request may or may not have taken effect.\n",
			calls:  []string{"listen", "stats-get", "start -", "close-monitor"},
		},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.line), func(t *testing.T) {
			h := newHarness(tt.line + "\n")
			for op, err := range tt.fail {
				h.be.failNext(op, err)
			}
			checkCode(t, h.run(t), 0)
			want := "Initializing null lookup method\n" + prompt + tt.line + "\n" + tt.stdout + eofTail
			checkOutput(t, h, want)
			if diff := cmp.Diff(tt.stderr, h.stderr.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
			checkCalls(t, h, tt.calls...)
		})
	}
}

// helpForTest is reference §2.2's help text, independent of writeHelp.
func helpForTest() string {
	return "Command Syntax:\n" +
		"exit\t\t\t\t - Quit dropwatch\n" +
		"help\t\t\t\t - Display this message\n" +
		"set:\n" +
		"\talertlimit <number>\t - capture only this many alert packets\n" +
		"\talertmode <mode>\t - set mode to \"summary\" or \"packet\"\n" +
		"\ttrunc <len>\t\t - truncate packets to this length. Only applicable when \"alertmode\" is set to \"packet\"\n" +
		"\tqueue <len>\t\t - queue up to this many packets in the kernel. Only applicable when \"alertmode\" is set to \"packet\"\n" +
		"\tsw <true | false>\t - monitor software drops\n" +
		"\thw <true | false>\t - monitor hardware drops\n" +
		"start\t\t\t\t - start capture\n" +
		"stop\t\t\t\t - stop capture\n" +
		"show\t\t\t\t - show existing configuration\n" +
		"stats\t\t\t\t - show statistics\n" +
		topHelp
}

// topHelp is dropwatch's addition to the help text, after the C tool's.
const topHelp = "top [N] [--by GROUP]\t\t - show the drops of the last capture, most first (N rows at most)\n" +
	"counters [all]\t\t\t - show the drop and error counters that grew since the last start (all: every counter)\n" +
	"explain NAME\t\t\t - explain a counter or a drop reason, and its usual remedy\n"

// TestSources: START and STOP carry a flag only for what was set true, as
// in the C tool.
func TestSources(t *testing.T) {
	tests := []struct {
		input string
		want  string
	}{
		{"", "-"},
		{"set sw true\n", "sw"},
		{"set hw true\n", "hw"},
		{"set sw true\nset hw true\n", "sw+hw"},
		{"set sw true\nset sw false\n", "-"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			h := newHarness(tt.input + "start\n").start()
			h.be.waitCall(t, "start "+tt.want)
			h.sigs <- os.Interrupt
			h.sigs <- os.Interrupt
			h.be.waitCall(t, "stop "+tt.want)
			checkCode(t, h.wait(t), 0)
		})
	}
}

// TestStartup covers what happens before the first prompt.
func TestStartup(t *testing.T) {
	t.Run("no NET_DM family", func(t *testing.T) {
		h := newHarness("")
		h.app.backends.NetDM = func() (drops.Kernel, error) { return nil, dropmon.ErrFamilyNotFound }
		checkCode(t, h.run(t, "-l", "kas", "--backend", "netdm"), 1)
		// Reference §1.1: both lines on stdout, exit 1.
		checkOutput(t, h, "Unable to find NET_DM family, dropwatch can't work\nCleaning up on socket creation error\n")
		for _, s := range []string{"modprobe drop_monitor", "CONFIG_NET_DROP_MONITOR", "/proc/self/ns/net", "/proc/1/ns/net"} {
			if !strings.Contains(h.stderr.String(), s) {
				t.Errorf("stderr does not mention %s:\n%s", s, h.stderr)
			}
		}
	})
	t.Run("other backend error", func(t *testing.T) {
		h := newHarness("")
		h.app.backends.NetDM = func() (drops.Kernel, error) { return nil, errors.New("socket: too many open files") }
		checkCode(t, h.run(t), 1)
		checkOutput(t, h, "")
		if want := "dropwatch: socket: too many open files\n"; h.stderr.String() != want {
			t.Errorf("stderr = %q, want %q", h.stderr, want)
		}
	})
	for _, tt := range []struct {
		name, stderr string
		err          error
	}{
		{"restricted", "every address in /proc/kallsyms is zero", kallsyms.ErrRestricted},
		{"unreadable", "cannot use /proc/kallsyms (open /proc/kallsyms: permission denied)", &os.PathError{Op: "open", Path: "/proc/kallsyms", Err: os.ErrPermission}},
		{"garbage", "cannot use /proc/kallsyms (no symbols found)", kallsyms.ErrNoSymbols},
	} {
		t.Run("kallsyms "+tt.name, func(t *testing.T) {
			h := newHarness("start\n")
			f := newFakeFile()
			f.err = tt.err
			h.app.loadSymbols = f.loader
			if errors.Is(tt.err, os.ErrPermission) {
				// Opening fails: reported at startup, before any lookup.
				h.app.loadSymbols = func(string) (drops.SymbolFile, error) { return nil, tt.err }
			}
			h.start("-l", "kas")
			h.be.waitCall(t, "start -")
			h.be.send(t, summary(point(0xffffffff878bcae2, 25)))
			h.stdout.waitFor(t, "25 drops at location 0xffffffff878bcae2 [software]\n")
			h.interruptTwice()
			checkCode(t, h.wait(t), 0)
			if !strings.HasPrefix(h.stdout.String(), "Initializing kallsyms db\n") {
				t.Errorf("stdout does not start with the kallsyms line:\n%s", h.stdout)
			}
			if !strings.Contains(h.stderr.String(), tt.stderr) || !strings.Contains(h.stderr.String(), "raw addresses") {
				t.Errorf("stderr = %q, want it to contain %q", h.stderr, tt.stderr)
			}
		})
	}
	t.Run("--kallsyms file", func(t *testing.T) {
		path := t.TempDir() + "/kallsyms"
		if err := os.WriteFile(path, []byte("ffffffff878bc140 T __udp4_lib_rcv\nffffffff878bd000 T next\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		h := newHarness("start\n")
		h.app.loadSymbols = drops.OpenKallsyms
		h.start("--kallsyms", path)
		h.be.waitCall(t, "start -")
		h.be.send(t, summary(point(0xffffffff878bcae2, 25)))
		h.stdout.waitFor(t, "25 drops at __udp4_lib_rcv+9a2 (0xffffffff878bcae2) [software]\n")
		h.interruptTwice()
		checkCode(t, h.wait(t), 0)
		if !strings.HasPrefix(h.stdout.String(), "Initializing kallsyms db\n") {
			t.Errorf("stdout does not start with the kallsyms line:\n%s", h.stdout)
		}
	})
}

func TestTerminal(t *testing.T) {
	h := newHarness("help\nexit\n")
	h.app.terminal = true
	checkCode(t, h.run(t), 0)
	out := h.stdout.String()
	// readline redraws the line as it reads; Close clears the next one.
	if !strings.Contains(out, "help\n"+helpForTest()) || !strings.Contains(out, "exit\nShutting down ...\n") {
		t.Errorf("output:\n%s", out)
	}
}

func TestCompletion(t *testing.T) {
	c := repl.Completer(commands)
	tests := []struct {
		line string
		want []string
	}{
		{"", []string{"exit ", "help ", "set ", "start ", "stop ", "show ", "stats ", "top ", "counters ", "explain "}},
		{"st", []string{"art ", "op ", "ats "}},
		{"set a", []string{"lertlimit ", "lertmode "}},
		{"set alertmode ", []string{"summary ", "packet "}},
		{"set sw ", []string{"true ", "false "}},
		{"set sw t", []string{"rue "}},
		{"show x", nil},
	}
	for _, tt := range tests {
		got, _ := c.Do([]rune(tt.line), len(tt.line))
		var gs []string
		for _, g := range got {
			gs = append(gs, string(g))
		}
		if diff := cmp.Diff(tt.want, gs); diff != "" {
			t.Errorf("completions of %q (-want +got):\n%s", tt.line, diff)
		}
	}
}
