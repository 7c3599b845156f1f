//go:build vmtest

// These tests need a kernel with drop_monitor and run as root inside the
// VMs that test/vm/run.sh boots (Debian's 6.1 and 6.12 kernels). They make
// real drops with dropgen: UDP datagrams to a closed port on 127.0.0.1,
// each freed by __udp4_lib_rcv with reason NO_SOCKET.
package dropmon_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/kallsyms"
	"github.com/dropwatch-go/dropwatch/test/vm/dropgen"
)

func newClient(t *testing.T) *dropmon.Client {
	t.Helper()
	c, err := dropmon.New()
	if err != nil {
		t.Fatalf("dropmon.New: %v", err)
	}
	t.Cleanup(func() {
		// Leave the kernel as every test expects to find it.
		ctx := context.Background()
		_ = c.Stop(ctx, 0)
		mode, trunc, queue := dropmon.ModeSummary, uint32(0), uint32(1000)
		if err := c.SetConfig(ctx, dropmon.ConfigUpdate{Mode: &mode, TruncLen: &trunc, QueueLen: &queue}); err != nil {
			t.Errorf("restoring the default configuration: %v", err)
		}
		c.Close()
	})
	return c
}

func listen(t *testing.T, c *dropmon.Client) *dropmon.Monitor {
	t.Helper()
	m, err := c.Listen(dropmon.MonitorConfig{KeepRaw: true})
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func setMode(t *testing.T, c *dropmon.Client, mode dropmon.AlertMode, trunc uint32) {
	t.Helper()
	if err := c.SetConfig(context.Background(), dropmon.ConfigUpdate{Mode: &mode, TruncLen: &trunc}); err != nil {
		t.Fatalf("SetConfig(%v, trunc %d): %v", mode, trunc, err)
	}
}

func makeDrops(t *testing.T, n int) {
	t.Helper()
	if made, err := dropgen.Make(n); err != nil || made != n {
		t.Fatalf("dropgen.Make(%d) = %d, %v", n, made, err)
	}
}

// capture saves a real kernel message for the unit tests' fixtures when
// the harness collects files (DROPWATCH_VM_OUT_DIR); see
// testdata/README.md.
func capture(t *testing.T, name string, b []byte) {
	dir := os.Getenv("DROPWATCH_VM_OUT_DIR")
	if dir == "" || len(b) == 0 {
		return
	}
	dir = filepath.Join(dir, "captures", kernelRelease())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("capture: %v", err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".bin"), b, 0o644); err != nil {
		t.Logf("capture: %v", err)
	}
}

func kernelRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

func loadKallsyms(t *testing.T) *kallsyms.Table {
	t.Helper()
	tab, err := kallsyms.Load()
	if err != nil {
		t.Fatalf("kallsyms.Load: %v", err)
	}
	return tab
}

func TestVMFamily(t *testing.T) {
	c := newClient(t)
	if c.FamilyID() == 0 || c.GroupID() != 1 {
		t.Errorf("family %#x group %d; want a family id and the fixed group 1", c.FamilyID(), c.GroupID())
	}
}

func TestVMConfigRoundTrip(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	mode, trunc, queue := dropmon.ModePacket, uint32(100), uint32(500)
	if err := c.SetConfig(ctx, dropmon.ConfigUpdate{Mode: &mode, TruncLen: &trunc, QueueLen: &queue}); err != nil {
		t.Fatalf("SetConfig: %v", err)
	}
	got, err := c.Config(ctx)
	if err != nil {
		t.Fatalf("Config: %v", err)
	}
	if diff := cmp.Diff(&dropmon.Config{Mode: dropmon.ModePacket, TruncLen: 100, QueueLen: 500}, got); diff != "" {
		t.Errorf("Config mismatch (-want +got):\n%s", diff)
	}
	// A partial update leaves the other settings alone.
	summary := dropmon.ModeSummary
	if err := c.SetConfig(ctx, dropmon.ConfigUpdate{Mode: &summary}); err != nil {
		t.Fatalf("SetConfig(mode): %v", err)
	}
	got, err = c.Config(ctx)
	if err != nil {
		t.Fatalf("Config: %v", err)
	}
	if diff := cmp.Diff(&dropmon.Config{Mode: dropmon.ModeSummary, TruncLen: 100, QueueLen: 500}, got); diff != "" {
		t.Errorf("Config after partial update mismatch (-want +got):\n%s", diff)
	}
	captureReply(t, "config_new", 6)
}

func TestVMStats(t *testing.T) {
	c := newClient(t)
	st, err := c.Stats(context.Background())
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	// Both kernels report both nests (net_dm_stats_fill, net_dm_hw_stats_fill).
	if st.Software == nil || st.Hardware == nil {
		t.Errorf("Stats = %+v, want software and hardware statistics", st)
	}
	captureReply(t, "stats_new", 8)
}

// captureReply records the kernel's raw reply to a GET command.
func captureReply(t *testing.T, name string, cmd uint8) {
	if os.Getenv("DROPWATCH_VM_OUT_DIR") == "" {
		return
	}
	conn, err := genetlink.Dial(nil)
	if err != nil {
		t.Logf("capture: %v", err)
		return
	}
	defer conn.Close()
	f, err := conn.GetFamily("NET_DM")
	if err != nil {
		t.Logf("capture: %v", err)
		return
	}
	msgs, err := conn.Execute(genetlink.Message{Header: genetlink.Header{Command: cmd, Version: f.Version}}, f.ID, netlink.Request)
	if err != nil || len(msgs) == 0 {
		t.Logf("capture: %v", err)
		return
	}
	body, _ := msgs[0].MarshalBinary()
	raw, err := netlink.Message{
		Header: netlink.Header{Length: uint32(16 + len(body)), Type: netlink.HeaderType(f.ID)},
		Data:   body,
	}.MarshalBinary()
	if err == nil {
		capture(t, name, raw)
	}
}

func TestVMStartStopErrors(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	if err := c.Start(ctx, 0); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := c.Start(ctx, 0); !errors.Is(err, dropmon.ErrAlreadyMonitoring) {
		t.Errorf("second Start error = %v, want ErrAlreadyMonitoring", err)
	}
	mode := dropmon.ModePacket
	err := c.SetConfig(ctx, dropmon.ConfigUpdate{Mode: &mode})
	if !errors.Is(err, dropmon.ErrBusy) {
		t.Errorf("SetConfig while monitoring error = %v, want ErrBusy", err)
	}
	var e *dropmon.Error
	if errors.As(err, &e) && e.Message == "" {
		t.Errorf("SetConfig while monitoring: no extended ack message in %v", err)
	}
	if err := c.Stop(ctx, 0); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	// Stopping a stopped monitor succeeds (5.4+).
	if err := c.Stop(ctx, 0); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	// And monitoring can start again: nothing is left on.
	if err := c.Start(ctx, 0); err != nil {
		t.Errorf("Start after Stop: %v", err)
	}
}

// receiveUntil reads events until done says so or the deadline passes.
func receiveUntil(t *testing.T, m *dropmon.Monitor, timeout time.Duration, done func(dropmon.Event) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		evs, err := m.Receive(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			t.Fatalf("Receive: %v", err)
		}
		for _, ev := range evs {
			if ev.Err != nil {
				t.Errorf("malformed event: %v", ev.Err)
				continue
			}
			if done(ev) {
				return
			}
		}
	}
}

func TestVMSummary(t *testing.T) {
	c := newClient(t)
	tab := loadKallsyms(t)
	setMode(t, c, dropmon.ModeSummary, 0)
	m := listen(t, c)
	if err := c.Start(context.Background(), 0); err != nil {
		t.Fatalf("Start: %v", err)
	}
	const n = 300
	makeDrops(t, n)
	// The kernel sends each CPU's counts one second after its first drop
	// (dm_delay in drop_monitor.c); a few seconds cover both CPUs.
	sum, other := 0, 0
	captured := false
	receiveUntil(t, m, 5*time.Second, func(ev dropmon.Event) bool {
		if ev.Alert == nil {
			return false
		}
		if !captured {
			capture(t, "summary", ev.Raw)
			captured = true
		}
		for _, p := range ev.Alert.Points {
			sym, ok := tab.Lookup(p.PC)
			if ok && sym.Name == "__udp4_lib_rcv" {
				sum += int(p.Count)
			} else {
				other += int(p.Count)
			}
		}
		return sum >= n
	})
	if sum != n {
		t.Errorf("drops at __udp4_lib_rcv = %d, want %d (%d elsewhere)", sum, n, other)
	}
}

func TestVMPacket(t *testing.T) {
	for _, tt := range []struct {
		name  string
		trunc uint32
		// The generator's datagrams are 74-byte frames on loopback.
		wantLen int
	}{
		{name: "untruncated", trunc: 0, wantLen: 74},
		{name: "truncated", trunc: 40, wantLen: 40},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t)
			setMode(t, c, dropmon.ModePacket, tt.trunc)
			m := listen(t, c)
			if err := c.Start(context.Background(), 0); err != nil {
				t.Fatalf("Start: %v", err)
			}
			const n = 20
			makeDrops(t, n)
			var got []*dropmon.PacketAlert
			receiveUntil(t, m, 5*time.Second, func(ev dropmon.Event) bool {
				if ev.Packet == nil || !strings.HasPrefix(ev.Packet.Symbol, "__udp4_lib_rcv+") {
					return false
				}
				if len(got) == 0 {
					capture(t, "packet_"+tt.name, ev.Raw)
				}
				got = append(got, ev.Packet)
				return len(got) == n
			})
			if len(got) != n {
				t.Fatalf("received %d packet alerts at __udp4_lib_rcv, want %d", len(got), n)
			}
			for i, p := range got {
				type summary struct {
					HasPC, HasTimestamp bool
					Origin              dropmon.Origin
					Ifindex             uint32
					Proto               uint16
					PayloadLen          int
					OrigLen             uint32
					Reason              string
				}
				want := summary{true, true, dropmon.OriginSoftware, 1, 0x0800, tt.wantLen, 74, "NO_SOCKET"}
				var ifindex uint32
				if p.InPort != nil {
					ifindex = p.InPort.Ifindex
				}
				gotS := summary{p.HasPC && p.PC != 0, p.HasTimestamp, p.Origin, ifindex, p.Proto, len(p.Payload), p.OrigLen, p.Reason}
				if diff := cmp.Diff(want, gotS); diff != "" {
					t.Errorf("alert %d mismatch (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

func TestVMErrorAckCapture(t *testing.T) {
	if os.Getenv("DROPWATCH_VM_OUT_DIR") == "" {
		t.Skip("no capture directory: only the harness collects captures")
	}
	c := newClient(t)
	if err := c.Start(context.Background(), 0); err != nil {
		t.Fatalf("Start: %v", err)
	}
	// CONFIG while monitoring: the kernel answers EBUSY with an extended ack.
	conn, err := netlink.Dial(unix.NETLINK_GENERIC, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	_ = conn.SetOption(netlink.ExtendedAcknowledge, true)
	ae := netlink.NewAttributeEncoder()
	ae.Uint8(1, 1)
	attrs, _ := ae.Encode()
	req := netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(c.FamilyID()), Flags: netlink.Request | netlink.Acknowledge},
		Data:   append([]byte{2, 2, 0, 0}, attrs...),
	}
	if _, err := conn.Send(req); err != nil {
		t.Fatalf("send: %v", err)
	}
	// Read the raw reply: mdlayher/netlink turns error messages into Go
	// errors, so take the bytes from the socket directly.
	rc, err := conn.SyscallConn()
	if err != nil {
		t.Fatalf("SyscallConn: %v", err)
	}
	buf := make([]byte, 8192)
	var n int
	_ = rc.Read(func(fd uintptr) bool {
		n, _, _ = unix.Recvfrom(int(fd), buf, 0)
		return n > 0
	})
	capture(t, "error_ebusy", buf[:n])
}
