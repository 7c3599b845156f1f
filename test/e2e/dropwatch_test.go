//go:build vmtest

package e2e

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Timeouts are generous: the guest runs under software emulation, where the
// C tool's first -l kas lookup (a full scan of /proc/kallsyms) alone takes
// a good part of a second.
const (
	stateTimeout = 15 * time.Second
	alertTimeout = 15 * time.Second
)

// kernel is the test's own view of the drop monitor during one run.
type kernel struct {
	dm    *netdm
	w     *watcher
	udp   symRange // where dropgen's datagrams are dropped
	drops int      // made by this run
}

func newKernel(t testing.TB) *kernel {
	t.Helper()
	dm := dialNetDM(t)
	dm.reset(t)
	t.Cleanup(func() { dm.reset(t) })
	return &kernel{dm: dm, w: watch(t), udp: kernelSymbol(t, "__udp4_lib_rcv")}
}

// makeDrops makes n drops and waits until the kernel has reported them
// (to every listener, the tool included).
func (k *kernel) makeDrops(t testing.TB, n int) {
	t.Helper()
	k.makeUnreported(t, n)
	k.w.waitSeen(t, k.udp, k.drops, alertTimeout)
}

// makeUnreported makes n drops without waiting for NET_DM to report them
// (it may not be monitoring at all), and checks that the kernel counted
// each one in Udp NoPorts.
func (k *kernel) makeUnreported(t testing.TB, n int) {
	t.Helper()
	if got := sendDrops(t, n)(); got != uint64(n) {
		t.Fatalf("Udp NoPorts grew by %d for the %d datagrams dropgen sent to a closed port", got, n)
	}
	k.drops += n
}

// pc is the single address inside __udp4_lib_rcv the kernel reported.
func (k *kernel) pc(t testing.TB) uint64 {
	t.Helper()
	k.w.mu.Lock()
	defer k.w.mu.Unlock()
	var pcs []uint64
	for pc := range k.w.pcs {
		if k.udp.contains(pc) {
			pcs = append(pcs, pc)
		}
	}
	if len(pcs) != 1 {
		t.Fatalf("the kernel reported drops at %#x in %v, want one address", pcs, k.udp)
	}
	return pcs[0]
}

// monitor sends setup commands and start, waits until the kernel is
// monitoring, makes n drops, waits until the tool has read their alerts,
// interrupts it like Ctrl-C and waits until the kernel has stopped.
func monitor(n int, setup ...string) func(*testing.T, *kernel, *proc) {
	return func(t *testing.T, k *kernel, p *proc) {
		for _, cmd := range setup {
			p.send(t, cmd)
		}
		p.send(t, "start")
		waitActivated(t, k, p)
		k.makeDrops(t, n)
		p.waitQuiet(t, stateTimeout)
		p.signal(t, syscall.SIGINT)
		k.dm.waitMonitoring(t, false, stateTimeout)
	}
}

// waitActivated waits until the kernel is monitoring and the tool has read
// START's acknowledgement, as a user waits for "Kernel monitoring
// activated." before expecting alerts. The kernel starts monitoring before
// it sends the ACK: genetlink runs the command under genl_mutex and
// netlink_rcv_skb acks after genl_rcv_msg returns (net/netlink/
// af_netlink.c), so another task can see the new state, make a drop and
// have its alert queued ahead of the ACK while the tool's sendmsg has not
// returned (a preempted vCPU under emulation makes that window long). The
// C dropwatch discards an alert that comes before the ACK, printing
// "Waiting for activation ack....", and counts it towards nothing: the
// race that made TestDropwatch/packet and alertlimit fail on the C side.
// Its output is invisible until it exits (stdout is a pipe), so quiet
// (all threads asleep, nothing queued on its sockets) is the sign that it
// has read the ACK and waits in recv.
func waitActivated(t *testing.T, k *kernel, p *proc) {
	t.Helper()
	k.dm.waitMonitoring(t, true, stateTimeout)
	p.waitQuiet(t, stateTimeout)
}

// commands only sends commands: the last one should end the tool.
func commands(cmds ...string) func(*testing.T, *kernel, *proc) {
	return func(t *testing.T, k *kernel, p *proc) {
		for _, cmd := range cmds {
			p.send(t, cmd)
		}
	}
}

type scenario struct {
	name  string
	args  []string
	drive func(*testing.T, *kernel, *proc)
	// want is the normalized transcript (see normalize) the C tool
	// prints; ours prints the same with ourHelp after each help block.
	want func(*testing.T, *kernel) []string
	// ourNotes are the lines ours adds on stderr, all "dropwatch: ": one
	// loss line per monitoring session. The C tool prints none.
	ourNotes []string
	// after, if set, checks the kernel once the tool has exited.
	after func(*testing.T, *kernel)
}

// transcript is what one tool printed, normalized.
type transcript struct {
	stdout []string
	stderr string // without our "dropwatch: " lines
}

// run runs one scenario with one tool and returns its transcript, or nil
// if the tool is not there.
func (sc scenario) run(t *testing.T, tl tool) *transcript {
	bin := tl.path(t)
	k := newKernel(t)
	p := startProc(t, bin, sc.args...)
	sc.drive(t, k, p)
	code := p.finish(t)
	saveTranscript(t, tl.name, p)
	out, errOut := p.stdout.String(), p.stderr.String()
	t.Logf("%s %s exited %d; stdout:\n%s\nstderr:\n%s", tl.name, strings.Join(sc.args, " "), code, out, errOut)
	if code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	want := sc.want(t, k)
	var notes []string
	if tl == goDropwatch {
		want = withOurHelp(want)
		notes, errOut = splitOurLines(errOut)
		if diff := cmp.Diff(sc.ourNotes, notes); diff != "" {
			t.Errorf("our own stderr lines (-want +got):\n%s", diff)
		}
	}
	if errOut != "" {
		t.Errorf("stderr: %q, want nothing (the C tool prints nothing there)", errOut)
	}
	if k.drops > 0 {
		if got := summaryDrops(out, k.udp); got != k.drops && strings.Contains(out, " drops at ") {
			t.Errorf("summary lines add up to %d drops in %s, want %d", got, k.udp.name, k.drops)
		}
	}
	got := normalize(t, out)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s transcript (-want +got):\n%s", tl.name, diff)
	}
	if sc.after != nil {
		sc.after(t, k)
	}
	return &transcript{stdout: got, stderr: errOut}
}

// TestDropwatch runs each scenario with the C dropwatch and with ours, checks
// each transcript, then checks that both printed the same thing.
func TestDropwatch(t *testing.T) {
	scenarios := []scenario{
		{
			name:     "summary-kas",
			args:     []string{"-l", "kas"},
			drive:    monitor(250),
			ourNotes: []string{noLosses},
			want: func(t *testing.T, k *kernel) []string {
				return lines(kasInit, startLines,
					[]string{fmt.Sprintf("%d drops at %s [software]", k.drops, kasLocation(k.udp, k.pc(t))), "Got a stop message"},
					eofLines)
			},
		},
		{
			name:     "summary-null",
			drive:    monitor(25),
			ourNotes: []string{noLosses},
			want: func(t *testing.T, k *kernel) []string {
				return lines([]string{"Initializing null lookup method"}, startLines,
					[]string{fmt.Sprintf("%d drops at location %#x [software]", k.drops, k.pc(t)), "Got a stop message"},
					eofLines)
			},
		},
		{
			name:     "packet",
			args:     []string{"-l", "kas"},
			drive:    monitor(3, "set alertmode packet"),
			ourNotes: []string{noLosses},
			want: func(t *testing.T, k *kernel) []string {
				return lines(kasInit, setPacketLines, startLines, repeat(packetBlock(k.udp, k.pc(t)), k.drops),
					[]string{"Got a stop message"}, eofLines)
			},
		},
		{
			name:  "show-stats-help",
			args:  []string{"-l", "kas"},
			drive: commands("show", "stats", "help", "exit"),
			want: func(t *testing.T, k *kernel) []string {
				sw, hw := k.dm.tailDropped(t)
				return lines(kasInit, showLines("Summary", 0, defaultQueueLen), []string{
					"dropwatch> stats",
					"Getting statistics",
					"Software statistics:",
					fmt.Sprintf("Tail dropped: %d", sw),
					"Hardware statistics:",
					fmt.Sprintf("Tail dropped: %d", hw),
					"dropwatch> help",
				}, helpText, []string{"dropwatch> exit", "Shutting down ..."})
			},
		},
		{
			name:  "set-config",
			args:  []string{"-l", "kas"},
			drive: commands("set alertmode packet", "set trunc 128", "set queue 64", "show"),
			want: func(t *testing.T, k *kernel) []string {
				return lines(kasInit, setPacketLines, []string{
					"dropwatch> set trunc 128",
					"Setting truncation length to 128",
					"Truncation length successfully set",
					"dropwatch> set queue 64",
					"Setting queue length to 64",
					"Queue length successfully set",
				}, showLines("Packet", 128, 64), eofLines)
			},
		},
		{
			// The limit counts alerts (here packets), and reaching it
			// stops monitoring from the tool itself. Drops are made
			// one at a time until the kernel stops, so that no alert
			// is in flight when the limit is hit.
			name:     "alertlimit",
			ourNotes: []string{noLosses},
			args:     []string{"-l", "kas"},
			drive: func(t *testing.T, k *kernel, p *proc) {
				commands("set alertmode packet", "set alertlimit 5", "start")(t, k, p)
				waitActivated(t, k, p)
				for k.dm.monitoring(t) {
					if k.drops == 10 {
						t.Fatalf("still monitoring after %d alerts with an alert limit of 5", k.drops)
					}
					k.makeDrops(t, 1)
					p.waitQuiet(t, stateTimeout)
				}
				if k.drops != 5 {
					t.Errorf("monitoring stopped after %d drops, want 5", k.drops)
				}
			},
			want: func(t *testing.T, k *kernel) []string {
				return lines(kasInit, setPacketLines, []string{
					"dropwatch> set alertlimit 5",
					"setting alert capture limit to 5",
				}, startLines, repeat(packetBlock(k.udp, k.pc(t)), 5), []string{
					"Alert limit reached, deactivating!",
					"Deactivation requested, turning off monitoring",
					"Got a stop message",
				}, eofLines)
			},
		},
		{
			// Ctrl-C while monitoring stops the kernel and returns to
			// the prompt, which still takes commands.
			name:     "sigint-returns-to-prompt",
			ourNotes: []string{noLosses},
			args:     []string{"-l", "kas"},
			drive: func(t *testing.T, k *kernel, p *proc) {
				monitor(1)(t, k, p)
				p.send(t, "show")
			},
			want: func(t *testing.T, k *kernel) []string {
				return lines(kasInit, startLines, []string{
					fmt.Sprintf("1 drops at %s [software]", kasLocation(k.udp, k.pc(t))),
					"Got a stop message",
				}, showLines("Summary", 0, defaultQueueLen), eofLines)
			},
			after: startsAgain,
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			got := map[string]*transcript{}
			for _, tl := range []tool{cDropwatch, goDropwatch} {
				t.Run(tl.name, func(t *testing.T) { got[tl.name] = sc.run(t, tl) })
			}
			c, g := got["C"], got["Go"]
			if c == nil || g == nil {
				return // a tool was skipped (reason above) or failed
			}
			// Both runs are also checked against want; this diff is
			// what matters when want itself is wrong. Ours may add
			// only ourHelp to stdout and "dropwatch: " lines to
			// stderr (removed from g.stderr).
			if diff := cmp.Diff(withOurHelp(c.stdout), g.stdout); diff != "" {
				t.Errorf("Go stdout differs from the C dropwatch's plus ourHelp (-C +Go):\n%s", diff)
			}
			if diff := cmp.Diff(c.stderr, g.stderr); diff != "" {
				t.Errorf("Go stderr (without its dropwatch: lines) differs from the C dropwatch's (-C +Go):\n%s", diff)
			}
		})
	}
}

// startsAgain proves the kernel is idle by having another client start
// monitoring: the C dropwatch, whose START would fail with "Failed
// activation request" if a session were still on.
func startsAgain(t *testing.T, k *kernel) {
	t.Helper()
	if k.dm.monitoring(t) {
		t.Fatal("the kernel is still monitoring")
	}
	p := startProc(t, cDropwatch.path(t))
	p.send(t, "start")
	k.dm.waitMonitoring(t, true, stateTimeout)
	// Its SIGINT handler is installed once the START ACK is read: wait
	// until it is idle in recv.
	p.waitQuiet(t, stateTimeout)
	p.signal(t, syscall.SIGINT)
	k.dm.waitMonitoring(t, false, stateTimeout)
	p.finish(t)
	if out := p.stdout.String(); !strings.Contains(out, "Kernel monitoring activated.") {
		t.Errorf("another client could not start monitoring:\n%s%s", out, p.stderr.String())
	}
}

// TestSIGTERM: ours exits on SIGTERM and stops the kernel first. The C
// dropwatch has no SIGTERM handler: it dies and leaves the kernel
// monitoring, with nobody left to stop it.
func TestSIGTERM(t *testing.T) {
	for _, tl := range []tool{cDropwatch, goDropwatch} {
		t.Run(tl.name, func(t *testing.T) {
			bin := tl.path(t)
			k := newKernel(t)
			p := startProc(t, bin, "-l", "kas")
			p.send(t, "start")
			waitActivated(t, k, p)
			k.makeDrops(t, 1)
			p.waitQuiet(t, stateTimeout)
			p.signal(t, syscall.SIGTERM)
			code := p.wait(t, stateTimeout) // stdin stays open
			saveTranscript(t, tl.name, p)
			t.Logf("%s exited %d after SIGTERM; stdout:\n%s\nstderr:\n%s", tl.name, code, p.stdout.String(), p.stderr.String())
			if tl == cDropwatch {
				if st, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || st.Signal() != syscall.SIGTERM {
					t.Errorf("C dropwatch: %v, want killed by SIGTERM", p.cmd.ProcessState)
				}
				if !k.dm.monitoring(t) {
					t.Errorf("C dropwatch stopped the kernel on SIGTERM; it has no handler for it")
				}
				return // newKernel's cleanup stops the kernel
			}
			if notes, rest := splitOurLines(p.stderr.String()); !cmp.Equal(notes, []string{noLosses}) || rest != "" {
				t.Errorf("stderr after SIGTERM: our lines %q and %q, want only %q", notes, rest, noLosses)
			}
			k.dm.waitMonitoring(t, false, stateTimeout)
			startsAgain(t, k)
		})
	}
}

func TestMain(m *testing.M) {
	if os.Getenv("DROPWATCH_VM") == "" {
		fmt.Println("SKIP: e2e tests run inside the test VM only (make vmtest)")
		os.Exit(0)
	}
	os.Exit(m.Run())
}
