package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBinaryVersion checks that a binary built as the Makefile builds it
// names the version and commit given by -X and the toolchain that built it.
func TestBinaryVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "dropwatch")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=v9.9.9-e2e -X main.commit=0123abcd", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(out), "\n")
	want := []string{
		"dropwatch v9.9.9-e2e",
		"go: " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
		"commit: 0123abcd",
		"",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("--version (-want +got):\n%s", diff)
	}
}
