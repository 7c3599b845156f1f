//go:build vmtest

package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// tool is one implementation under test.
type tool struct {
	name string // "C" or "Go"
	env  string // the variable /init sets to its path
}

var (
	cDropwatch  = tool{"C", "C_DROPWATCH_BIN"}
	goDropwatch = tool{"Go", "DROPWATCH_BIN"}
)

// path returns the tool's binary, skipping the test when it is not in the
// guest (run.sh builds ours only when cmd/dropwatch exists and compiles).
func (tl tool) path(t testing.TB) string {
	t.Helper()
	p := os.Getenv(tl.env)
	if p == "" {
		t.Skipf("SKIP: %s is not set: not running in the test VM (make vmtest)", tl.env)
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("SKIP: the %s binary %s=%s is missing (%v): not built yet?", tl.name, tl.env, p, err)
	}
	return p
}

// syncBuffer is written by the process's output copier while tests read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is a running dropwatch fed through a pipe, as a script would.
type proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout syncBuffer
	stderr syncBuffer
	exited chan struct{}
	err    error // from Wait, once exited is closed
}

func startProc(t testing.TB, bin string, args ...string) *proc {
	t.Helper()
	return startProcTo(t, nil, bin, args...)
}

// startProcTo is startProc with standard output going to stdout instead of
// p.stdout, unless it is nil.
func startProcTo(t testing.TB, stdout *os.File, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), exited: make(chan struct{})}
	p.cmd.Stdout = &p.stdout
	if stdout != nil {
		p.cmd.Stdout = stdout
	}
	p.cmd.Stderr = &p.stderr
	// No TERM: readline then behaves as on a dumb terminal, without
	// bracketed-paste escapes.
	p.cmd.Env = append(os.Environ(), "TERM=dumb")
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

func (p *proc) send(t testing.TB, line string) {
	t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		t.Fatalf("writing %q to %s: %v", line, p.cmd.Path, err)
	}
}

func (p *proc) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("sending %v to %s: %v", sig, p.cmd.Path, err)
	}
}

// wait waits for the process to exit by itself and returns its exit code.
func (p *proc) wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		t.Fatalf("%s did not exit within %v\nstdout:\n%s\nstderr:\n%s", p.cmd.Path, timeout, p.stdout.String(), p.stderr.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

// waitFor waits until out (p.stdout or p.stderr) holds text.
func (p *proc) waitFor(t testing.TB, out *syncBuffer, text string, timeout time.Duration) {
	t.Helper()
	p.waitUntil(t, fmt.Sprintf("print %q", text), func() bool { return strings.Contains(out.String(), text) }, timeout)
}

// waitUntil waits until cond, which says what the process has to do, is
// true.
func (p *proc) waitUntil(t testing.TB, what string, cond func() bool, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		select {
		case <-p.exited:
			t.Fatalf("%s exited before it did %s\nstdout:\n%s\nstderr:\n%s", p.cmd.Path, what, p.stdout.String(), p.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not %s within %v\nstdout:\n%s\nstderr:\n%s", p.cmd.Path, what, timeout, p.stdout.String(), p.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// finish closes stdin, which ends both dropwatches at the prompt ("EOF"),
// and returns the exit code.
func (p *proc) finish(t testing.TB) int {
	t.Helper()
	p.stdin.Close()
	return p.wait(t, 15*time.Second)
}

// waitQuiet waits until the process has read every alert queued for it and
// sleeps: the receive queues (Rmem in /proc/net/netlink) of its sockets in
// NET_DM's multicast group are empty and all its threads are asleep, twice
// in a row. The C tool's output is invisible until it exits (stdout is
// fully buffered on a pipe), so this is how a test knows it has printed
// the alerts the watcher saw. It matters for SIGINT: alerts still queued
// when the C tool's handler sends STOP are discarded with "Waiting for
// deactivation ack...".
func (p *proc) waitQuiet(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	quiet := 0
	for quiet < 2 {
		busy := procBusy(p.cmd.Process.Pid)
		if busy == "" {
			quiet++
		} else {
			quiet = 0
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still busy after %v: %s", p.cmd.Path, timeout, busy)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// procBusy says why a process is not quiet, or returns "".
func procBusy(pid int) string {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	if len(tasks) == 0 {
		return "no threads (exited?)"
	}
	for _, st := range tasks {
		b, err := os.ReadFile(st)
		if err != nil {
			return err.Error()
		}
		// The state follows the parenthesised command name.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 || i+2 >= len(b) {
			return "unreadable " + st
		}
		if b[i+2] != 'S' {
			return fmt.Sprintf("%s: state %c", st, b[i+2])
		}
	}
	inodes := socketInodes(pid)
	f, err := os.Open("/proc/net/netlink")
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		// sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode. Groups is
		// the bitmap of the first 32 groups, and genetlink gives NET_DM's
		// "events" the fixed ID 1 (bit 0). Other sockets may hold
		// replies nobody reads: the C dwdump keeps only the first part
		// of its CTRL_CMD_GETFAMILY dump.
		fields := strings.Fields(s.Text())
		if len(fields) < 10 || !inodes[fields[9]] {
			continue
		}
		groups, err := strconv.ParseUint(fields[3], 16, 32)
		if err == nil && groups&1 != 0 && fields[4] != "0" {
			return fmt.Sprintf("%s bytes queued on socket %s", fields[4], fields[9])
		}
	}
	return ""
}

func socketInodes(pid int) map[string]bool {
	fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
	inodes := map[string]bool{}
	for _, fd := range fds {
		l, err := os.Readlink(fd)
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	return inodes
}

// saveTranscript keeps what a tool printed in the guest's /out, which
// run.sh brings back to the host.
func saveTranscript(t testing.TB, name string, p *proc) {
	dir := os.Getenv("DROPWATCH_VM_OUT_DIR")
	if dir == "" {
		return
	}
	dir = filepath.Join(dir, "e2e", strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("saving transcript: %v", err)
		return
	}
	for suffix, s := range map[string]string{".stdout": p.stdout.String(), ".stderr": p.stderr.String()} {
		if err := os.WriteFile(filepath.Join(dir, name+suffix), []byte(s), 0o644); err != nil {
			t.Logf("saving transcript: %v", err)
		}
	}
}
