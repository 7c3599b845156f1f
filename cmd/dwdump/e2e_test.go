package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dropwatch-go/dropwatch/pkg/nlpcap"
)

// buildDwdump builds this command into a temporary directory.
func buildDwdump(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to build dwdump with")
	}
	bin := filepath.Join(t.TempDir(), "dwdump")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runBinary runs the binary and returns its exit status and output.
func runBinary(t *testing.T, bin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("running %s: %v", bin, err)
	}
	return result{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}
}

func TestBinary(t *testing.T) {
	bin := buildDwdump(t)

	t.Run("-h", func(t *testing.T) {
		got := runBinary(t, bin, "-h")
		if got.code != 1 || got.stdout != usageText || got.stderr != "" {
			t.Errorf("dwdump -h: exit status %d, stdout %q, stderr %q", got.code, got.stdout, got.stderr)
		}
	})

	t.Run("no NET_DM family", func(t *testing.T) {
		if _, err := nlpcap.FetchFamily(context.Background(), "NET_DM"); !errors.Is(err, os.ErrNotExist) {
			t.Skipf("this kernel may have NET_DM (looking it up: %v)", err)
		}
		path := filepath.Join(t.TempDir(), "never.pcap")
		for _, args := range [][]string{nil, {"-q"}, {"-s"}, {"-e"}, {"-p", "-w", path}} {
			got := runBinary(t, bin, args...)
			first, _, _ := strings.Cut(got.stderr, "\n")
			if got.code != 1 || got.stdout != "" || first != `Failed to resolve ID of "NET_DM" family` {
				t.Errorf("dwdump %q: exit status %d, stdout %q, stderr %q", args, got.code, got.stdout, got.stderr)
			}
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("-w file created although the kernel has no NET_DM: %v", err)
		}
	})
}
