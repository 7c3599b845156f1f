package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFormatVersion(t *testing.T) {
	platform := " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	tests := []struct {
		name   string
		bi     *debug.BuildInfo
		commit string // -X main.commit
		want   string
	}{
		{"no build info", nil, "", "dropwatch 1.0\ngo: " + runtime.Version() + platform + "commit: unknown\n"},
		{"no vcs", &debug.BuildInfo{GoVersion: "go1.99.1"}, "", "dropwatch 1.0\ngo: go1.99.1" + platform + "commit: unknown\n"},
		{"clean tree", &debug.BuildInfo{GoVersion: "go1.99.1", Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "false"},
		}}, "", "dropwatch 1.0\ngo: go1.99.1" + platform + "commit: 0123abcd\n"},
		{"modified tree", &debug.BuildInfo{GoVersion: "go1.99.1", Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "true"},
		}}, "", "dropwatch 1.0\ngo: go1.99.1" + platform + "commit: 0123abcd (with uncommitted changes)\n"},
		{"-X wins", &debug.BuildInfo{GoVersion: "go1.99.1", Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123abcd"},
		}}, "feedface", "dropwatch 1.0\ngo: go1.99.1" + platform + "commit: feedface\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatVersion("1.0", tt.commit, tt.bi); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

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
