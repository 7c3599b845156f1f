package counters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// helperReport is what TestUnprivilegedHelper prints for its parent.
type helperReport struct {
	Read     []string
	Counters int
	Errors   []helperError
}

type helperError struct {
	Source, Path         string
	Permission, NotExist bool
}

func report(s *Snapshot) helperReport {
	r := helperReport{Counters: len(s.Counters)}
	for _, src := range s.Read {
		r.Read = append(r.Read, src.String())
	}
	for _, e := range s.Errors {
		r.Errors = append(r.Errors, helperError{e.Source.String(), filepath.Base(e.Path), errors.Is(e, os.ErrPermission), errors.Is(e, os.ErrNotExist)})
	}
	return r
}

// TestUnprivilegedHelper is run by TestUnprivileged as user nobody; on
// its own it does nothing.
func TestUnprivilegedHelper(t *testing.T) {
	root := os.Getenv("COUNTERS_UNPRIV_PROCROOT")
	if root == "" {
		t.Skip("run by TestUnprivileged")
	}
	var out []helperReport
	for _, cfg := range []Config{{}, {ProcRoot: root, Sources: []Source{SNMP, Softnet}}} {
		r, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		s, err := r.Snapshot(context.Background())
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, report(s))
	}
	b, _ := json.Marshal(out)
	fmt.Printf("REPORT %s\n", b)
}

// TestUnprivileged runs a snapshot as user nobody (uid 65534), with no
// capabilities: every source of the host is readable so (the ethtool
// ioctls used are in __dev_ethtool's list of commands anyone may run), and
// a /proc file nobody may read is reported as a permission error of its
// source, the others being read.
func TestUnprivileged(t *testing.T) {
	needRoot(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "dwcounters-unpriv")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "counters.test")
	copyFile(t, exe, bin, 0o755)
	// A procfs tree with one unreadable MIB file.
	proc := filepath.Join(dir, "proc")
	if err := os.MkdirAll(filepath.Join(proc, "net"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"snmp", "snmp6", "softnet_stat"} {
		copyFile(t, filepath.Join("/proc/net", f), filepath.Join(proc, "net", f), 0o644)
	}
	copyFile(t, "/proc/net/netstat", filepath.Join(proc, "net", "netstat"), 0o000)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, bin, "-test.run=^TestUnprivilegedHelper$", "-test.count=1")
	c.Dir = dir
	c.Env = []string{"COUNTERS_UNPRIV_PROCROOT=" + proc, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("helper as nobody: %v\n%s", err, out)
	}
	var got []helperReport
	for _, line := range strings.Split(string(out), "\n") {
		if len(line) > 7 && line[:7] == "REPORT " {
			if err := json.Unmarshal([]byte(line[7:]), &got); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(got) != 2 {
		t.Fatalf("no report from the helper:\n%s", out)
	}
	t.Logf("as nobody: %d counters of %v; with an unreadable netstat: %+v", got[0].Counters, got[0].Read, got[1].Errors)
	want0 := helperReport{Read: []string{"link", "ethtool", "softnet", "snmp", "qdisc"}, Counters: got[0].Counters}
	if diff := cmp.Diff(want0, got[0]); diff != "" {
		t.Errorf("host sources as nobody (-want +got):\n%s", diff)
	}
	want1 := helperReport{Read: []string{"softnet", "snmp"}, Counters: got[1].Counters,
		Errors: []helperError{{Source: "snmp", Path: "netstat", Permission: true}}}
	if diff := cmp.Diff(want1, got[1]); diff != "" {
		t.Errorf("unreadable netstat as nobody (-want +got):\n%s", diff)
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(to, mode); err != nil {
		t.Fatal(err)
	}
}
