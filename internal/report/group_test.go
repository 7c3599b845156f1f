package report

import (
	"slices"
	"strings"
	"testing"
)

func TestCutGroupArg(t *testing.T) {
	for _, tt := range []struct {
		args []string
		by   Group
		rest []string
		err  string
	}{
		{nil, ByReason, nil, ""},
		{[]string{"5"}, ByReason, []string{"5"}, ""},
		{[]string{"--by", "flow", "5"}, ByFlow, []string{"5"}, ""},
		{[]string{"3", "--by=comm"}, ByComm, []string{"3"}, ""},
		{[]string{"--by=site", "--by", "interface"}, ByInterface, nil, ""},
		{[]string{"--by"}, ByReason, nil, "--by needs a grouping"},
		{[]string{"--by", "cpu"}, ByReason, nil, `invalid grouping "cpu": want site, flow, reason, interface, comm`},
	} {
		by, rest, err := CutGroupArg(tt.args, ByReason)
		if by != tt.by || !slices.Equal(rest, tt.rest) || (err == nil) != (tt.err == "") || err != nil && err.Error() != tt.err {
			t.Errorf("CutGroupArg(%q) = %v, %q, %v; want %v, %q, %q", tt.args, by, rest, err, tt.by, tt.rest, tt.err)
		}
	}
}

// TestWriteTop: BySite is the site table, another grouping the grouped
// table, each as its own writer writes it.
func TestWriteTop(t *testing.T) {
	tab, g := NewTable(), &Groups{}
	tab.Add(Location{Symbol: "kfree_skb"}, "NO_SOCKET", 0x0800, true, 3)
	var want, got strings.Builder
	WriteTable(&want, tab.Rows(), tab.Total(), Losses{}, 1)
	if WriteTop(&got, BySite, tab, g, Losses{}, 1); got.String() != want.String() {
		t.Errorf("BySite:\n%s\nwant:\n%s", got.String(), want.String())
	}
	want.Reset()
	got.Reset()
	WriteGroupTable(&want, ByReason, g.Rows(ByReason), g.Total(), Losses{}, 0)
	if WriteTop(&got, ByReason, tab, g, Losses{}, 0); got.String() != want.String() || strings.Contains(got.String(), "kfree_skb") {
		t.Errorf("ByReason:\n%s\nwant:\n%s", got.String(), want.String())
	}
}
