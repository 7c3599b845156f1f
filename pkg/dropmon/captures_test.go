package dropmon

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCaptures decodes messages captured from Debian's 6.1 and 6.12 kernels
// by integration_vm_test.go (see testdata/README.md). The expectations come
// from the workload the capture ran: dropgen's 74-byte UDP frames to a
// closed port on loopback, dropped by __udp4_lib_rcv with NO_SOCKET.
func TestCaptures(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("testdata", "captures", "*"))
	if len(dirs) < 2 {
		t.Fatalf("found captures of %d kernels in testdata/captures, want 6.1 and 6.12", len(dirs))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			read := func(name string) []byte {
				t.Helper()
				b, err := os.ReadFile(filepath.Join(dir, name+".bin"))
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			body := func(b []byte) []byte { return b[nlmsgHeaderLen+genlHeaderLen:] }

			ev, ok := DecodeEvent(read("summary"))
			if !ok || ev.Err != nil || ev.Alert == nil || len(ev.Alert.Points) == 0 {
				t.Fatalf("summary capture: ok %v, event %+v", ok, ev)
			}
			for _, p := range ev.Alert.Points {
				// Kernel text addresses on x86-64 are in the top 2 GiB.
				if p.PC < 0xffffffff80000000 || p.Count == 0 {
					t.Errorf("summary point %+v: want a kernel text address and a count", p)
				}
			}

			for name, wantLen := range map[string]int{"packet_untruncated": 74, "packet_truncated": 40} {
				ev, ok := DecodeEvent(read(name))
				if !ok || ev.Err != nil || ev.Packet == nil {
					t.Fatalf("%s capture: ok %v, event %+v", name, ok, ev)
				}
				p := ev.Packet
				if !strings.HasPrefix(p.Symbol, "__udp4_lib_rcv+0x") || p.PC < 0xffffffff80000000 {
					t.Errorf("%s: symbol %q pc %#x, want __udp4_lib_rcv+0x… at a kernel address", name, p.Symbol, p.PC)
				}
				type fields struct {
					Origin                Origin
					Ifindex               uint32
					Proto                 uint16
					PayloadLen            int
					OrigLen               uint32
					Reason                string
					HasTimestamp, EtherOK bool
				}
				want := fields{OriginSoftware, 1, 0x0800, wantLen, 74, "NO_SOCKET", true, true}
				got := fields{p.Origin, p.InPort.Ifindex, p.Proto, len(p.Payload), p.OrigLen, p.Reason, p.HasTimestamp,
					// Loopback frames carry an all-zero Ethernet header with
					// EtherType 0x0800 at bytes 12-13.
					len(p.Payload) >= 14 && p.Payload[12] == 0x08 && p.Payload[13] == 0x00}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
				}
			}

			// Captured after SetConfig(packet, 100, 500) then SetConfig(summary).
			cfg, err := DecodeConfig(body(read("config_new")))
			if err != nil {
				t.Fatalf("config_new: %v", err)
			}
			if diff := cmp.Diff(&Config{Mode: ModeSummary, TruncLen: 100, QueueLen: 500}, cfg); diff != "" {
				t.Errorf("config_new mismatch (-want +got):\n%s", diff)
			}

			// Nothing had been tail-dropped; the counter is attribute type 0
			// inside each nest.
			st, err := DecodeStats(body(read("stats_new")))
			if err != nil {
				t.Fatalf("stats_new: %v", err)
			}
			if diff := cmp.Diff(&Stats{Software: &OriginStats{}, Hardware: &OriginStats{}}, st); diff != "" {
				t.Errorf("stats_new mismatch (-want +got):\n%s", diff)
			}

			// struct nlmsgerr: the negative errno, then the request's header;
			// the extended ack follows as NLMSGERR_ATTR_MSG.
			msg, typ, _, err := splitMessage(read("error_ebusy"))
			if err != nil || typ != nlmsgError || len(msg) < nlmsgHeaderLen+4 {
				t.Fatalf("error_ebusy: type %d, %d bytes, %v", typ, len(msg), err)
			}
			if errno := -int32(ne.Uint32(msg[nlmsgHeaderLen:])); syscall.Errno(errno) != syscall.EBUSY {
				t.Errorf("error_ebusy errno %d, want EBUSY", errno)
			}
			if !strings.Contains(string(msg), "Cannot configure drop monitor during monitoring") {
				t.Errorf("error_ebusy lacks the kernel's extended ack text")
			}
		})
	}
}
