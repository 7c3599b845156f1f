package counters

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/netlink"
)

// splitMessages splits a capture of netlink messages, as the kernel sent
// them, at each nlmsghdr's length (NLMSG_ALIGN'd).
func splitMessages(t *testing.T, b []byte) []netlink.Message {
	t.Helper()
	var msgs []netlink.Message
	for len(b) > 0 {
		if len(b) < 16 {
			t.Fatalf("%d bytes left, no header", len(b))
		}
		n := int(binary.NativeEndian.Uint32(b[:4]))
		if n < 16 || n > len(b) {
			t.Fatalf("message length %d of %d bytes", n, len(b))
		}
		var m netlink.Message
		if err := m.UnmarshalBinary(b[:n]); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
		b = b[min((n+3)&^3, len(b)):]
	}
	return msgs
}

func readCapture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "6.18.44-fc-v1098", "netns-veth", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRtnlCaptures decodes the RTM_GETLINK and RTM_GETQDISC dumps
// captured in TestLiveVeth's namespace, on each kernel of the top-level
// testdata (this machine's 6.18, and Debian's 6.1 and 6.12 in the VM
// guests), and compares every counter with what ip -s -s -j link and tc
// -s -j qdisc printed right after, there. Every one of these kernels
// sends the 200-byte rtnl_link_stats64 of 5.19+ (rx_otherhost_dropped
// last).
func TestRtnlCaptures(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "testdata", "*", "netns-veth"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no captures in ../../testdata/*/netns-veth (err %v)", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(filepath.Dir(dir)), func(t *testing.T) {
			read := func(name string) []byte {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			var in interner
			s := &Snapshot{}
			names := map[uint32]string{}
			for _, m := range splitMessages(t, read("rtm_getlink.bin")) {
				l, err := decodeLink(m.Data, &in)
				if err != nil {
					t.Fatal(err)
				}
				if len(l.stats) != 200 {
					t.Errorf("%s: IFLA_STATS64 of %d bytes, want 200", l.name, len(l.stats))
				}
				names[l.index] = l.name
				s.Counters = linkCounters(l, s.Counters)
			}
			for _, m := range splitMessages(t, read("rtm_getqdisc.bin")) {
				q, err := decodeQdisc(m.Data, &in)
				if err != nil {
					t.Fatal(err)
				}
				s.Counters = qdiscCounters(q, qdiscObject(q, ifName(names, q.ifindex)), s.Counters)
			}
			// What TestLiveVeth made before the capture: 4 frames to a MAC
			// not vb's, 3 into a tbf with a 1-byte queue.
			if got := mustValue(t, s, Link, "vb", "rx_otherhost_dropped"); got != 4 {
				t.Errorf("vb rx_otherhost_dropped %d, want the 4 of the capture", got)
			}
			if got := mustValue(t, s, Qdisc, "tbf 1: dev va root", "drops"); got != 3 {
				t.Errorf("tbf drops %d, want the 3 of the capture", got)
			}
			compareWithTools(t, s, read("ip-s-s-j-link.json"), read("tc-s-j-qdisc.json"), nil)
		})
	}
}

func TestDecodeLinkBad(t *testing.T) {
	msgs := splitMessages(t, readCapture(t, "rtm_getlink.bin"))
	good := msgs[len(msgs)-1].Data
	ae := netlink.NewAttributeEncoder()
	ae.String(iflaIfname, "x")
	ae.Bytes(iflaStats64, make([]byte, 100))
	short, _ := ae.Encode()
	ae = netlink.NewAttributeEncoder()
	ae.Bytes(iflaStats64, make([]byte, 200))
	noName, _ := ae.Encode()
	ae = netlink.NewAttributeEncoder()
	ae.String(iflaIfname, "x")
	ae.Bytes(iflaStats64, make([]byte, 216)) // a kernel with two more fields
	longer, _ := ae.Encode()
	hdr := make([]byte, sizeofIfinfomsg)
	tests := []struct {
		name   string
		data   []byte
		bad    bool
		fields int
	}{
		{"shorter than ifinfomsg", good[:10], true, 0},
		{"attributes cut in the middle", good[:len(good)-3], true, 0},
		{"IFLA_STATS64 shorter than any kernel's", append(hdr, short...), true, 0},
		{"no name", append(hdr, noName...), true, 0},
		{"a longer struct from a newer kernel: the known fields", append(hdr, longer...), false, len(linkStatNames)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in interner
			l, err := decodeLink(tt.data, &in)
			if tt.bad {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("error %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := len(linkCounters(l, nil)); got != tt.fields {
				t.Errorf("%d counters, want %d", got, tt.fields)
			}
		})
	}
}

func TestDecodeQdisc(t *testing.T) {
	ne := binary.NativeEndian
	tcm := func(ifindex, handle, parent uint32) []byte {
		b := make([]byte, sizeofTcmsg)
		ne.PutUint32(b[4:], ifindex)
		ne.PutUint32(b[8:], handle)
		ne.PutUint32(b[12:], parent)
		return b
	}
	basic := make([]byte, 16)
	ne.PutUint64(basic, 1000)
	ne.PutUint32(basic[8:], 10)
	queue := make([]byte, 20)
	for i, v := range []uint32{1, 2, 3, 4, 5} { // qlen backlog drops requeues overlimits
		ne.PutUint32(queue[4*i:], v)
	}
	pkt64 := make([]byte, 8)
	ne.PutUint64(pkt64, 1<<33)
	enc := func(kind string, stats2 func(*netlink.AttributeEncoder), legacy []byte) []byte {
		ae := netlink.NewAttributeEncoder()
		ae.String(tcaKind, kind)
		if legacy != nil {
			ae.Bytes(tcaStats, legacy)
		}
		if stats2 != nil {
			ae.Nested(tcaStats2, func(nae *netlink.AttributeEncoder) error { stats2(nae); return nil })
		}
		b, err := ae.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	legacy := make([]byte, 36)
	ne.PutUint64(legacy, 77)
	ne.PutUint32(legacy[8:], 7)  // packets
	ne.PutUint32(legacy[12:], 6) // drops
	ne.PutUint32(legacy[16:], 5) // overlimits
	ne.PutUint32(legacy[28:], 2) // qlen
	ne.PutUint32(legacy[32:], 3) // backlog
	type vals struct {
		Object                                                     string
		Bytes, Packets, Drops, Overlimits, Requeues, Backlog, Qlen uint64
		PacketBits                                                 uint8
	}
	tests := []struct {
		name string
		data []byte
		want *vals
		bad  bool
	}{
		{"basic and queue", append(tcm(2, 0x80010000, tcHRoot), enc("fq_codel", func(a *netlink.AttributeEncoder) {
			a.Bytes(tcaStatsBasic, basic)
			a.Bytes(tcaStatsQueue, queue)
		}, legacy)...), &vals{"fq_codel 8001: dev eth0 root", 1000, 10, 3, 5, 4, 2, 1, 32}, false},
		{"PKT64 after BASIC", append(tcm(2, 0, 0x00000001), enc("pfifo_fast", func(a *netlink.AttributeEncoder) {
			a.Bytes(tcaStatsBasic, basic)
			a.Bytes(tcaStatsPkt64, pkt64)
			a.Bytes(tcaStatsQueue, queue)
		}, nil)...), &vals{"pfifo_fast 0: dev eth0 parent :1", 1000, 1 << 33, 3, 5, 4, 2, 1, 64}, false},
		{"PKT64 before BASIC", append(tcm(2, 0, 0x00010001), enc("pfifo", func(a *netlink.AttributeEncoder) {
			a.Bytes(tcaStatsPkt64, pkt64)
			a.Bytes(tcaStatsBasic, basic)
		}, nil)...), &vals{"pfifo 0: dev eth0 parent 1:1", 1000, 1 << 33, 0, 0, 0, 0, 0, 64}, false},
		{"only the old TCA_STATS", append(tcm(2, 0x10000, tcHRoot), enc("tbf", nil, legacy)...), &vals{"tbf 1: dev eth0 root", 77, 7, 6, 5, 0, 3, 2, 32}, false},
		{"no statistics at all", append(tcm(2, 0x10000, tcHRoot), enc("tbf", nil, nil)...), nil, false},
		{"short queue stats", append(tcm(2, 0, tcHRoot), enc("x", func(a *netlink.AttributeEncoder) { a.Bytes(tcaStatsQueue, queue[:8]) }, nil)...), nil, true},
		{"short basic stats", append(tcm(2, 0, tcHRoot), enc("x", func(a *netlink.AttributeEncoder) { a.Bytes(tcaStatsBasic, basic[:4]) }, nil)...), nil, true},
		{"bad PKT64", append(tcm(2, 0, tcHRoot), enc("x", func(a *netlink.AttributeEncoder) { a.Bytes(tcaStatsPkt64, pkt64[:4]) }, nil)...), nil, true},
		{"short TCA_STATS", append(tcm(2, 0, tcHRoot), enc("x", nil, legacy[:20])...), nil, true},
		{"shorter than tcmsg", make([]byte, 12), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in interner
			q, err := decodeQdisc(tt.data, &in)
			if tt.bad {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("error %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cs := qdiscCounters(q, qdiscObject(q, "eth0"), nil)
			if tt.want == nil {
				if len(cs) != 0 {
					t.Fatalf("counters %v, want none", cs)
				}
				return
			}
			got := vals{Object: cs[0].Object, PacketBits: cs[1].Bits}
			for _, c := range cs {
				p := map[string]*uint64{"bytes": &got.Bytes, "packets": &got.Packets, "drops": &got.Drops, "overlimits": &got.Overlimits,
					"requeues": &got.Requeues, "backlog": &got.Backlog, "qlen": &got.Qlen}[c.Name]
				*p = c.Value
			}
			if diff := cmp.Diff(*tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestTcHandle(t *testing.T) {
	for h, want := range map[uint32]string{0: "0:", 0x80010000: "8001:", 1: ":1", 0x10001: "1:1", 0xffff0000: "ffff:", 0xfffffff1: "ffff:fff1"} {
		if got := tcHandle(h); got != want {
			t.Errorf("tcHandle(%#x) = %q, want %q", h, got, want)
		}
	}
}

func FuzzDecodeLink(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "6.18.44-fc-v1098", "netns-veth", "rtm_getlink.bin"))
	if err != nil {
		f.Fatal(err)
	}
	for len(b) >= 16 {
		n := int(binary.NativeEndian.Uint32(b))
		if n < 16 || n > len(b) {
			break
		}
		f.Add(b[16:n])
		b = b[min((n+3)&^3, len(b)):]
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var in interner
		l, err := decodeLink(data, &in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not match ErrMalformed", err)
			}
			return
		}
		if n := len(linkCounters(l, nil)); n > len(linkStatNames) {
			t.Fatalf("%d counters", n)
		}
	})
}

func FuzzDecodeQdisc(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "6.18.44-fc-v1098", "netns-veth", "rtm_getqdisc.bin"))
	if err != nil {
		f.Fatal(err)
	}
	for len(b) >= 16 {
		n := int(binary.NativeEndian.Uint32(b))
		if n < 16 || n > len(b) {
			break
		}
		f.Add(b[16:n])
		b = b[min((n+3)&^3, len(b)):]
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var in interner
		q, err := decodeQdisc(data, &in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not match ErrMalformed", err)
			}
			return
		}
		_ = qdiscCounters(q, qdiscObject(q, "x"), nil)
	})
}
