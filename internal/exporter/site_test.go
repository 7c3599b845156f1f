package exporter

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalize(t *testing.T) {
	long := strings.Repeat("a_", 100)
	tests := []struct {
		name string
		in   Site
		want Site
	}{
		{
			name: "plain",
			in:   Site{Function: "__udp4_lib_rcv", Reason: "NO_SOCKET", Origin: "software"},
			want: Site{Function: "__udp4_lib_rcv", Reason: "NO_SOCKET", Origin: OriginSoftware},
		},
		{
			name: "kernel %pS text with offset, size and module",
			in:   Site{Function: "nft_do_chain+0x4f1/0x6a0 [nf_tables]"},
			want: Site{Function: "nft_do_chain", Module: "nf_tables", Origin: OriginSoftware},
		},
		{
			name: "explicit module wins over the suffix",
			in:   Site{Function: "foo+0x1/0x2 [bar]", Module: "baz"},
			want: Site{Function: "foo", Module: "baz", Origin: OriginSoftware},
		},
		{
			name: "reason prefix",
			in:   Site{Function: "f", Reason: "SKB_DROP_REASON_NETFILTER_DROP"},
			want: Site{Function: "f", Reason: "NETFILTER_DROP", Origin: OriginSoftware},
		},
		{
			name: "empty function is unknown",
			in:   Site{Origin: "HARDWARE", Trap: "blackhole_route", TrapGroup: "l3_drops"},
			want: Site{Function: FunctionUnknown, Origin: OriginHardware, Trap: "blackhole_route", TrapGroup: "l3_drops"},
		},
		{
			name: "a raw address never passes",
			in:   Site{Function: "0xffffffff878bcae2", Module: "ffffffffc0a01234", Trap: "location 0xffffffffc0a01234"},
			want: Site{Function: FunctionUnknown, Origin: OriginSoftware},
		},
		{
			name: "an address in the C tool's unresolved form",
			in:   Site{Function: "location 0xffffffff878bcae2"},
			want: Site{Function: FunctionUnknown, Origin: OriginSoftware},
		},
		{
			name: "short hex-looking names are names",
			in:   Site{Function: "dead", Module: "cafe"},
			want: Site{Function: "dead", Module: "cafe", Origin: OriginSoftware},
		},
		{
			name: "bounded length and valid UTF-8",
			in:   Site{Function: long, Reason: "bad\xffbyte"},
			want: Site{Function: long[:MaxLabelLen], Reason: "bad?byte", Origin: OriginSoftware},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.in.Normalize()); diff != "" {
				t.Errorf("Normalize(%+v) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestLooksLikeAddress(t *testing.T) {
	for v, want := range map[string]bool{
		"0xffffffff878bcae2": true,
		"0x1":                true,
		"ffffffff878bcae2":   true,
		"deadbeef":           true,
		"0x":                 false,
		"dead":               false,
		"__udp4_lib_rcv":     false,
		"0xgg":               false,
		"":                   false,
	} {
		if got := looksLikeAddress(v); got != want {
			t.Errorf("looksLikeAddress(%q) = %v, want %v", v, got, want)
		}
	}
}
