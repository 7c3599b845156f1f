package pcapfilter

import "testing"

func TestJoin(t *testing.T) {
	for _, tt := range []struct {
		prims, exprs []string
		want         string
	}{
		{nil, nil, ""},
		{[]string{"host 10.0.0.1"}, nil, "host 10.0.0.1"},
		{nil, []string{"udp or tcp"}, "udp or tcp"},
		{[]string{"host 10.0.0.1", "port 53"}, nil, "host 10.0.0.1 and port 53"},
		{[]string{"port 53"}, []string{"udp or tcp"}, "port 53 and (udp or tcp)"},
		{nil, []string{"udp", "not port 53"}, "(udp) and (not port 53)"},
	} {
		got := Join(tt.prims, tt.exprs)
		if got != tt.want {
			t.Errorf("Join(%q, %q) = %q, want %q", tt.prims, tt.exprs, got, tt.want)
		}
		if got != "" {
			if _, err := Compile(got); err != nil {
				t.Errorf("Compile(%q): %v", got, err)
			}
		}
	}
}
