package skbtrace

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestMountTracefs unmounts tracefs (and debugfs) in a private mount
// namespace of one thread, then checks that findTracefs mounts it again and
// the event can be read.
func TestMountTracefs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: mount namespaces and mount(2)")
	}
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread, in its own mount namespace, exits
		// with the goroutine.
		runtime.LockOSThread()
		errc <- remountInPrivateNamespace()
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func remountInPrivateNamespace() error {
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("unshare(CLONE_NEWNS): %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	for _, d := range []string{tracefsDebugfs, "/sys/kernel/debug", tracefsDefault} {
		for unix.Unmount(d, unix.MNT_DETACH) == nil {
		}
	}
	if _, err := os.Stat(filepath.Join(tracefsDefault, "events")); err == nil {
		return errors.New("tracefs still mounted after unmounting")
	}
	dir, mounted, err := findTracefs("")
	if err != nil {
		return fmt.Errorf("findTracefs: %w", err)
	}
	if dir != tracefsDefault || !mounted {
		return fmt.Errorf("findTracefs = %q, mounted %v; want %q, true", dir, mounted, tracefsDefault)
	}
	f, err := loadFormat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil // mounted, but this kernel lacks the event: nothing more to check
	}
	if err != nil {
		return fmt.Errorf("loadFormat after mounting: %w", err)
	}
	if f.Name != "kfree_skb" {
		return fmt.Errorf("format name %q after mounting, want kfree_skb", f.Name)
	}
	return nil
}

// nobodyEnv carries the stand-in tracefs directory to the child of
// TestPermissionDenied, which runs as nobody.
const nobodyEnv = "SKBTRACE_TEST_NOBODY_TRACEFS"

// TestPermissionDenied runs this test binary again as nobody and checks
// that Open fails with os.ErrPermission naming the paranoid setting and the
// capabilities. perf_event_open is reached through a stand-in tracefs
// directory holding a copy of the real format, since the real one is
// readable only by root.
func TestPermissionDenied(t *testing.T) {
	if dir := os.Getenv(nobodyEnv); dir != "" {
		permissionDeniedChild(t, dir)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a child as nobody")
	}
	paranoid, err := os.ReadFile("/proc/sys/kernel/perf_event_paranoid")
	if err != nil {
		t.Skipf("no perf events: %v", err)
	}
	if p, _ := strconv.Atoi(strings.TrimSpace(string(paranoid))); p < 0 {
		t.Skip("kernel.perf_event_paranoid is -1: anyone may trace")
	}
	real, _, err := findTracefs("")
	if err != nil {
		t.Fatal(err)
	}
	format, err := os.ReadFile(filepath.Join(real, eventDir, "format"))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("no skb:kfree_skb tracepoint here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}

	// A world-readable directory with the stand-in tracefs and a copy of
	// the test binary (the go build cache is root-only).
	tmp, err := os.MkdirTemp("", "skbtrace-nobody")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	fake := filepath.Join(tmp, "tracefs")
	if err := os.MkdirAll(filepath.Join(fake, eventDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fake, eventDir, "format"), format, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tmp, "skbtrace.test")
	if err := copyFile(bin, os.Args[0]); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{tmp, fake, filepath.Join(fake, "events"), filepath.Join(fake, "events/skb"), filepath.Join(fake, eventDir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	cmd := exec.Command(bin, "-test.run=^TestPermissionDenied$", "-test.v", "-test.count=1")
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), nobodyEnv+"="+fake)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestPermissionDenied") {
		t.Fatalf("child as nobody: %v\n%s", err, out)
	}
	t.Logf("child as nobody:\n%s", out)
}

func permissionDeniedChild(t *testing.T, fake string) {
	if os.Geteuid() == 0 {
		t.Fatal("child runs as root")
	}
	_, err := Open(Options{TracefsDir: fake})
	if !errors.Is(err, os.ErrPermission) {
		t.Fatalf("Open(stand-in tracefs) as uid %d = %v, want os.ErrPermission", os.Geteuid(), err)
	}
	for _, want := range []string{"perf_event_open", "kernel.perf_event_paranoid is ", "CAP_PERFMON", "CAP_SYS_ADMIN"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	t.Logf("stand-in tracefs: %v", err)
	_, err = Open(Options{})
	if !errors.Is(err, os.ErrPermission) {
		t.Fatalf("Open() as uid %d = %v, want os.ErrPermission", os.Geteuid(), err)
	}
	t.Logf("real tracefs: %v", err)
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
