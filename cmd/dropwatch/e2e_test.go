package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dropwatch-go/dropwatch/test/vm/dropgen"
)

// buildBinary builds dropwatch into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "dropwatch")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=v9.9.9-e2e", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBinary builds dropwatch and runs it for what needs no kernel support,
// and for the missing NET_DM family of the development machines.
func TestBinary(t *testing.T) {
	bin := buildBinary(t)
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
		{name: "unknown method", args: []string{"-l", "bfd"}, stdout: "Unknown lookup method bfd\n", code: 1},
		{name: "bad flag", args: []string{"--frob"}, stderr: "dropwatch: unrecognized option '--frob'", code: 2},
		{name: "missing argument", args: []string{"-l"}, stderr: "dropwatch: option requires an argument -- 'l'", code: 2},
		{
			name: "no NET_DM family", args: []string{"-l", "kas", "--backend", "netdm"}, stdin: "start\n",
			stdout: "Unable to find NET_DM family, dropwatch can't work\nCleaning up on socket creation error\n",
			stderr: "dropwatch: the kernel has no NET_DM (drop monitor) generic netlink family here: ", code: 1,
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

// TestBinaryTracepoint monitors real drops through the skb:kfree_skb
// tracepoint, which this machine's kernel has (it lacks NET_DM): UDP
// datagrams to a closed port of 127.0.0.1 are dropped in __udp4_lib_rcv.
func TestBinaryTracepoint(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("perf events on a tracepoint need root")
	}
	bin := buildBinary(t)
	cmd := exec.Command(bin, "--backend", "tracepoint", "-l", "kas")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	io.WriteString(stdin, "start\n")
	deadline := time.Now().Add(waitLimit)
	for !strings.Contains(stdout.String(), msgIssueCtrlC) {
		if strings.Contains(stdout.String(), "Failed activation request") || time.Now().After(deadline) {
			t.Skipf("the tracepoint cannot be used here:\n%s%s", stdout.String(), stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	made := makeUDPDrops(t, 10)
	// Ctrl-C at once: the drain before stopping must still report them.
	cmd.Process.Signal(os.Interrupt)
	stdout.waitFor(t, msgGotStop)
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Errorf("dropwatch: %v\n%s", err, stderr.String())
	}
	got := 0
	for _, line := range strings.Split(stdout.String(), "\n") {
		var n int
		var where string
		if _, err := fmt.Sscanf(line, "%d drops at %s", &n, &where); err == nil && strings.HasPrefix(where, "__udp4_lib_rcv+") {
			got += n
		}
	}
	if got < made {
		t.Errorf("dropwatch reported %d drops in __udp4_lib_rcv, want at least %d:\n%s", got, made, stdout.String())
	}
	if !strings.HasSuffix(stdout.String(), "dropwatch> Terminating dropwatch...\nShutting down ...\n") {
		t.Errorf("output:\n%s", stdout.String())
	}
}

// makeUDPDrops sends datagrams to a closed port until n have been accepted
// by the socket, each of which the kernel drops: a write after a dropped
// datagram may fail with ECONNREFUSED, carried by the ICMP error it caused.
func makeUDPDrops(t *testing.T, n int) int {
	t.Helper()
	l, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.LocalAddr().String()
	l.Close()
	c, err := net.Dial("udp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	made := 0
	for i := 0; made < n && i < 10*n; i++ {
		if _, err := c.Write([]byte("drop")); err == nil {
			made++
		}
		time.Sleep(2 * time.Millisecond)
	}
	return made
}

// TestBinaryOnce runs "dropwatch --once 2s -l kas" as a script would, on
// whichever backend auto picks here (the tracepoint on the development
// machines, which lack NET_DM), while dropgen makes UDP drops: stdout
// holds only alert lines and the table, and the drops are reported at
// __udp4_lib_rcv; with --json, every stdout line is a JSON object.
func TestBinaryOnce(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("monitoring drops needs root")
	}
	bin := buildBinary(t)
	for _, asJSON := range []bool{false, true} {
		t.Run(fmt.Sprintf("json=%v", asJSON), func(t *testing.T) {
			args := []string{"--once", "2s", "-l", "kas"}
			if asJSON {
				args = append(args, "--json")
			}
			cmd := exec.Command(bin, args...)
			var stdout, stderr syncBuffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(waitLimit)
			for !strings.Contains(stderr.String(), msgIssueCtrlC) {
				if cmd.ProcessState != nil || time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Skipf("cannot monitor here:\n%s", stderr.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			made, err := dropgen.Make(10)
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("dropwatch: %v\n%s", err, stderr.String())
			}
			got := 0
			if asJSON {
				got = jsonDropsAt(t, stdout.String(), "__udp4_lib_rcv")
			} else {
				got = textDropsAt(t, stdout.String(), "__udp4_lib_rcv+")
			}
			if got < made {
				t.Errorf("reported %d drops in __udp4_lib_rcv, want at least %d:\n%s\nstderr:\n%s", got, made, stdout.String(), stderr.String())
			}
		})
	}
}

// textDropsAt adds up the summary lines at the function (the table that
// follows them is not counted).
func textDropsAt(t *testing.T, out, where string) int {
	t.Helper()
	lines := strings.Split(out, "\n")
	got, table := 0, false
	for _, line := range lines {
		var n int
		var at string
		switch {
		case strings.Contains(line, "DROPS") && strings.Contains(line, "LOCATION"):
			table = true
		case table:
		case line == "":
		default:
			if _, err := fmt.Sscanf(line, "%d drops at %s", &n, &at); err != nil {
				t.Errorf("stdout line %q is not an alert", line)
			}
			if strings.HasPrefix(at, where) {
				got += n
			}
		}
	}
	if !table || !strings.Contains(out, "\nlosses: ") {
		t.Errorf("no table at the end of stdout:\n%s", out)
	}
	return got
}

// jsonDropsAt parses every stdout line as a JSON object and adds up the
// counts of the alert lines whose location is in the function.
func jsonDropsAt(t *testing.T, out, fn string) int {
	t.Helper()
	got := 0
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, line := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("stdout line %d is not JSON: %v: %q", i+1, err, line)
		}
		if i == len(lines)-1 {
			continue // the final object: table and losses
		}
		if strings.Contains(line, `"`+fn+`+`) {
			n, _ := v["count"].(float64)
			got += int(n)
		}
	}
	return got
}
