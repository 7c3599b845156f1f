package report

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/flow"
	"github.com/dropwatch-go/dropwatch/pkg/pcapfilter"
)

// fakeSysfs makes a /sys/class/net with these devices' ARPHRD types.
func fakeSysfs(t *testing.T, types map[string]string) string {
	dir := t.TempDir()
	for name, typ := range types {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "type"), []byte(typ+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLinkTypes(t *testing.T) {
	l := &LinkTypes{Dir: fakeSysfs(t, map[string]string{"eth0": "1", "lo": "772", "tun0": "65534", "gre0": "778"})}
	for name, want := range map[string]flow.Link{
		"eth0": flow.LinkEthernet, "lo": flow.LinkEthernet, "tun0": flow.LinkRaw,
		"gre0": flow.LinkAuto, "missing": flow.LinkAuto, "..": flow.LinkAuto, "": flow.LinkAuto,
	} {
		if got := l.Of(&dropmon.PacketAlert{InPort: &dropmon.Port{Name: name}}); got != want {
			t.Errorf("%q: %v, want %v", name, got, want)
		}
	}
	if got := l.Of(&dropmon.PacketAlert{}); got != flow.LinkAuto {
		t.Errorf("no input port: %v, want auto", got)
	}
}

// TestFilterExprLink: a raw IPv4 packet on a tun device whose first byte
// is not 0x45 (it has IP options) and whose source address starts 8.0
// (bytes 12-13 are 0x0800, Ethernet's IPv4 type there) is guessed an
// Ethernet frame: it is read right only when the device's type says where
// it starts.
func TestFilterExprLink(t *testing.T) {
	// IPv4 8.0.2.1 > 192.0.2.2 with 4 bytes of options (IHL 6), UDP 1000 > 53.
	pkt := []byte{0x46, 0, 0, 40, 0, 0, 0, 0, 64, 17, 0, 0, 8, 0, 2, 1, 192, 0, 2, 2, 1, 1, 0, 0,
		0x03, 0xe8, 0, 53, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	expr, err := pcapfilter.Compile("udp dst port 53")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropmon.PacketAlert{InPort: &dropmon.Port{Name: "tun0"}, HasProto: true, Proto: 0x800, HasPayload: true, Payload: pkt}
	tun := Filter{Expr: expr, Links: &LinkTypes{Dir: fakeSysfs(t, map[string]string{"tun0": "65534"})}}
	if !tun.MatchPacket(p, Location{}) {
		t.Error("tun0 (ARPHRD_NONE): no match")
	}
	if !tun.NeedsPacketMode() || tun.Empty() {
		t.Error("an expression needs packet mode")
	}
	noPayload := *p
	noPayload.HasPayload, noPayload.Payload = false, nil
	if tun.MatchPacket(&noPayload, Location{}) {
		t.Error("a packet without payload matched")
	}
	guess := Filter{Expr: expr}
	if guess.MatchPacket(p, Location{}) {
		t.Error("without the device's type, the payload was not guessed as Ethernet")
	}
}
