package counters

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/netlink"
)

// stdReply builds an ETHTOOL_MSG_STATS_GET_REPLY the way net/ethtool
// lays it out: the header nest, then per group a nest of GRP_ID, GRP_SS_ID
// and one GRP_STAT nest per filled statistic holding a u64 attribute whose
// type is the statistic's index (stat_put).
func stdReply(t testing.TB, ifindex uint32, groups map[uint32]map[uint16]uint64) []byte {
	t.Helper()
	ae := netlink.NewAttributeEncoder()
	ae.Nested(ethtoolAStatsHeader, func(h *netlink.AttributeEncoder) error {
		h.Uint32(1, ifindex)
		h.String(2, "eth9")
		return nil
	})
	for _, g := range []uint32{0, 1, 2, 3} {
		stats, ok := groups[g]
		if !ok {
			continue
		}
		ae.Nested(ethtoolAStatsGrp, func(ga *netlink.AttributeEncoder) error {
			ga.Uint32(ethtoolAGrpID, g)
			ga.Uint32(ethtoolAGrpSSID, 17+g)
			for _, idx := range []uint16{0, 1, 2, 3, 4, 5, 6} {
				if v, ok := stats[idx]; ok {
					ga.Nested(ethtoolAGrpStat, func(sa *netlink.AttributeEncoder) error {
						sa.Uint64(idx, v)
						return nil
					})
				}
			}
			return nil
		})
	}
	b, err := ae.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeStdStats(t *testing.T) {
	data := stdReply(t, 7, map[uint32]map[uint16]uint64{
		0: {0: 5},       // eth-phy SymbolErrorDuringCarrier
		1: {4: 9, 6: 1}, // eth-mac FrameCheckSequenceErrors, ...
		3: {},           // rmon, nothing filled
	})
	ifindex, got, err := decodeStdStats(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ifindex != 7 {
		t.Errorf("ifindex %d, want 7", ifindex)
	}
	want := []stdStat{{0, 17, 0, 5}, {1, 18, 4, 9}, {1, 18, 6, 1}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(stdStat{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	sets := map[uint32][]string{
		ethSSStatsStd: {"eth-phy", "eth-mac", "eth-ctrl", "rmon"},
		17:            {"SymbolErrorDuringCarrier"},
		18:            {"FramesTransmittedOK", "SingleCollisionFrames", "MultipleCollisionFrames", "FramesReceivedOK", "FrameCheckSequenceErrors"},
	}
	var names []string
	for _, s := range got {
		names = append(names, stdStatName(sets, s))
	}
	// Index 6 of eth-mac is past the names known: left unnamed.
	if diff := cmp.Diff([]string{"eth-phy-SymbolErrorDuringCarrier", "eth-mac-FrameCheckSequenceErrors", ""}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}

	bad := map[string][]byte{
		"no device": stdReply(t, 0, nil),
		"cut":       data[:len(data)-5],
		"stat not a u64": func() []byte {
			ae := netlink.NewAttributeEncoder()
			ae.Nested(ethtoolAStatsHeader, func(h *netlink.AttributeEncoder) error { h.Uint32(1, 2); return nil })
			ae.Nested(ethtoolAStatsGrp, func(ga *netlink.AttributeEncoder) error {
				ga.Nested(ethtoolAGrpStat, func(sa *netlink.AttributeEncoder) error { sa.Uint32(0, 1); return nil })
				return nil
			})
			b, _ := ae.Encode()
			return b
		}(),
	}
	for name, b := range bad {
		if _, _, err := decodeStdStats(b, nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: error %v, want ErrMalformed", name, err)
		}
	}
}

func TestDecodeStringSets(t *testing.T) {
	ae := netlink.NewAttributeEncoder()
	ae.Nested(1, func(*netlink.AttributeEncoder) error { return nil }) // header
	ae.Nested(2, func(ss *netlink.AttributeEncoder) error {
		ss.Nested(1, func(set *netlink.AttributeEncoder) error {
			set.Uint32(1, ethSSStatsStd)
			set.Uint32(2, 2)
			set.Nested(3, func(strs *netlink.AttributeEncoder) error {
				for i, n := range []string{"eth-phy", "eth-mac"} {
					strs.Nested(1, func(s *netlink.AttributeEncoder) error {
						s.Uint32(1, uint32(i))
						s.String(2, n)
						return nil
					})
				}
				return nil
			})
			return nil
		})
		return nil
	})
	b, err := ae.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var in interner
	sets := map[uint32][]string{}
	if err := decodeStringSets(b, &in, sets); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[uint32][]string{ethSSStatsStd: {"eth-phy", "eth-mac"}}, sets); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := decodeStringSets(b[:len(b)-6], &in, map[uint32][]string{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("cut reply: error %v, want ErrMalformed", err)
	}
}

func FuzzDecodeStdStats(f *testing.F) {
	f.Add(stdReply(f, 3, map[uint32]map[uint16]uint64{1: {0: 1, 5: 2}, 3: {2: 7}}))
	f.Add([]byte{8, 0, 4, 0, 12, 0, 4, 0})
	for _, name := range []string{"ethtool-stats-get.bin", "ethtool-strset-get.bin"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "6.18.44-fc-v1098", "ethtool-netlink", name))
		if err != nil {
			f.Fatal(err)
		}
		for len(b) >= 4 {
			n := int(binary.NativeEndian.Uint32(b))
			if n > len(b)-4 {
				break
			}
			f.Add(b[4 : 4+n])
			b = b[4+n:]
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, st, err := decodeStdStats(b, nil)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v does not match ErrMalformed", err)
		}
		for _, s := range st {
			_ = stdStatName(map[uint32][]string{}, s)
		}
		var in interner
		if err := decodeStringSets(b, &in, map[uint32][]string{}); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v does not match ErrMalformed", err)
		}
	})
}

// splitGenl splits a capture written by genlData.
func splitGenl(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			t.Fatalf("%d bytes left", len(b))
		}
		n := int(binary.NativeEndian.Uint32(b))
		if n > len(b)-4 {
			t.Fatalf("message of %d bytes, %d left", n, len(b)-4)
		}
		out = append(out, b[4:4+n])
		b = b[4+n:]
	}
	return out
}

// TestEthtoolNetlinkCaptures decodes each kernel's replies to our
// ETHTOOL_MSG_STRSET_GET and ETHTOOL_MSG_STATS_GET requests (captured by
// TestLiveEthtoolStdGroups on this machine, by TestVMVethDropAndEthtool
// in the 6.1 and 6.12 guests; see testdata/README.md): the group names
// are the ones ethtool --json --all-groups printed on the same kernel
// (6.1 and 6.12 have four, 6.18 adds phydev), and the statistic names
// those of net/ethtool/common.c (stats_eth_phy_names,
// stats_eth_mac_names, stats_eth_ctrl_names, stats_rmon_names, copied
// here from the kernel source, the same in all three); every device's
// reply decodes, with no statistic filled (the drivers there, virtio_net,
// ifb, veth and lo, fill none, and ethtool printed empty groups).
func TestEthtoolNetlinkCaptures(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "testdata", "*", "ethtool-netlink"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no captures in ../../testdata/*/ethtool-netlink (err %v)", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(filepath.Dir(dir)), func(t *testing.T) { testEthtoolNetlinkCapture(t, dir) })
	}
}

func testEthtoolNetlinkCapture(t *testing.T, dir string) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tool, err := filepath.Glob(filepath.Join(dir, "ethtool-json-S-*all-groups.txt"))
	if err != nil || len(tool) != 1 {
		t.Fatalf("want one ethtool --json -S DEV --all-groups output, have %v (%v)", tool, err)
	}
	var in interner
	sets := map[uint32][]string{}
	for _, m := range splitGenl(t, read("ethtool-strset-get.bin")) {
		if err := decodeStringSets(m, &in, sets); err != nil {
			t.Fatal(err)
		}
	}
	want := map[uint32][]string{
		ethSSStatsStd: ethtoolGroupKeys(string(read(filepath.Base(tool[0])))),
		17:            {"SymbolErrorDuringCarrier"},
		18: {"FramesTransmittedOK", "SingleCollisionFrames", "MultipleCollisionFrames", "FramesReceivedOK",
			"FrameCheckSequenceErrors", "AlignmentErrors", "OctetsTransmittedOK", "FramesWithDeferredXmissions",
			"LateCollisions", "FramesAbortedDueToXSColls", "FramesLostDueToIntMACXmitError", "CarrierSenseErrors",
			"OctetsReceivedOK", "FramesLostDueToIntMACRcvError", "MulticastFramesXmittedOK", "BroadcastFramesXmittedOK",
			"FramesWithExcessiveDeferral", "MulticastFramesReceivedOK", "BroadcastFramesReceivedOK",
			"InRangeLengthErrors", "OutOfRangeLengthField", "FrameTooLongErrors"},
		19: {"MACControlFramesTransmitted", "MACControlFramesReceived", "UnsupportedOpcodesReceived"},
		20: {"etherStatsUndersizePkts", "etherStatsOversizePkts", "etherStatsFragments", "etherStatsJabbers"},
	}
	for id, names := range want {
		if diff := cmp.Diff(names, sets[id]); diff != "" {
			t.Errorf("string set %d (-want +got):\n%s", id, diff)
		}
	}
	if g := want[ethSSStatsStd]; len(g) < 4 || !slices.Equal(g[:4], []string{"eth-phy", "eth-mac", "eth-ctrl", "rmon"}) {
		t.Errorf("ethtool printed groups %v, want eth-phy, eth-mac, eth-ctrl, rmon first", g)
	}
	replies := splitGenl(t, read("ethtool-stats-get.bin"))
	if len(replies) == 0 {
		t.Fatal("no STATS_GET reply")
	}
	for _, m := range replies {
		ifindex, st, err := decodeStdStats(m, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ifindex == 0 || len(st) != 0 {
			t.Errorf("reply for ifindex %d with %d statistics; want a device and none", ifindex, len(st))
		}
	}
	t.Logf("groups %v, %d device replies", want[ethSSStatsStd], len(replies))
}

// TestStdStatsRequest: the STATS_GET dump request carries an (empty)
// request header, which Debian's 6.1 requires of dumps too (without it:
// EINVAL), and a NOMASK bitset of every group.
func TestStdStatsRequest(t *testing.T) {
	b, err := stdStatsRequest(5)
	if err != nil {
		t.Fatal(err)
	}
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		t.Fatal(err)
	}
	var types []uint16
	var size uint32
	var value []byte
	nomask := false
	for ad.Next() {
		types = append(types, ad.Type())
		if ad.Type() == ethtoolAStatsGroups {
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					switch nad.Type() {
					case ethtoolABitsetNomask:
						nomask = true
					case ethtoolABitsetSize:
						size = nad.Uint32()
					case ethtoolABitsetValue:
						value = nad.Bytes()
					}
				}
				return nil
			})
		}
	}
	if err := ad.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint16{ethtoolAStatsHeader, ethtoolAStatsGroups}, types); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}
	if !nomask || size != 5 || len(value) != 4 || binary.NativeEndian.Uint32(value) != 0x1f {
		t.Errorf("groups bitset: nomask %v, size %d, value %x; want NOMASK, 5 bits all set", nomask, size, value)
	}
}
