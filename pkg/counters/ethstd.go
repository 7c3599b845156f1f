package counters

import (
	"encoding/binary"

	"github.com/mdlayher/netlink"
)

// The standard ethtool statistics groups (eth-phy, eth-mac, eth-ctrl,
// rmon, phydev: IEEE 802.3 and RMON counters that drivers fill in a
// common layout) come only over the ethtool generic-netlink family, as
// ETHTOOL_MSG_STATS_GET (net/ethtool/stats.c, Linux 5.13+); `ethtool -S
// DEV --all-groups` prints them as "<group>-<name>: value", and so we name
// them. Facts from include/uapi/linux/ethtool_netlink.h (the generated
// ethtool_netlink_generated.h since 6.15) and ethtool.h, which x/sys/unix
// does not all carry:
const (
	ethtoolAStatsHeader = 2  // ETHTOOL_A_STATS_HEADER, nest of ETHTOOL_A_HEADER_*
	ethtoolAStatsGroups = 3  // ETHTOOL_A_STATS_GROUPS, bitset
	ethtoolAStatsGrp    = 4  // ETHTOOL_A_STATS_GRP, nest
	ethtoolAGrpID       = 2  // ETHTOOL_A_STATS_GRP_ID, u32: bit of ETH_SS_STATS_STD
	ethtoolAGrpSSID     = 3  // ETHTOOL_A_STATS_GRP_SS_ID, u32: the string set naming its stats
	ethtoolAGrpStat     = 4  // ETHTOOL_A_STATS_GRP_STAT, nest of one u64 whose type is the stat's index
	ethSSStatsStd       = 16 // ETH_SS_STATS_STD: the names of the groups
)

// stdStat is one standard statistic of one device.
type stdStat struct {
	group, ss, index uint32
	value            uint64
}

// decodeStdStats decodes one ETHTOOL_MSG_STATS_GET_REPLY's attributes:
// the device (ETHTOOL_A_HEADER_DEV_INDEX) and every statistic of every
// group. stats_put_stats and stat_put put each statistic in a nest of
// its own, as a u64 attribute whose type is the statistic's index in the
// group's string set (an index from 0, hence the nest: type 0 would be
// "unspec" elsewhere), and leave out those the driver did not fill.
// Histograms (rmon's HIST_RX/HIST_TX) are skipped.
func decodeStdStats(data []byte, dst []stdStat) (ifindex uint32, _ []stdStat, err error) {
	ad, err := netlink.NewAttributeDecoder(data)
	if err != nil {
		return 0, dst, malformed("STATS_GET reply: %v", err)
	}
	for ad.Next() {
		switch ad.Type() {
		case ethtoolAStatsHeader:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					if nad.Type() == 1 { // ETHTOOL_A_HEADER_DEV_INDEX
						ifindex = nad.Uint32()
					}
				}
				return nil
			})
		case ethtoolAStatsGrp:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				var g stdStat
				var stats [][]byte
				for nad.Next() {
					switch nad.Type() {
					case ethtoolAGrpID:
						g.group = nad.Uint32()
					case ethtoolAGrpSSID:
						g.ss = nad.Uint32()
					case ethtoolAGrpStat:
						stats = append(stats, nad.Bytes())
					}
				}
				if err := nad.Err(); err != nil {
					return err
				}
				for _, b := range stats {
					s, err := decodeStdStat(b)
					if err != nil {
						return err
					}
					s.group, s.ss = g.group, g.ss
					dst = append(dst, s)
				}
				return nil
			})
		}
	}
	if err := ad.Err(); err != nil {
		return 0, dst, malformed("STATS_GET reply: %v", err)
	}
	if ifindex == 0 {
		return 0, dst, malformed("STATS_GET reply without a device index")
	}
	return ifindex, dst, nil
}

func decodeStdStat(b []byte) (stdStat, error) {
	// One attribute: a 4-byte header and a u64.
	if len(b) < 4+8 {
		return stdStat{}, malformed("ETHTOOL_A_STATS_GRP_STAT of %d bytes", len(b))
	}
	l := binary.NativeEndian.Uint16(b[0:2])
	typ := binary.NativeEndian.Uint16(b[2:4]) &^ (netlink.Nested | netlink.NetByteOrder)
	if l != 4+8 {
		return stdStat{}, malformed("statistic %d: attribute of %d bytes, want a u64", typ, l)
	}
	return stdStat{index: uint32(typ), value: binary.NativeEndian.Uint64(b[4:12])}, nil
}

// decodeStringSets decodes an ETHTOOL_MSG_STRSET_GET_REPLY's attributes
// into the string sets it holds, by id: ETHTOOL_A_STRSET_STRINGSETS nests
// ETHTOOL_A_STRINGSETS_STRINGSET, each with ETHTOOL_A_STRINGSET_ID and
// ETHTOOL_A_STRINGSET_STRINGS, a nest of ETHTOOL_A_STRINGS_STRING nests of
// ETHTOOL_A_STRING_INDEX and ETHTOOL_A_STRING_VALUE.
func decodeStringSets(data []byte, in *interner, sets map[uint32][]string) error {
	ad, err := netlink.NewAttributeDecoder(data)
	if err != nil {
		return malformed("STRSET_GET reply: %v", err)
	}
	for ad.Next() {
		if ad.Type() != 2 { // ETHTOOL_A_STRSET_STRINGSETS
			continue
		}
		ad.Nested(func(sad *netlink.AttributeDecoder) error {
			for sad.Next() {
				if sad.Type() != 1 { // ETHTOOL_A_STRINGSETS_STRINGSET
					continue
				}
				sad.Nested(func(ssd *netlink.AttributeDecoder) error {
					var id uint32
					var names []string
					for ssd.Next() {
						switch ssd.Type() {
						case 1: // ETHTOOL_A_STRINGSET_ID
							id = ssd.Uint32()
						case 3: // ETHTOOL_A_STRINGSET_STRINGS
							ssd.Nested(func(std *netlink.AttributeDecoder) error {
								for std.Next() {
									if std.Type() != 1 { // ETHTOOL_A_STRINGS_STRING
										continue
									}
									std.Nested(func(s *netlink.AttributeDecoder) error {
										idx, name := -1, ""
										for s.Next() {
											switch s.Type() {
											case 1: // ETHTOOL_A_STRING_INDEX
												idx = int(s.Uint32())
											case 2: // ETHTOOL_A_STRING_VALUE
												b := s.Bytes()
												if n := len(b); n > 0 && b[n-1] == 0 {
													b = b[:n-1]
												}
												name = in.get(b)
											}
										}
										if idx < 0 || idx >= 1<<16 {
											return malformed("string without a valid index")
										}
										for len(names) <= idx {
											names = append(names, "")
										}
										names[idx] = name
										return nil
									})
								}
								return nil
							})
						}
					}
					sets[id] = names
					return nil
				})
			}
			return nil
		})
	}
	if err := ad.Err(); err != nil {
		return malformed("STRSET_GET reply: %v", err)
	}
	return nil
}

// stdStatName names a standard statistic as `ethtool -S --all-groups`
// does ("eth-mac-FrameCheckSequenceErrors"), or "" if a string set has no
// name for it.
func stdStatName(sets map[uint32][]string, s stdStat) string {
	groups, names := sets[ethSSStatsStd], sets[s.ss]
	if int(s.group) >= len(groups) || int(s.index) >= len(names) || groups[s.group] == "" || names[s.index] == "" {
		return ""
	}
	return groups[s.group] + "-" + names[s.index]
}

// stdStatsRequest encodes the attributes of an ETHTOOL_MSG_STATS_GET dump
// request for all nbits groups: a NOMASK bitset with every bit set, and
// an empty request header. The header names no device, but it must be
// there: Debian's 6.1 answers a dump request without one with EINVAL
// (seemingly its header parser's "request header missing", which later
// kernels no longer say of dumps), and with the empty header dumps every
// device; 6.12 and 6.18 take both (the test/vm guests showed it).
func stdStatsRequest(nbits int) ([]byte, error) {
	bits := make([]byte, (nbits+31)/32*4)
	for i := 0; i < nbits; i++ {
		w := binary.NativeEndian.Uint32(bits[i/32*4:])
		binary.NativeEndian.PutUint32(bits[i/32*4:], w|1<<(i%32))
	}
	ae := netlink.NewAttributeEncoder()
	ae.Nested(ethtoolAStatsHeader, func(*netlink.AttributeEncoder) error { return nil })
	ae.Nested(ethtoolAStatsGroups, func(nae *netlink.AttributeEncoder) error {
		nae.Flag(ethtoolABitsetNomask, true)
		nae.Uint32(ethtoolABitsetSize, uint32(nbits))
		nae.Bytes(ethtoolABitsetValue, bits)
		return nil
	})
	return ae.Encode()
}

// ETHTOOL_A_BITSET_* (include/uapi/linux/ethtool_netlink.h).
const (
	ethtoolABitsetNomask = 1 // flag: the value is the whole bitmap, no mask
	ethtoolABitsetSize   = 2 // u32: number of significant bits
	ethtoolABitsetValue  = 4 // binary: the bitmap, u32 words
)
