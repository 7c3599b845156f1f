//go:build vmtest

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestKfreeSkbFormat copies the skb:kfree_skb tracepoint's format file to
// /out as kfree_skb-<uname -r>.format, for pkg/skbtrace/testdata (issue
// 6). It reads it from a tracefs of its own, so that /sys/kernel/tracing
// stays as the guest booted: unmounted, for ours to mount (TestOnce's
// tracepoint cases).
func TestKfreeSkbFormat(t *testing.T) {
	outDir := os.Getenv("DROPWATCH_VM_OUT_DIR")
	if outDir == "" {
		t.Fatal("DROPWATCH_VM_OUT_DIR is not set: not in the test VM")
	}
	release, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := unix.Mount("nodev", dir, "tracefs", 0, ""); err != nil {
		t.Fatalf("mounting tracefs on %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, 0); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
	format, err := os.ReadFile(filepath.Join(dir, "events/skb/kfree_skb/format"))
	if err != nil {
		t.Fatal(err)
	}
	name := "kfree_skb-" + strings.TrimSpace(string(release)) + ".format"
	if err := os.WriteFile(filepath.Join(outDir, name), format, 0o644); err != nil {
		t.Fatal(err)
	}
	// Both kernels are newer than 5.17, which added the reason field.
	for _, want := range []string{"name: kfree_skb\n", "\tfield:enum skb_drop_reason reason;", "__print_symbolic(REC->reason"} {
		if !strings.Contains(string(format), want) {
			t.Errorf("%s lacks %q:\n%s", name, want, format)
		}
	}
}

// tracefsMountedAt tells whether /proc/mounts has a tracefs at dir.
func tracefsMountedAt(t testing.TB, dir string) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/mounts")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[1] == dir && f[2] == "tracefs" {
			return true
		}
	}
	return false
}
