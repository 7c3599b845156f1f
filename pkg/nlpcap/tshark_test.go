package nlpcap_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/pkg/nlpcap"
	"github.com/dropwatch-go/dropwatch/pkg/nlpcap/nlpcaptest"
)

const netDMID = 0x1b // any dynamic generic netlink family ID

var (
	localhost = netip.MustParseAddr("127.0.0.1")

	// As on Debian's 6.1 kernel (c-dropwatch-transcripts.md): a UDP
	// datagram to a closed port on 127.0.0.1, 74 bytes from the MAC
	// header, dropped in __udp4_lib_rcv with reason NO_SOCKET.
	udpDrop = nlpcaptest.PacketAlert{
		FamilyID:  netDMID,
		PC:        0xffffffff878bcae2,
		Reason:    "NO_SOCKET",
		Symbol:    "__udp4_lib_rcv+0x9a2/0xc30",
		Ifindex:   1,
		Timestamp: time.Date(2026, 11, 25, 12, 38, 38, 730595860, time.UTC),
		Proto:     0x0800,
		Payload:   nlpcaptest.UDPFrame(localhost, localhost, 40000, 9, make([]byte, 32)),
	}
	// A pre-5.18 kernel's alert: no reason attribute.
	oldKernelDrop = nlpcaptest.PacketAlert{
		FamilyID:  netDMID,
		PC:        0xffffffffc0a01234,
		Symbol:    "nf_hook_slow+0x44/0xc0",
		Ifindex:   2,
		Timestamp: time.Date(2026, 11, 25, 12, 38, 39, 0, time.UTC),
		Proto:     0x0800,
		Payload:   nlpcaptest.UDPFrame(localhost, netip.MustParseAddr("192.0.2.10"), 12345, 54321, []byte("hello")),
	}
)

// writeCapture writes datagrams to a pcap file in a temporary directory.
func writeCapture(t *testing.T, o nlpcap.Options, datagrams ...[]byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "drops.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := nlpcap.NewWriter(f, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range datagrams {
		if err := w.WriteDatagram(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTSharkDecodesPacketAlerts(t *testing.T) {
	path := writeCapture(t, nlpcap.Options{},
		nlpcap.NewFamilyMessage(nlpcap.NETDMFamily(netDMID, 23)),
		udpDrop.Message(),
		oldKernelDrop.Message(),
	)
	got := nlpcaptest.TShark(t, path, "",
		"net_dm.symbol", "ip.dst", "net_dm.pc",
		"net_dm.port.netdev_index", "net_dm.orig_len", "udp.dstport")
	want := [][]string{
		{"", "", "", "", "", ""}, // the family record
		{"__udp4_lib_rcv+0x9a2/0xc30", "127.0.0.1", "0xffffffff878bcae2", "1", "74", "9"},
		{"nf_hook_slow+0x44/0xc0", "192.0.2.10", "0xffffffffc0a01234", "2", "47", "54321"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tshark fields (-want +got):\n%s", diff)
	}

	// The kernel selftest's check (drop_monitor_tests.sh) counts records
	// matching a display filter on the dropped packet.
	got = nlpcaptest.TShark(t, path, "ip.dst == 192.0.2.10", "frame.number", "net_dm.symbol")
	if diff := cmp.Diff([][]string{{"3", "nf_hook_slow+0x44/0xc0"}}, got); diff != "" {
		t.Errorf("tshark -Y 'ip.dst == 192.0.2.10' (-want +got):\n%s", diff)
	}
}

// Without the family record first, Wireshark cannot tell that the alerts'
// netlink type is NET_DM and leaves them undecoded: the record is needed.
func TestTSharkNeedsFamilyRecord(t *testing.T) {
	path := writeCapture(t, nlpcap.Options{}, udpDrop.Message())
	got := nlpcaptest.TShark(t, path, "", "net_dm.symbol", "ip.dst")
	if diff := cmp.Diff([][]string{{"", ""}}, got); diff != "" {
		t.Errorf("tshark fields without the family record (-want +got):\n%s", diff)
	}
}

// A record cut to the snapshot length still decodes up to the cut, and the
// frame's original length is the whole datagram's.
func TestTSharkTruncatedRecord(t *testing.T) {
	alert := udpDrop.Message()
	snaplen := uint32(nlpcap.CookedHeaderLen + len(alert) - 10)
	path := writeCapture(t, nlpcap.Options{SnapLen: snaplen},
		nlpcap.NewFamilyMessage(nlpcap.NETDMFamily(netDMID, 23)), alert)
	got := nlpcaptest.TShark(t, path, "", "net_dm.symbol", "frame.len", "frame.cap_len")
	want := [][]string{
		{"", "108", "108"},
		{"__udp4_lib_rcv+0x9a2/0xc30", strconv.Itoa(16 + len(alert)), strconv.Itoa(int(snaplen))},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tshark fields (-want +got):\n%s", diff)
	}
}
