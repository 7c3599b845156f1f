package exporter

import (
	"strings"
	"unicode/utf8"
)

// Label values of the drops counter that are not names from the kernel.
const (
	// FunctionUnknown is the function of a drop whose location could not be
	// resolved to a symbol (kernel.kptr_restrict, an address in no
	// symbol, a module unloaded since). Never the address itself: see the
	// package documentation.
	FunctionUnknown = "unknown"
	// FunctionOther is the function of the series into which sites beyond
	// the store's limit fold. Its other labels are empty.
	FunctionOther = "other"

	// OriginSoftware and OriginHardware are the values of the origin label:
	// drops in the kernel's stack (kfree_skb) and drops a device reported
	// through devlink traps (NET_DM_ORIGIN_HW, net/core/drop_monitor.c).
	OriginSoftware = "software"
	OriginHardware = "hardware"
)

// MaxLabelLen bounds each label value in bytes, so that memory stays bounded
// whatever a source passes. Kernel symbols are at most KSYM_NAME_LEN (512
// since Linux 6.1, include/linux/kallsyms.h) but in practice far shorter;
// devlink trap names are short fixed strings (include/net/devlink.h).
const MaxLabelLen = 128

// Site is where and why packets were dropped: the label values of one drops
// series. It holds strings only, never an address.
type Site struct {
	// Function is the kernel function that freed the packet, without
	// offset ("__udp4_lib_rcv"); FunctionUnknown if unresolved.
	Function string
	// Module is the module the function belongs to, "" for the kernel
	// image itself (kallsyms lists module symbols with "[module]").
	Module string
	// Reason is the drop reason's name as the kernel's tracepoint and
	// NET_DM packet alerts spell it ("NO_SOCKET", without the
	// SKB_DROP_REASON_ prefix), "" where the backend does not report it
	// (NET_DM summary mode, kernels before 5.17).
	Reason string
	// Origin is OriginSoftware or OriginHardware; "" means software.
	Origin string
	// Trap and TrapGroup are the devlink trap's name and group for
	// hardware drops (NET_DM_ATTR_HW_TRAP_NAME, _GROUP_NAME), else "".
	Trap      string
	TrapGroup string
}

// Normalize returns the site as the store keeps it: the function without an
// offset or module suffix in the kernel's %pS form ("sym+0x1a/0x40
// [mod]"), a reason without the SKB_DROP_REASON_ prefix, values at most
// MaxLabelLen bytes of valid UTF-8, an empty function or origin filled in,
// and any value that looks like a kernel address replaced by
// FunctionUnknown (function) or removed (other labels).
func (s Site) Normalize() Site {
	f := strings.TrimSpace(s.Function)
	if i := strings.Index(f, " ["); i >= 0 && strings.HasSuffix(f, "]") {
		if s.Module == "" {
			s.Module = f[i+2 : len(f)-1]
		}
		f = f[:i]
	}
	if i := strings.IndexByte(f, '+'); i > 0 {
		f = f[:i]
	}
	f = clean(f)
	if f == "" {
		f = FunctionUnknown
	}
	s.Function = f
	s.Module = clean(s.Module)
	s.Reason = clean(strings.TrimPrefix(strings.TrimSpace(s.Reason), "SKB_DROP_REASON_"))
	s.Origin = clean(strings.ToLower(s.Origin))
	if s.Origin == "" {
		s.Origin = OriginSoftware
	}
	s.Trap = clean(s.Trap)
	s.TrapGroup = clean(s.TrapGroup)
	return s
}

// clean trims, bounds and sanitises one label value; it returns "" for a
// value with a word that looks like an address ("location 0xffff…").
func clean(v string) string {
	v = strings.TrimSpace(v)
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "?")
	}
	if len(v) > MaxLabelLen {
		v = v[:MaxLabelLen]
		for !utf8.ValidString(v) {
			v = v[:len(v)-1]
		}
	}
	for rest := v; rest != ""; {
		w, tail, _ := strings.Cut(rest, " ")
		if looksLikeAddress(w) {
			return ""
		}
		rest = tail
	}
	return v
}

// looksLikeAddress reports whether v is a hexadecimal number with a 0x
// prefix, or one of 8 or more digits without: the forms in which kernel
// addresses are printed (%px, %p, "location 0x…"). Kernel symbol names are C
// identifiers, so they never match the first form; all-hex names of 8 or
// more letters a-f do not exist in practice.
func looksLikeAddress(v string) bool {
	h := v
	if len(h) > 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X') {
		h = h[2:]
	} else if len(h) < 8 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
