package main

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBinary builds dropwatch and runs it for what needs no kernel support,
// and for the missing NET_DM family of the development machines.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "dropwatch")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=v9.9.9-e2e", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	tests := []struct {
		name           string
		args           []string
		stdin          string
		stdout, stderr string // stderr: a substring; "" means empty
		code           int
	}{
		{name: "list", args: []string{"-l", "list"}, stdout: "Available lookup methods:\nkas - use /proc/kallsyms\nnone - print raw addresses (the default)\n"},
		{name: "list GNU abbreviation", args: []string{"--lm=list"}, stdout: "Available lookup methods:\nkas - use /proc/kallsyms\nnone - print raw addresses (the default)\n"},
		{name: "help", args: []string{"-h"}, stdout: usageText},
		{name: "version", args: []string{"--version"}, stdout: "dropwatch v9.9.9-e2e\n"},
		{name: "unknown method", args: []string{"-l", "bfd"}, stdout: "Unknown lookup method bfd\n", code: 1},
		{name: "bad flag", args: []string{"--frob"}, stderr: "dropwatch: unrecognized option '--frob'", code: 2},
		{name: "missing argument", args: []string{"-l"}, stderr: "dropwatch: option requires an argument -- 'l'", code: 2},
		{
			name: "no NET_DM family", args: []string{"-l", "kas"}, stdin: "start\n",
			stdout: "Unable to find NET_DM family, dropwatch can't work\nCleaning up on socket creation error\n",
			stderr: "modprobe drop_monitor", code: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			cmd.Stdin = strings.NewReader(tt.stdin)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if tt.name == "no NET_DM family" && strings.HasPrefix(stdout.String(), "Initializing") {
				t.Skip("this kernel has NET_DM")
			}
			if code != tt.code {
				t.Errorf("exit status %d, want %d", code, tt.code)
			}
			if stdout.String() != tt.stdout {
				t.Errorf("stdout:\n got %q\nwant %q", stdout.String(), tt.stdout)
			}
			if got := stderr.String(); !strings.Contains(got, tt.stderr) || (tt.stderr == "") != (got == "") {
				t.Errorf("stderr = %q, want it to contain %q", got, tt.stderr)
			}
		})
	}
}
