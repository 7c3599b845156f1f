package report

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/pcapfilter"
)

// Filter selects drops in user space: NET_DM has no filters in the kernel,
// which sends every alert to every listener.
//
// Each kind of filter that is set must match; within a kind, any of its
// values may. A nil or zero Filter selects everything.
type Filter struct {
	// Reasons are drop reason names such as "NO_SOCKET", compared without
	// regard to case and to an "SKB_DROP_REASON_" prefix (the kernel's
	// enum skb_drop_reason names). Only Linux 5.18+ sends reasons: on older
	// kernels no packet matches.
	Reasons []string
	// Symbol is matched against the location's symbol name without its
	// offset ("__udp4_lib_rcv", so that "^__udp4_lib_rcv$" works) and
	// against its full text as the table shows it ("__udp4_lib_rcv+0x9a2",
	// "nft_do_chain+0x3c1 [nf_tables]", "0xffffffff81abcdef" when
	// unresolved, "ingress_vlan_filter [hardware]", "device rx_dropped").
	Symbol *regexp.Regexp
	// Protos are EtherTypes (see ParseProto).
	Protos []uint16
	// Ifindexes are input interface indexes.
	Ifindexes []uint32
	// Expr is a pcap-filter expression run over the packet's payload
	// (--filter, --host, --port); a packet without payload never matches.
	Expr *pcapfilter.Filter
	// Links says where payloads start for Expr; nil guesses from the bytes.
	Links *LinkTypes
}

// Empty reports whether f selects everything.
func (f *Filter) Empty() bool {
	return f == nil || (len(f.Reasons) == 0 && f.Symbol == nil && len(f.Protos) == 0 && len(f.Ifindexes) == 0 && f.Expr == nil)
}

// NeedsPacketMode reports whether the filter uses fields only packet alerts
// carry: the reason, the protocol, the input interface and the payload.
// Summary alerts carry only locations and counts.
func (f *Filter) NeedsPacketMode() bool {
	return f != nil && (len(f.Reasons) > 0 || len(f.Protos) > 0 || len(f.Ifindexes) > 0 || f.Expr != nil)
}

// MatchPacket reports whether f selects the packet alert p, dropped at loc
// (p's location as resolved by the caller).
func (f *Filter) MatchPacket(p *dropmon.PacketAlert, loc Location) bool {
	if f.Empty() {
		return true
	}
	if len(f.Reasons) > 0 && !slices.ContainsFunc(f.Reasons, func(r string) bool { return sameReason(r, p.Reason) }) {
		return false
	}
	if len(f.Protos) > 0 && !(p.HasProto && slices.Contains(f.Protos, p.Proto)) {
		return false
	}
	if len(f.Ifindexes) > 0 && !(p.InPort != nil && p.InPort.HasIfindex && slices.Contains(f.Ifindexes, p.InPort.Ifindex)) {
		return false
	}
	if f.Expr != nil && !(p.HasPayload && f.Expr.Match(f.Links.Of(p), p.Proto, p.Payload, p.OrigLen)) {
		return false
	}
	return f.matchSymbol(loc)
}

// MatchLocation reports whether f selects the summary entry at loc. Only
// the symbol filter applies: summary entries carry no reason, protocol or
// interface, so those filters are ignored here (see NeedsPacketMode).
func (f *Filter) MatchLocation(loc Location) bool {
	return f.Empty() || f.matchSymbol(loc)
}

func (f *Filter) matchSymbol(loc Location) bool {
	if f.Symbol == nil {
		return true
	}
	if name := loc.Name(); name != "" && f.Symbol.MatchString(name) {
		return true
	}
	if loc.Symbol != "" && loc.Module == "" && !loc.Hardware {
		return f.Symbol.MatchString(loc.Symbol) // the full text, without building it
	}
	return f.Symbol.MatchString(loc.String())
}

// reasonPrefix starts the kernel's enum skb_drop_reason names; NET_DM
// sends the names without it.
const reasonPrefix = "SKB_DROP_REASON_"

// NormalizeReason returns a drop reason name as NET_DM sends it: upper
// case, without an "SKB_DROP_REASON_" prefix. "skb_drop_reason_no_socket"
// becomes "NO_SOCKET".
func NormalizeReason(s string) string {
	return strings.ToUpper(trimReasonPrefix(s))
}

func trimReasonPrefix(s string) string {
	if len(s) >= len(reasonPrefix) && strings.EqualFold(s[:len(reasonPrefix)], reasonPrefix) {
		return s[len(reasonPrefix):]
	}
	return s
}

// sameReason compares two reason names as NormalizeReason would, without
// allocating.
func sameReason(a, b string) bool {
	return strings.EqualFold(trimReasonPrefix(a), trimReasonPrefix(b))
}

// protoNames are the protocol names ParseProto knows, with their
// EtherTypes (IEEE registry; include/uapi/linux/if_ether.h). "ip" and "ip6"
// are tcpdump's names.
var protoNames = []struct {
	name  string
	proto uint16
}{
	{"ipv4", 0x0800},
	{"ip", 0x0800},
	{"ipv6", 0x86dd},
	{"ip6", 0x86dd},
	{"arp", 0x0806},
	{"vlan", 0x8100}, // IEEE 802.1Q
	{"qinq", 0x88a8}, // IEEE 802.1ad
	{"mpls", 0x8847}, // unicast
	{"lldp", 0x88cc},
}

// ParseProto parses an EtherType: hex with "0x" ("0x0800", "0x86DD"),
// decimal ("2048"), or one of the names, in any case: "ipv4" or "ip"
// (0x0800), "ipv6" or "ip6" (0x86dd), "arp" (0x0806), "vlan" (0x8100,
// 802.1Q), "qinq" (0x88a8, 802.1ad), "mpls" (0x8847), "lldp" (0x88cc).
// A decimal number with a leading zero ("0800") is refused: it is usually
// hex written without its "0x".
func ParseProto(s string) (uint16, error) {
	if s == "" {
		return 0, errors.New("empty protocol: want a name such as ipv4, or an EtherType such as 0x0800")
	}
	for _, n := range protoNames {
		if strings.EqualFold(s, n.name) {
			return n.proto, nil
		}
	}
	digits, base := s, 10
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		digits, base = s[2:], 16
	} else if len(s) > 1 && s[0] == '0' && strings.Trim(s, "0123456789") == "" {
		dec := strings.TrimLeft(s, "0")
		if dec == "" {
			dec = "0"
		}
		return 0, fmt.Errorf("protocol %q is ambiguous: write 0x%s for hex or %s for decimal", s, s, dec)
	}
	v, err := strconv.ParseUint(digits, base, 16)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("protocol %q is out of range: EtherTypes are 16 bits, at most 0xffff", s)
	case err != nil:
		return 0, fmt.Errorf("unknown protocol %q: want %s, or an EtherType such as 0x0800 or 2048", s, protoNameList())
	}
	return uint16(v), nil
}

// protoNameList returns "ipv4, ip, ..., or lldp".
func protoNameList() string {
	var b strings.Builder
	for i, n := range protoNames {
		switch {
		case i == len(protoNames)-1:
			b.WriteString(" or ")
		case i > 0:
			b.WriteString(", ")
		}
		b.WriteString(n.name)
	}
	return b.String()
}
