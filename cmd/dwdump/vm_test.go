//go:build vmtest

// Real-kernel tests of the dwdump binary, next to the C dwdump 1.5.4. They
// run as root inside the VMs that test/vm/run.sh boots (Debian's 6.1 and
// 6.12 kernels with drop_monitor loaded), which set DWDUMP_BIN and
// C_DWDUMP_BIN, and make drops with dropgen: UDP datagrams to a closed port
// on 127.0.0.1, each freed by __udp4_lib_rcv. The captures are left in
// DROPWATCH_VM_OUT_DIR for tshark on the host.
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/nlpcap"
	"github.com/dropwatch-go/dropwatch/test/vm/dropgen"
)

// vmBinary returns the path in environment variable env, skipping the test
// outside the VM.
func vmBinary(t *testing.T, env string) string {
	t.Helper()
	if os.Getenv("DROPWATCH_VM") != "1" {
		t.Skip("needs the test VM (test/vm/run.sh)")
	}
	bin := os.Getenv(env)
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("%s: %v", env, err)
	}
	return bin
}

// restoreKernel puts the drop monitor back as the other tests expect it:
// stopped, summary mode, no truncation, queue 1000.
func restoreKernel(t *testing.T) {
	t.Cleanup(func() {
		c, err := dropmon.New()
		if err != nil {
			t.Errorf("dropmon.New: %v", err)
			return
		}
		defer c.Close()
		ctx := context.Background()
		_ = c.Stop(ctx, dropmon.SourceSoftware|dropmon.SourceHardware)
		mode, trunc, queue := dropmon.ModeSummary, uint32(0), uint32(1000)
		if err := c.SetConfig(ctx, dropmon.ConfigUpdate{Mode: &mode, TruncLen: &trunc, QueueLen: &queue}); err != nil {
			t.Errorf("restoring the default configuration: %v", err)
		}
	})
}

// assertStopped checks that nothing monitors software drops: a START
// succeeds (and is undone).
func assertStopped(t *testing.T) {
	t.Helper()
	c, err := dropmon.New()
	if err != nil {
		t.Fatalf("dropmon.New: %v", err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Start(ctx, dropmon.SourceSoftware); err != nil {
		t.Errorf("the kernel is still monitoring: START: %v", err)
		return
	}
	if err := c.Stop(ctx, dropmon.SourceSoftware); err != nil {
		t.Errorf("STOP: %v", err)
	}
}

type process struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
}

func start(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...)}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	return p
}

// stop sends sig and returns the exit status.
func (p *process) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	return p.wait(t)
}

func (p *process) wait(t *testing.T) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not exit; stderr %q", p.cmd.Path, p.stderr.String())
	}
	return -1
}

// capture is a pcap file read back.
type capture struct {
	snaplen uint32
	records []nlpcap.Record
}

// readCapture reads what there is of a capture, which may not exist yet
// or be still being written.
func readCapture(t testing.TB, path string) capture {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return capture{}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := nlpcap.NewReader(f)
	if err != nil {
		return capture{}
	}
	c := capture{snaplen: r.SnapLen()}
	for {
		rec, err := r.Next()
		if err != nil {
			// io.EOF, or a record still being written.
			return c
		}
		c.records = append(c.records, rec)
	}
}

// udpDrops counts the packet alerts for UDP datagrams to 127.0.0.1 (seen
// in the Ethernet and IPv4 headers), and checks their payload lengths
// against trunc.
func (c capture) udpDrops(t *testing.T, trunc int) int {
	n := 0
	for _, rec := range c.records[min(1, len(c.records)):] {
		for b := rec.Datagram; len(b) >= 16; {
			l := int(binary.NativeEndian.Uint32(b))
			if l < 16 || l > len(b) {
				break
			}
			ev, ok := dropmon.DecodeEvent(b[:l])
			b = b[(l+3)&^3:]
			if !ok || ev.Packet == nil || len(ev.Packet.Payload) < 14+20 {
				continue
			}
			p := ev.Packet.Payload
			if p[14+9] != 17 || !bytes.Equal(p[14+16:14+20], []byte{127, 0, 0, 1}) {
				continue
			}
			n++
			if len(p) > trunc {
				t.Errorf("payload of %d bytes, above the truncation length %d", len(p), trunc)
			}
			if ev.Packet.OrigLen != 74 {
				t.Errorf("original length %d, want 74", ev.Packet.OrigLen)
			}
		}
	}
	return n
}

// waitFor polls cond for up to 30 s (the VM emulates its CPU).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func netDMID(t *testing.T) uint16 {
	t.Helper()
	b, err := nlpcap.FetchFamily(context.Background(), "NET_DM")
	if err != nil {
		t.Fatal(err)
	}
	f, err := nlpcap.ParseFamilyMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	return f.ID
}

// familyMapped reports whether a datagram holds a CTRL_CMD_NEWFAMILY for
// NET_DM with id, as Wireshark needs it.
func familyMapped(d []byte, id uint16) bool {
	for len(d) >= 20 {
		l := int(binary.NativeEndian.Uint32(d))
		if l < 20 || l > len(d) {
			return false
		}
		if f, err := nlpcap.ParseFamilyMessage(d[:l]); err == nil && f.Name == "NET_DM" && f.ID == id {
			return true
		}
		d = d[(l+3)&^3:]
	}
	return false
}

func saveOut(t *testing.T, path, name string) {
	dir := os.Getenv("DROPWATCH_VM_OUT_DIR")
	if dir == "" {
		return
	}
	b, err := os.ReadFile(path)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	if err != nil {
		t.Logf("saving %s: %v", name, err)
	}
}

// The kernel selftest's sw_drops check (drop_monitor_tests.sh), for both
// binaries: capture while drops happen, stop with SIGTERM, and find the
// drops in a complete pcap whose first record maps NET_DM's ID; then
// nothing is left monitoring.
func TestVMCapture(t *testing.T) {
	for _, tool := range []struct{ name, env string }{{"go", "DWDUMP_BIN"}, {"c", "C_DWDUMP_BIN"}} {
		t.Run(tool.name, func(t *testing.T) {
			bin := vmBinary(t, tool.env)
			restoreKernel(t)
			id := netDMID(t)
			for _, tc := range []struct {
				name  string
				args  []string
				trunc int
			}{
				{"sw", []string{"-o", "sw"}, 0xffff},
				// 40 bytes keep the IPv4 header of the 74-byte frame.
				{"trunc", []string{"-o", "sw", "-t", "40", "-l", "10000"}, 40},
			} {
				t.Run(tc.name, func(t *testing.T) {
					path := filepath.Join(t.TempDir(), "packets.pcap")
					p := start(t, bin, append(tc.args, "-w", path)...)
					// The family record follows START.
					waitFor(t, "the family record", func() bool { return len(readCapture(t, path).records) >= 1 })
					const n = 50
					if made, err := dropgen.Make(n); err != nil || made != n {
						t.Fatalf("dropgen.Make(%d) = %d, %v", n, made, err)
					}
					waitFor(t, "the alerts", func() bool { return readCapture(t, path).udpDrops(t, tc.trunc) >= n })
					if code := p.stop(t, syscall.SIGTERM); code != 0 {
						t.Errorf("exit status %d after SIGTERM, want 0; stderr %q", code, p.stderr.String())
					}
					saveOut(t, path, "dwdump-"+tool.name+"-"+tc.name+".pcap")
					c := readCapture(t, path)
					if len(c.records) == 0 {
						t.Fatal("no records")
					}
					if got, want := c.snaplen, uint32(tc.trunc+2048); got != want {
						t.Errorf("snapshot length %d, want %d", got, want)
					}
					mapped := familyMapped(c.records[0].Datagram, id)
					t.Logf("%d records; the first (%d bytes) maps NET_DM's ID %#x: %v", len(c.records), len(c.records[0].Datagram), id, mapped)
					if tool.name == "go" && !mapped {
						t.Errorf("the first record does not map NET_DM's ID %#x", id)
					}
					assertStopped(t)
				})
			}
		})
	}
}

// -q and -s print what the C tool prints.
func TestVMQueryStats(t *testing.T) {
	goBin, cBin := vmBinary(t, "DWDUMP_BIN"), vmBinary(t, "C_DWDUMP_BIN")
	restoreKernel(t)
	for _, args := range [][]string{{"-q"}, {"-s"}, {"-e"}, {"-e", "-o", "sw"}} {
		want := start(t, cBin, args...)
		wantCode := want.wait(t)
		got := start(t, goBin, args...)
		gotCode := got.wait(t)
		if gotCode != wantCode || got.stdout.String() != want.stdout.String() || got.stderr.String() != want.stderr.String() {
			t.Errorf("dwdump %q: Go: %d %q %q; C: %d %q %q", args,
				gotCode, got.stdout.String(), got.stderr.String(),
				wantCode, want.stdout.String(), want.stderr.String())
		}
	}
}

// While another dwdump monitors, ours says so and leaves it running; "dwdump
// -e" stops it.
func TestVMBusy(t *testing.T) {
	goBin, cBin := vmBinary(t, "DWDUMP_BIN"), vmBinary(t, "C_DWDUMP_BIN")
	restoreKernel(t)
	path := filepath.Join(t.TempDir(), "c.pcap")
	other := start(t, cBin, "-o", "sw", "-w", path)
	waitFor(t, "the C dwdump's family record", func() bool { return len(readCapture(t, path).records) >= 1 })

	p := start(t, goBin, "-o", "sw", "-w", filepath.Join(t.TempDir(), "go.pcap"))
	if code := p.wait(t); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	lines := strings.Split(p.stderr.String(), "\n")
	if lines[0] != "Failed to configure drop monitor kernel module" || !strings.Contains(p.stderr.String(), `"dwdump -e" stops it`) {
		t.Errorf("stderr %q", p.stderr.String())
	}

	if made, err := dropgen.Make(10); err != nil || made != 10 {
		t.Fatalf("dropgen.Make: %d, %v", made, err)
	}
	waitFor(t, "the C dwdump to go on capturing", func() bool { return readCapture(t, path).udpDrops(t, 0xffff) >= 10 })

	e := start(t, goBin, "-e")
	if code := e.wait(t); code != 0 {
		t.Errorf("dwdump -e: exit status %d, stderr %q", code, e.stderr.String())
	}
	assertStopped(t)
	other.stop(t, syscall.SIGTERM)
}

// "dwdump | head -c 100": when the reader goes away dwdump stops the
// monitor and exits 0.
func TestVMBrokenPipe(t *testing.T) {
	bin := vmBinary(t, "DWDUMP_BIN")
	restoreKernel(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: exec.Command(bin, "-o", "sw")}
	p.cmd.Stdout, p.cmd.Stderr = w, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	head := make([]byte, 24)
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatal(err)
	}
	r.Close()
	// Drops make dwdump write into the closed pipe.
	exited, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 100; i++ {
			select {
			case <-exited:
				return
			case <-time.After(100 * time.Millisecond):
				dropgen.Make(5)
			}
		}
	}()
	code := p.wait(t)
	close(exited)
	<-done
	if code != 0 || p.stderr.String() != "" {
		t.Errorf("exit status %d, stderr %q; want 0 and nothing", code, p.stderr.String())
	}
	if diff := cmp.Diff(nlpcap.FileHeader(0xffff+2048), head); diff != "" {
		t.Errorf("pcap header (-want +got):\n%s", diff)
	}
	assertStopped(t)
}
