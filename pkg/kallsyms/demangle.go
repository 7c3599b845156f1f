package kallsyms

import (
	"strings"

	"github.com/ianlancetaylor/demangle"
)

// maxDemangledLog2 caps demangled names at 4 KiB. v0 back-references can
// make the output exponentially longer than the 512-byte KSYM_NAME_LEN
// input.
const maxDemangledLog2 = 12

// DisplayName returns the Rust-demangled name for Rust symbols and Name for
// everything else, including Rust names that fail to demangle.
//
// Rust for Linux builds with -Csymbol-mangling-version=v0 (the kernel
// Makefile), so kernel Rust symbols start with _R; legacy Rust names
// (_ZN...17h<16 hex digits>E) come from older out-of-tree code. A compiler
// suffix such as ".llvm.1234" or ".cold" is kept after the demangled name,
// the way the kernel prints "foo.constprop.0" for C.
func (s Symbol) DisplayName() string {
	base, suffix, ok := rustName(s.Name)
	if !ok {
		return s.Name
	}
	d, err := demangle.ToString(base, demangle.MaxLength(maxDemangledLog2))
	if err != nil || d == "" {
		return s.Name
	}
	return d + suffix
}

// rustName splits a Rust symbol name into the mangled part and a trailing
// ".suffix", and reports whether the name looks Rust-mangled at all. The
// check is cheap so that the ~120,000 C names of a kernel never reach the
// demangler.
func rustName(name string) (base, suffix string, ok bool) {
	switch {
	case strings.HasPrefix(name, "_R"):
		// v0 names use only [A-Za-z0-9_], so any dot starts a suffix.
		if i := strings.IndexByte(name, '.'); i >= 0 {
			return name[:i], name[i:], true
		}
		return name, "", true
	case strings.HasPrefix(name, "_ZN"):
		// Legacy names contain dots themselves ("..": "::" inside an
		// identifier), so the suffix starts after the last "E.".
		base = name
		if !strings.HasSuffix(base, "E") {
			i := strings.LastIndex(base, "E.")
			if i < 0 {
				return "", "", false
			}
			base, suffix = name[:i+1], name[i+1:]
		}
		return base, suffix, isLegacyRustHash(base)
	}
	return "", "", false
}

// isLegacyRustHash reports whether name ends in "17h" + 16 hex digits + "E":
// the hash path element legacy Rust mangling appends to every name.
func isLegacyRustHash(name string) bool {
	const tail = len("17h0123456789abcdefE")
	if len(name) <= len("_ZN")+tail { // at least one path element
		return false
	}
	t := name[len(name)-tail:]
	if t[:3] != "17h" || t[tail-1] != 'E' {
		return false
	}
	for i := 3; i < tail-1; i++ {
		c := t[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
