package counters

import (
	"errors"
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
