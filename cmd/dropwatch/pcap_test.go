package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
	"github.com/dropwatch-go/dropwatch/pkg/nlpcap"
)

// withRaw gives each event of r the netlink message it came in.
func withRaw(r received, raw ...[]byte) received {
	for i := range r.evs {
		r.evs[i].Raw = raw[i]
	}
	return r
}

// readRecords reads back a pcap file's datagrams.
func readRecords(t *testing.T, b []byte) [][]byte {
	t.Helper()
	r, err := nlpcap.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != nlpcap.LinkTypeNetlink {
		t.Errorf("link type %d", r.LinkType())
	}
	var dgs [][]byte
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return dgs
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rec.Cooked, nlpcap.CookedHeader()) {
			t.Errorf("cooked header % x", rec.Cooked)
		}
		dgs = append(dgs, rec.Datagram)
	}
}

// TestPcap: -w writes the NET_DM family record, then every alert's raw
// netlink message, as dwdump does; the text alerts still go to stdout.
func TestPcap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drops.pcap")
	family := nlpcap.NewFamilyMessage(nlpcap.NETDMFamily(testFamilyID, 0))
	raw1, raw2 := []byte("first netlink message"), []byte("second netlink message")
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"file", []string{"--once", "1s", "-w", path}},
		{"stdout", []string{"--once", "1s", "-w", "-"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness("")
			h.app.stdin = blockingReader{}
			h.start(tt.args...)
			h.be.waitCall(t, "config mode=packet") // -w selects packet mode
			h.be.waitCall(t, "start -")
			h.be.send(t, withRaw(packetAlert(1), raw1))
			h.be.send(t, withRaw(packetAlert(2), raw2))
			h.fire(t, time.Second)
			h.fire(t, drops.DefaultTiming.PacketQuiet)
			h.fire(t, drops.DefaultTiming.FlushQuiet)
			checkCode(t, h.wait(t), 0)
			var file []byte
			if tt.name == "file" {
				var err error
				if file, err = os.ReadFile(path); err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(h.stdout.String(), "drop at: __udp4_lib_rcv+0x9a2/0xc30 (0xffffffff878bcae2)\n") {
					t.Errorf("stdout:\n%s", h.stdout)
				}
			} else {
				// The pcap owns stdout: no text there; the table on stderr.
				file = []byte(h.stdout.String())
				if !strings.Contains(h.stderr.String(), "total: 2 drops in 1 row\n") {
					t.Errorf("no table on stderr:\n%s", h.stderr)
				}
			}
			if diff := cmp.Diff([][]byte{family, raw1, raw2}, readRecords(t, file)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPcapNeedsNetDM: the tracepoint has no NET_DM messages to write.
func TestPcapNeedsNetDM(t *testing.T) {
	h := newHarness("")
	h.app.backends.NetDM = func() (drops.Kernel, error) { return nil, dropmon.ErrFamilyNotFound }
	h.app.backends.Tracepoint = func(bool) (drops.Kernel, error) { return h.be, nil }
	checkCode(t, h.run(t, "--once", "1s", "-w", filepath.Join(t.TempDir(), "x.pcap")), 2)
	checkOutput(t, h, "")
	if want := "dropwatch: -w writes NET_DM messages, and the skb:kfree_skb tracepoint backend, which runs here, has none\n"; !strings.HasSuffix(h.stderr.String(), want) {
		t.Errorf("stderr = %q, want it to end with %q", h.stderr, want)
	}
	checkCalls(t, h)
}
