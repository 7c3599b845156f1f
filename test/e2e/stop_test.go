//go:build vmtest

package e2e

// Issue 4: how monitoring ends. Drops the kernel still holds when the user
// stops are reported; whatever ends ours, the kernel is stopped before it
// exits; and ours never stops monitoring another tool started.

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// drainDrops are made just before Ctrl-C: the kernel holds them in each
// CPU's summary batch for a second, and discards the batch on STOP.
const drainDrops = 50

// TestDrainBeforeStop: Ctrl-C 0.2 s after 50 drops. Ours keeps receiving
// until the kernel's batches have come, then sends STOP, and reports all
// 50. The C tool sends STOP at once and loses them: its count is only
// logged, for comparison.
func TestDrainBeforeStop(t *testing.T) {
	tests := []struct {
		name string
		tool tool
		args []string
		// repl: drive the REPL with start, then Ctrl-C and end of
		// input; else the args hold --once, which Ctrl-C ends.
		repl bool
		// assert: ours; the C tool's count is logged, not checked.
		assert bool
		// top: after Ctrl-C, the REPL's top command must count the
		// drops too.
		top bool
	}{
		{name: "C", tool: cDropwatch, args: []string{"-l", "kas"}, repl: true},
		{name: "Go", tool: goDropwatch, args: []string{"-l", "kas"}, repl: true, assert: true, top: true},
		{name: "Go-once", tool: goDropwatch, args: []string{"-l", "kas", "--once", "1m", "--mode", "summary"}, assert: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := tt.tool.path(t)
			k := newKernel(t)
			p := startProc(t, bin, tt.args...)
			if tt.repl {
				p.send(t, "start")
			}
			k.dm.waitMonitoring(t, true, stateTimeout)
			// The C tool's SIGINT handler is installed once it has
			// read START's ACK.
			p.waitQuiet(t, stateTimeout)
			k.makeUnreported(t, drainDrops)
			time.Sleep(200 * time.Millisecond)
			p.signal(t, syscall.SIGINT)
			k.dm.waitMonitoring(t, false, stateTimeout)
			code := -1
			if tt.top {
				p.send(t, "top")
			}
			if tt.repl {
				code = p.finish(t)
			} else {
				code = p.wait(t, stateTimeout)
			}
			saveTranscript(t, tt.name, p)
			out := p.stdout.String()
			reported := summaryDrops(out, k.udp)
			if tt.tool == goDropwatch && !tt.repl {
				reported = topTableOf(t, out).at(k.udp)
			}
			t.Logf("%s %s: exit %d; the kernel sent %d of the %d drops; the tool reported %d\nstdout:\n%s\nstderr:\n%s",
				tt.name, strings.Join(tt.args, " "), code, k.w.seen(k.udp), k.drops, reported, out, p.stderr.String())
			if !tt.assert {
				return
			}
			if code != 0 {
				t.Errorf("exit code %d, want 0", code)
			}
			if got := k.w.seen(k.udp); got != k.drops {
				t.Errorf("the kernel sent %d of the %d drops before STOP, want all", got, k.drops)
			}
			if reported != k.drops {
				t.Errorf("reported %d drops at %s, want the %d made", reported, k.udp.name, k.drops)
			}
			if tt.top {
				tb := topTableOf(t, out)
				if got := map[string]int{"at": tb.at(k.udp), "total": tb.total}; !cmp.Equal(got, map[string]int{"at": k.drops, "total": k.drops}) {
					t.Errorf("top: %d drops in %s, %d in all, want %d in both", got["at"], k.udp.name, got["total"], k.drops)
				}
			}
		})
	}
}

// TestNeverLeavesMonitoring: however ours ends while monitoring, the kernel
// is stopped by the time it has exited, and what it read is printed.
func TestNeverLeavesMonitoring(t *testing.T) {
	const drops = 3
	tests := []struct {
		name string
		// end ends ours; out is the read end of its stdout pipe when
		// the case uses one.
		end      func(t *testing.T, k *kernel, p *proc, out *os.File)
		pipe     bool // stdout is a pipe whose reader goes away
		wantCode int
		// wantNotes are our stderr lines.
		wantNotes []string
	}{
		{
			name:      "SIGTERM",
			end:       func(t *testing.T, _ *kernel, p *proc, _ *os.File) { p.signal(t, syscall.SIGTERM) },
			wantCode:  128 + int(syscall.SIGTERM),
			wantNotes: []string{noLosses},
		},
		{
			name:      "SIGHUP",
			end:       func(t *testing.T, _ *kernel, p *proc, _ *os.File) { p.signal(t, syscall.SIGHUP) },
			wantCode:  128 + int(syscall.SIGHUP),
			wantNotes: []string{noLosses},
		},
		{
			// Input ends while monitoring (as in "echo start |
			// dropwatch"): like the C tool, ours reads no command
			// until Ctrl-C, then stops and ends at EOF.
			name: "end-of-input",
			end: func(t *testing.T, _ *kernel, p *proc, _ *os.File) {
				p.stdin.Close()
				p.signal(t, syscall.SIGINT)
			},
			wantNotes: []string{noLosses},
		},
		{
			// The reader of ours' stdout goes away ("dropwatch | head"):
			// the next alert's write fails with EPIPE.
			name: "EPIPE",
			pipe: true,
			end: func(t *testing.T, k *kernel, p *proc, out *os.File) {
				// What ours printed so far has been read.
				p.waitUntil(t, "print the drops", func() bool { return summaryDrops(p.stdout.String(), k.udp) == drops }, stateTimeout)
				out.Close()
				k.makeDrops(t, 1)
			},
			wantCode:  1,
			wantNotes: []string{noLosses, "dropwatch: writing output: write /dev/stdout: broken pipe"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := goDropwatch.path(t)
			k := newKernel(t)
			p, out := startPiped(t, tt.pipe, bin, "-l", "kas")
			p.send(t, "start")
			k.dm.waitMonitoring(t, true, stateTimeout)
			k.makeDrops(t, drops)
			p.waitQuiet(t, stateTimeout)
			tt.end(t, k, p, out)
			code := p.wait(t, stateTimeout)
			// Checked at once: the kernel must be stopped before ours
			// exits, not some time later.
			monitoring := k.dm.monitoring(t)
			saveTranscript(t, "Go", p)
			stdout := p.stdout.String()
			t.Logf("exit %d; stdout:\n%s\nstderr:\n%s", code, stdout, p.stderr.String())
			if monitoring {
				t.Errorf("the kernel is still monitoring after ours exited (%v)", p.cmd.ProcessState)
			}
			if code != tt.wantCode {
				t.Errorf("exit code %d (%v), want %d", code, p.cmd.ProcessState, tt.wantCode)
			}
			notes, rest := splitOurLines(p.stderr.String())
			if diff := cmp.Diff(tt.wantNotes, notes); diff != "" {
				t.Errorf("our stderr lines (-want +got):\n%s", diff)
			}
			if rest != "" {
				t.Errorf("other stderr: %q, want none", rest)
			}
			// The drops made before the end were read (waitQuiet),
			// so they were printed, even when the reader has gone
			// since.
			if got := summaryDrops(stdout, k.udp); got != drops {
				t.Errorf("stdout reports %d drops at %s, want %d", got, k.udp.name, drops)
			}
		})
	}
}

// startPiped starts bin, with its standard output on a pipe when piped:
// what it writes there is copied to p.stdout until out, the pipe's read
// end, is closed.
func startPiped(t *testing.T, piped bool, bin string, args ...string) (p *proc, out *os.File) {
	t.Helper()
	if !piped {
		return startProc(t, bin, args...), nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p = startProcTo(t, w, bin, args...)
	w.Close()
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			p.stdout.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { r.Close() })
	return p, r
}

// TestOthersMonitoring: the C dropwatch monitors. Ours with --passive
// prints the alerts of that session and leaves it on; ours' start is
// refused with the kernel's EAGAIN and our hint, and the session stays
// on; ours with --force takes it over (STOP, START) and stops it at the
// end. The steps run in order, on one session of the C tool.
func TestOthersMonitoring(t *testing.T) {
	const drops = 7
	c := startProc(t, cDropwatch.path(t), "-l", "kas")
	bin := goDropwatch.path(t)
	k := newKernel(t)
	c.send(t, "start")
	k.dm.waitMonitoring(t, true, stateTimeout)
	c.waitQuiet(t, stateTimeout)
	defer func() {
		c.signal(t, syscall.SIGINT)
		k.dm.waitMonitoring(t, false, stateTimeout)
		c.finish(t)
		saveTranscript(t, "C", c)
		t.Logf("the C dropwatch, stdout:\n%s\nstderr:\n%s", c.stdout.String(), c.stderr.String())
	}()

	// interruptAfterDrops sends start, waits for ready, makes drops,
	// waits until ours has read their alerts and interrupts it.
	interruptAfterDrops := func(ready string) func(t *testing.T, p *proc) int {
		return func(t *testing.T, p *proc) int {
			p.send(t, "start")
			p.waitFor(t, &p.stdout, ready, stateTimeout)
			k.makeDrops(t, drops)
			p.waitQuiet(t, stateTimeout)
			p.signal(t, syscall.SIGINT)
			return drops
		}
	}
	steps := []struct {
		name  string
		args  []string
		drive func(t *testing.T, p *proc) (drops int)
		// want is the normalized stdout; notes our stderr lines.
		want           func(t *testing.T, drops int) []string
		notes          []string
		monitoringLeft bool // after ours exits
	}{
		{
			name:  "passive",
			args:  []string{"-l", "kas", "--passive"},
			drive: interruptAfterDrops("Issue Ctrl-C to stop listening"),
			want: func(t *testing.T, n int) []string {
				return lines(kasInit, []string{
					"dropwatch> start",
					"Listening for drop alerts without starting monitoring (--passive)",
					"Issue Ctrl-C to stop listening",
					fmt.Sprintf("%d drops at %s [software]", n, kasLocation(k.udp, k.pc(t))),
					"Stopped listening; the kernel's monitoring is left as it was",
				}, eofLines)
			},
			notes:          []string{noLosses},
			monitoringLeft: true,
		},
		{
			name: "start-refused",
			args: []string{"-l", "kas"},
			drive: func(t *testing.T, p *proc) int {
				p.send(t, "start")
				return 0
			},
			want: func(t *testing.T, _ int) []string {
				return lines(kasInit, []string{
					"dropwatch> start",
					"Enabling monitoring...",
					"Failed activation request, error: Resource temporarily unavailable",
				}, eofLines)
			},
			notes: []string{"dropwatch: the kernel is already monitoring drops: another tool, or a dropwatch that ended without stopping it, started it. Type stop to end it, or run dropwatch --force."},
			// Ours sent no STOP.
			monitoringLeft: true,
		},
		{
			name:  "force",
			args:  []string{"-l", "kas", "--force"},
			drive: interruptAfterDrops("Issue Ctrl-C to stop monitoring"),
			want: func(t *testing.T, n int) []string {
				return lines(kasInit, startLines, []string{
					fmt.Sprintf("%d drops at %s [software]", n, kasLocation(k.udp, k.pc(t))),
					"Got a stop message",
				}, eofLines)
			},
			notes: []string{noLosses},
		},
	}
	for _, st := range steps {
		ok := t.Run(st.name, func(t *testing.T) {
			p := startProc(t, bin, st.args...)
			n := st.drive(t, p)
			code := p.finish(t)
			monitoring := k.dm.monitoring(t)
			saveTranscript(t, "Go", p)
			out := p.stdout.String()
			t.Logf("ours %s: exit %d; stdout:\n%s\nstderr:\n%s", strings.Join(st.args, " "), code, out, p.stderr.String())
			if code != 0 {
				t.Errorf("exit code %d, want 0", code)
			}
			if monitoring != st.monitoringLeft {
				t.Errorf("kernel monitoring after ours exited: %v, want %v", monitoring, st.monitoringLeft)
			}
			if diff := cmp.Diff(st.want(t, n), normalize(t, out)); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			notes, rest := splitOurLines(p.stderr.String())
			if diff := cmp.Diff(st.notes, notes); diff != "" {
				t.Errorf("our stderr lines (-want +got):\n%s", diff)
			}
			if rest != "" {
				t.Errorf("other stderr: %q, want none", rest)
			}
		})
		if !ok {
			return // the next steps depend on this one's state
		}
	}
}
