package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
	"github.com/dropwatch-go/dropwatch/pkg/nlpcap"
)

// packetWith is packetAlert(1) with another reason, protocol and port.
func packetWith(reason string, proto uint16, ifindex uint32) received {
	r := packetAlert(1)
	p := *r.evs[0].Packet
	p.Reason, p.Proto, p.InPort = reason, proto, &dropmon.Port{Ifindex: ifindex, HasIfindex: true}
	r.evs[0].Packet = &p
	return r
}

// TestFilters: the filter flags leave alerts out of the text, the table,
// JSON and the pcap, and the loss line counts them.
func TestFilters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.pcap")
	kept := []byte("kept message")
	tests := []struct {
		name    string
		args    []string
		alerts  []received
		drain   time.Duration
		stdout  string // the alert text before the table
		total   string
		records int // pcap records after the family's, -1 without -w
	}{
		{
			name: "reason, proto and ifindex, with a pcap",
			args: []string{"--reason", "no_socket,OTHERHOST", "--proto", "ipv4", "--ifindex", "1", "-w", path},
			alerts: []received{
				withRaw(packetWith("NO_SOCKET", 0x800, 1), kept),
				withRaw(packetWith("NETFILTER_DROP", 0x800, 1), []byte("reason")),
				withRaw(packetWith("NO_SOCKET", 0x86dd, 1), []byte("proto")),
				withRaw(packetWith("OTHERHOST", 0x800, 2), []byte("port")),
			},
			drain: drops.DefaultTiming.PacketQuiet,
			stdout: "drop at: __udp4_lib_rcv+0x9a2/0xc30 (0xffffffff878bcae2)\n" +
				"origin: software\n" +
				"input port ifindex: 1\n" +
				"timestamp: Wed Nov 25 12:38:38 2026 000000001 nsec\n" +
				"protocol: 0x800\n" +
				"length: 74\n" +
				"original length: 74\n" +
				"drop reason: NO_SOCKET\n\n",
			total:   "total: 1 drop in 1 row",
			records: 1,
		},
		{
			name:    "symbol in summary mode",
			args:    []string{"-l", "kas", "--symbol", "^__udp"},
			alerts:  []received{summary(point(0xffffffff878bcae2, 3), point(0x1111, 2)), summary(point(0x2222, 1))},
			drain:   drops.DefaultTiming.Drain,
			stdout:  "3 drops at __udp4_lib_rcv+9a2 (0xffffffff878bcae2) [software]\n",
			total:   "total: 3 drops in 1 row",
			records: -1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness("")
			h.app.stdin = blockingReader{}
			h.start(append([]string{"--once", "1s"}, tt.args...)...)
			h.be.waitCall(t, "start -")
			for _, a := range tt.alerts {
				h.be.send(t, a)
			}
			h.fire(t, time.Second)
			h.fire(t, tt.drain)
			h.fire(t, drops.DefaultTiming.FlushQuiet)
			checkCode(t, h.wait(t), 0)
			out := h.stdout.String()
			if !strings.HasPrefix(out, tt.stdout) {
				t.Errorf("stdout does not start with the kept alerts:\n%s", out)
			}
			lines := tableLines(t, out[len(tt.stdout):])
			filtered := len(tt.alerts) - 1
			if tt.records < 0 {
				filtered = 2 // drop points
			}
			wantEnd := [][]string{strings.Fields(tt.total), strings.Fields(strings.Replace(zeroLosses, "filtered out 0", "filtered out "+strconv.Itoa(filtered), 1))}
			if diff := cmp.Diff(wantEnd, lines[len(lines)-2:]); diff != "" {
				t.Errorf("table end (-want +got):\n%s", diff)
			}
			if tt.records >= 0 {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				recs := readRecords(t, b)
				if diff := cmp.Diff([][]byte{nlpcap.NewFamilyMessage(nlpcap.NETDMFamily(testFamilyID, 0)), kept}, recs); diff != "" {
					t.Errorf("pcap records (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestFilterNeedsPackets: under --passive the mode is the kernel's; a
// packet filter with a kernel in summary mode is refused.
func TestFilterNeedsPackets(t *testing.T) {
	h := newHarness("")
	checkCode(t, h.run(t, "--once", "1s", "--passive", "--reason", "NO_SOCKET"), 2)
	checkCalls(t, h, "config-get")
	if want := "dropwatch: --reason needs packet alerts, and the kernel sends summary alerts: --passive cannot change its mode\n"; h.stderr.String() != "Initializing null lookup method\n"+want {
		t.Errorf("stderr = %q", h.stderr)
	}
}
