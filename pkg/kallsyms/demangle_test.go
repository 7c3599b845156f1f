package kallsyms

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDisplayName(t *testing.T) {
	tab := loadFixture(t, "rust.txt")
	// Expected text from c++filt --no-verbose (GNU binutils 2.40), see
	// testdata/README.md.
	want := map[uint64]string{
		0xffffffff81800000: "__pfx__RNvNtCsbDqzXfLQacH_6kernel5print11call_printk",
		0xffffffff81800010: "kernel::print::call_printk",
		0xffffffff81800200: "core::ptr::drop_in_place::<kernel::error::Error>",
		0xffffffff81800300: "<kernel::error::Error as core::fmt::Debug>::fmt",
		0xffffffff81800400: "<kernel::net::Device>::name.llvm.1234",
		0xffffffffc0b00000: "rnull::rnull_init",
		0xffffffffc0b00100: "kernel::print::call_printk",
		0xffffffffc0b00200: "core::ptr::drop_in_place<alloc::vec::Vec<u8>>",
		0xffffffffc0b00280: "kernel::print::call_printk.cold",
		// Not valid Rust: the raw name.
		0xffffffffc0b00300: "_RNvC",
		0xffffffffc0b00400: "_ZN3foo17hxyzxyzxyzxyzxyzxE",
		0xffffffffc0b00500: "_ZN3foo3barE",
	}
	got := make(map[uint64]string, len(want))
	for pc := range want {
		s, ok := tab.Lookup(pc)
		if !ok {
			t.Errorf("Lookup(%#x) not found", pc)
			continue
		}
		got[pc] = s.DisplayName()
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DisplayName mismatch (-want +got):\n%s", diff)
	}
}

func TestDisplayNameEdgeCases(t *testing.T) {
	tests := []struct{ name, want string }{
		{"", ""},
		{"_R", "_R"},
		{"_ZN", "_ZN"},
		{"_ZN17h0123456789abcdefE", "_ZN17h0123456789abcdefE"},
		{"_ZN3foo17h0123456789ABCDEFE", "_ZN3foo17h0123456789ABCDEFE"}, // upper-case hash
		{"_ZN3foo17h0123456789abcdefE.", "foo."},
		{"_ZN3foo17h0123456789abcdefX.cold", "_ZN3foo17h0123456789abcdefX.cold"},
		{"tcp_v4_rcv", "tcp_v4_rcv"},
	}
	for _, tt := range tests {
		if got := (Symbol{Name: tt.name}).DisplayName(); got != tt.want {
			t.Errorf("DisplayName(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDisplayNameNoAllocsForC(t *testing.T) {
	s := Symbol{Name: "__udp4_lib_rcv"}
	if n := testing.AllocsPerRun(100, func() { _ = s.DisplayName() }); n != 0 {
		t.Errorf("DisplayName of a C name allocates %v times", n)
	}
}
