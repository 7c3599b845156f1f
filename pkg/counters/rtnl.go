package counters

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/mdlayher/netlink"
)

// The decoders of the two rtnetlink dumps we read. They are written on
// mdlayher/netlink's attribute decoder rather than taken from a library:
// jsimonetti/rtnetlink decodes IFLA_STATS64 only when it is 184, 192 or 200
// bytes long (failing the whole dump otherwise, so a kernel that grows
// struct rtnl_link_stats64 again would break it) and cannot tell a field
// the kernel did not send from a zero, and it has no qdisc support; go-tc
// v0.4.8 decodes TCA_STATS2 as a flat struct, which gives wrong values.

// Attribute and structure facts, from the uapi headers.
const (
	// include/uapi/linux/if_link.h: enum IFLA_*.
	iflaIfname  = 3
	iflaStats64 = 23
	// include/uapi/linux/rtnetlink.h: struct ifinfomsg is 16 bytes,
	// ifi_index at offset 4; struct tcmsg is 20 bytes, tcm_ifindex at 4,
	// tcm_handle at 8, tcm_parent at 12; enum TCA_*.
	sizeofIfinfomsg = 16
	sizeofTcmsg     = 20
	tcaKind         = 1
	tcaStats        = 3
	tcaStats2       = 7
	// include/uapi/linux/gen_stats.h: enum TCA_STATS_* nested in
	// TCA_STATS2.
	tcaStatsBasic = 1 // struct gnet_stats_basic {u64 bytes; u32 packets}
	tcaStatsQueue = 3 // struct gnet_stats_queue {u32 qlen, backlog, drops, requeues, overlimits}
	tcaStatsPkt64 = 8 // u64 packets, sent only when they exceed 32 bits (net/core/gen_stats.c)
	// include/uapi/linux/pkt_sched.h.
	tcHRoot = 0xFFFFFFFF
)

// linkStatNames are the fields of struct rtnl_link_stats64
// (include/uapi/linux/if_link.h), all __u64, in order. The struct grew at
// its end: rx_nohandler came with Linux 4.6 and rx_otherhost_dropped with
// 5.19, so a kernel sends as many fields as it has, and we report only
// those.
var linkStatNames = [...]string{
	"rx_packets", "tx_packets", "rx_bytes", "tx_bytes",
	"rx_errors", "tx_errors", "rx_dropped", "tx_dropped",
	"multicast", "collisions",
	"rx_length_errors", "rx_over_errors", "rx_crc_errors", "rx_frame_errors",
	"rx_fifo_errors", "rx_missed_errors",
	"tx_aborted_errors", "tx_carrier_errors", "tx_fifo_errors",
	"tx_heartbeat_errors", "tx_window_errors",
	"rx_compressed", "tx_compressed",
	"rx_nohandler", "rx_otherhost_dropped",
}

// minLinkStats is the length of struct rtnl_link_stats64 up to
// tx_compressed, as every kernel with IFLA_STATS64 (2.6.35+) sends it.
const minLinkStats = 23 * 8

// link is one interface of an RTM_GETLINK dump.
type link struct {
	index uint32
	name  string
	stats []byte // IFLA_STATS64's payload, nil if absent
}

// decodeLink decodes one RTM_NEWLINK message of a dump. The name is
// interned.
func decodeLink(data []byte, in *interner) (link, error) {
	var l link
	if len(data) < sizeofIfinfomsg {
		return l, malformed("RTM_NEWLINK of %d bytes, shorter than struct ifinfomsg", len(data))
	}
	l.index = binary.NativeEndian.Uint32(data[4:8])
	ad, err := netlink.NewAttributeDecoder(data[sizeofIfinfomsg:])
	if err != nil {
		return l, malformed("interface %d: %v", l.index, err)
	}
	for ad.Next() {
		switch ad.Type() {
		case iflaIfname:
			b := ad.Bytes()
			if n := len(b); n > 0 && b[n-1] == 0 {
				b = b[:n-1]
			}
			l.name = in.get(b)
		case iflaStats64:
			l.stats = ad.Bytes()
		}
	}
	if err := ad.Err(); err != nil {
		return l, malformed("interface %d: %v", l.index, err)
	}
	if l.name == "" {
		return l, malformed("interface %d has no IFLA_IFNAME", l.index)
	}
	if l.stats != nil && len(l.stats) < minLinkStats {
		return l, malformed("%s: IFLA_STATS64 of %d bytes, shorter than the %d of every kernel", l.name, len(l.stats), minLinkStats)
	}
	return l, nil
}

// linkCounters appends the counters of l's IFLA_STATS64: every whole
// field the kernel sent that we know the name of.
func linkCounters(l link, dst []Counter) []Counter {
	for i, name := range linkStatNames {
		off := i * 8
		if off+8 > len(l.stats) {
			break
		}
		dst = append(dst, Counter{
			Source: Link, Object: l.name, Name: name, Bits: 64, Gen: l.index,
			Value: binary.NativeEndian.Uint64(l.stats[off : off+8]),
		})
	}
	return dst
}

// qdisc is one qdisc of an RTM_GETQDISC dump.
type qdisc struct {
	ifindex, handle, parent uint32
	kind                    string
	bytes, packets          uint64
	packets64               bool
	qlen, backlog           uint32
	drops, requeues         uint32
	overlimits              uint32
	hasStats                bool
}

// decodeQdisc decodes one RTM_NEWQDISC message of a dump. It reads the
// statistics from TCA_STATS2, or from the older flat TCA_STATS (struct
// tc_stats, include/uapi/linux/pkt_sched.h) when TCA_STATS2 is missing.
func decodeQdisc(data []byte, in *interner) (qdisc, error) {
	var q qdisc
	if len(data) < sizeofTcmsg {
		return q, malformed("RTM_NEWQDISC of %d bytes, shorter than struct tcmsg", len(data))
	}
	q.ifindex = binary.NativeEndian.Uint32(data[4:8])
	q.handle = binary.NativeEndian.Uint32(data[8:12])
	q.parent = binary.NativeEndian.Uint32(data[12:16])
	ad, err := netlink.NewAttributeDecoder(data[sizeofTcmsg:])
	if err != nil {
		return q, malformed("qdisc on interface %d: %v", q.ifindex, err)
	}
	var legacy []byte
	for ad.Next() {
		switch ad.Type() {
		case tcaKind:
			b := ad.Bytes()
			if n := len(b); n > 0 && b[n-1] == 0 {
				b = b[:n-1]
			}
			q.kind = in.get(b)
		case tcaStats:
			legacy = ad.Bytes()
		case tcaStats2:
			ad.Nested(q.decodeStats2)
		}
	}
	if err := ad.Err(); err != nil {
		return q, malformed("qdisc on interface %d: %v", q.ifindex, err)
	}
	if !q.hasStats && legacy != nil {
		// struct tc_stats {u64 bytes; u32 packets, drops, overlimits,
		// bps, pps, qlen, backlog}.
		if len(legacy) < 36 {
			return q, malformed("qdisc on interface %d: TCA_STATS of %d bytes, want 36", q.ifindex, len(legacy))
		}
		ne := binary.NativeEndian
		q.bytes = ne.Uint64(legacy[0:8])
		q.packets = uint64(ne.Uint32(legacy[8:12]))
		q.drops = ne.Uint32(legacy[12:16])
		q.overlimits = ne.Uint32(legacy[16:20])
		q.qlen = ne.Uint32(legacy[28:32])
		q.backlog = ne.Uint32(legacy[32:36])
		q.hasStats = true
	}
	return q, nil
}

func (q *qdisc) decodeStats2(ad *netlink.AttributeDecoder) error {
	ne := binary.NativeEndian
	var pkt64 []byte
	for ad.Next() {
		b := ad.Bytes()
		switch ad.Type() {
		case tcaStatsBasic:
			if len(b) < 12 {
				return malformed("TCA_STATS_BASIC of %d bytes, want 12", len(b))
			}
			q.bytes = ne.Uint64(b[0:8])
			if !q.packets64 {
				q.packets = uint64(ne.Uint32(b[8:12]))
			}
			q.hasStats = true
		case tcaStatsQueue:
			if len(b) < 20 {
				return malformed("TCA_STATS_QUEUE of %d bytes, want 20", len(b))
			}
			q.qlen = ne.Uint32(b[0:4])
			q.backlog = ne.Uint32(b[4:8])
			q.drops = ne.Uint32(b[8:12])
			q.requeues = ne.Uint32(b[12:16])
			q.overlimits = ne.Uint32(b[16:20])
			q.hasStats = true
		case tcaStatsPkt64:
			pkt64 = b
		}
	}
	if pkt64 != nil {
		if len(pkt64) != 8 {
			return malformed("TCA_STATS_PKT64 of %d bytes, want 8", len(pkt64))
		}
		q.packets = ne.Uint64(pkt64)
		q.packets64 = true
	}
	return nil
}

// tcHandle formats a handle as tc does: "8001:" for a qdisc handle, ":1"
// for a class of major 0, "0:" for none.
func tcHandle(h uint32) string {
	if h == 0 {
		return "0:"
	}
	s := ""
	if maj := h >> 16; maj != 0 {
		s = strconv.FormatUint(uint64(maj), 16)
	}
	s += ":"
	if minor := h & 0xffff; minor != 0 {
		s += strconv.FormatUint(uint64(minor), 16)
	}
	return s
}

// qdiscObject names a qdisc as the start of tc's line does:
// "pfifo_fast 0: dev eth0 root", "netem 8001: dev veth0 parent 1:1".
func qdiscObject(q qdisc, dev string) string {
	return string(appendQdiscObject(nil, q, dev))
}

func appendQdiscObject(b []byte, q qdisc, dev string) []byte {
	b = append(b, q.kind...)
	b = append(b, ' ')
	b = append(b, tcHandle(q.handle)...)
	b = append(b, " dev "...)
	b = append(b, dev...)
	if q.parent == tcHRoot {
		return append(b, " root"...)
	}
	b = append(b, " parent "...)
	return append(b, tcHandle(q.parent)...)
}

// qdiscCounters appends q's counters: packets is 64 bits wide only when
// the kernel sent TCA_STATS_PKT64; drops, overlimits and requeues are
// __u32 in struct gnet_stats_queue, and qlen and backlog are gauges.
func qdiscCounters(q qdisc, obj string, dst []Counter) []Counter {
	if !q.hasStats {
		return dst
	}
	pbits := uint8(32)
	if q.packets64 {
		pbits = 64
	}
	c := Counter{Source: Qdisc, Object: obj, Gen: q.ifindex}
	add := func(name string, v uint64, bits uint8, gauge bool) {
		c.Name, c.Value, c.Bits, c.Gauge = name, v, bits, gauge
		dst = append(dst, c)
	}
	add("bytes", q.bytes, 64, false)
	add("packets", q.packets, pbits, false)
	add("drops", uint64(q.drops), 32, false)
	add("overlimits", uint64(q.overlimits), 32, false)
	add("requeues", uint64(q.requeues), 32, false)
	add("backlog", uint64(q.backlog), 32, true)
	add("qlen", uint64(q.qlen), 32, true)
	return dst
}

func ifName(names map[uint32]string, index uint32) string {
	if n, ok := names[index]; ok {
		return n
	}
	return fmt.Sprintf("if%d", index)
}
