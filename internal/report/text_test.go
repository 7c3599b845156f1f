package report

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// lines joins the expected output; each line ends with "\n".
func lines(l ...string) string { return strings.Join(l, "\n") + "\n" }

const zeroLosses = "losses: kernel tail drops 0, socket overruns 0 (0 alerts lost), full summaries 0, malformed 0, tracepoint samples lost 0; filtered out 0"

func TestWriteTable(t *testing.T) {
	packetRows := []addArgs{
		{loc: udpRcv, reason: "NO_SOCKET", proto: 0x0800, hasProto: true, count: 1500},
		{loc: nftDrop, reason: "NETFILTER_DROP", proto: 0x86dd, hasProto: true, count: 400},
		{loc: unknown, reason: "NOT_SPECIFIED", proto: 0x0806, hasProto: true, count: 99},
		{loc: vlanHW, count: 1},
	}
	tests := []struct {
		name    string
		adds    []addArgs
		losses  Losses
		maxRows int
		want    string
	}{
		{
			name: "empty",
			want: lines(
				"#  DROPS  SHARE  LOCATION  REASON  PROTO",
				"total: 0 drops in 0 rows",
				zeroLosses,
			),
		},
		{
			name: "packet mode, all rows",
			adds: packetRows,
			want: lines(
				"#  DROPS  SHARE  LOCATION                        REASON          PROTO",
				"1   1500  75.0%  __udp4_lib_rcv+0x9a2            NO_SOCKET       0x0800",
				"2    400  20.0%  nft_do_chain+0x3c1 [nf_tables]  NETFILTER_DROP  0x86dd",
				"3     99   5.0%  0xffffffff81abcdef              NOT_SPECIFIED   0x0806",
				"4      1   0.1%  ingress_vlan_filter [hardware]  -               -",
				"total: 2000 drops in 4 rows",
				zeroLosses,
			),
		},
		{
			name:    "maxRows cuts and narrows the columns",
			adds:    packetRows,
			maxRows: 2,
			want: lines(
				"#  DROPS  SHARE  LOCATION                        REASON          PROTO",
				"1   1500  75.0%  __udp4_lib_rcv+0x9a2            NO_SOCKET       0x0800",
				"2    400  20.0%  nft_do_chain+0x3c1 [nf_tables]  NETFILTER_DROP  0x86dd",
				"total: 2000 drops in 4 rows (top 2 shown)",
				zeroLosses,
			),
		},
		{
			name:    "maxRows above the row count",
			adds:    []addArgs{{loc: udpRcv, count: 1}},
			maxRows: 5,
			want: lines(
				"#  DROPS   SHARE  LOCATION              REASON  PROTO",
				"1      1  100.0%  __udp4_lib_rcv+0x9a2  -       -",
				"total: 1 drop in 1 row",
				zeroLosses,
			),
		},
		{
			name: "summary mode, ten rows, nearly all in one, every loss counted",
			adds: []addArgs{
				{loc: tcpRcv, count: 123456},
				{loc: rxDrop, count: 10},
				{loc: Location{PC: 0xffffffff80000001}, count: 1},
				{loc: Location{PC: 0xffffffff80000002}, count: 1},
				{loc: Location{PC: 0xffffffff80000003}, count: 1},
				{loc: Location{PC: 0xffffffff80000004}, count: 1},
				{loc: Location{PC: 0xffffffff80000005}, count: 1},
				{loc: Location{PC: 0xffffffff80000006}, count: 1},
				{loc: Location{PC: 0xffffffff80000007}, count: 1},
				{loc: Location{PC: 0xffffffff80000008}, count: 1},
			},
			losses: Losses{
				KernelTailDrops: 1, SocketOverruns: 2, SocketDrops: 3, FullSummaries: 4,
				Malformed: 5, Filtered: 6, TracepointLost: 7,
			},
			want: lines(
				" #   DROPS   SHARE  LOCATION            REASON  PROTO",
				" 1  123456  >99.9%  tcp_v4_rcv+0x1a0    -       -",
				" 2      10   <0.1%  device rx_dropped   -       -",
				" 3       1   <0.1%  0xffffffff80000001  -       -",
				" 4       1   <0.1%  0xffffffff80000002  -       -",
				" 5       1   <0.1%  0xffffffff80000003  -       -",
				" 6       1   <0.1%  0xffffffff80000004  -       -",
				" 7       1   <0.1%  0xffffffff80000005  -       -",
				" 8       1   <0.1%  0xffffffff80000006  -       -",
				" 9       1   <0.1%  0xffffffff80000007  -       -",
				"10       1   <0.1%  0xffffffff80000008  -       -",
				"total: 123474 drops in 10 rows",
				"losses: kernel tail drops 1, socket overruns 2 (3 alerts lost), full summaries 4, malformed 5, tracepoint samples lost 7; filtered out 6",
			),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := NewTable()
			fill(tab, tt.adds)
			var b strings.Builder
			if err := WriteTable(&b, tab.Rows(), tab.Total(), tt.losses, tt.maxRows); err != nil {
				t.Fatalf("WriteTable: %v", err)
			}
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("WriteTable mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAppendShare(t *testing.T) {
	tests := []struct {
		share float64
		want  string
	}{
		{0, "0.0%"},
		{0.0004999, "<0.1%"},
		{0.0005, "0.1%"},
		{0.123, "12.3%"},
		{0.99949, "99.9%"},
		{0.9995, ">99.9%"},
		{1, "100.0%"},
	}
	for _, tt := range tests {
		if got := string(appendShare(nil, tt.share)); got != tt.want {
			t.Errorf("appendShare(%v) = %q, want %q", tt.share, got, tt.want)
		}
	}
}

func TestLossesString(t *testing.T) {
	if diff := cmp.Diff(zeroLosses, Losses{}.String()); diff != "" {
		t.Errorf("Losses{}.String() mismatch (-want +got):\n%s", diff)
	}
	l := Losses{KernelTailDrops: 7, SocketOverruns: 2, SocketDrops: 17, FullSummaries: 1, Malformed: 4, Filtered: 3, TracepointLost: 6}
	want := "losses: kernel tail drops 7, socket overruns 2 (17 alerts lost), full summaries 1, malformed 4, tracepoint samples lost 6; filtered out 3"
	if diff := cmp.Diff(want, l.String()); diff != "" {
		t.Errorf("Losses.String() mismatch (-want +got):\n%s", diff)
	}
}

type failingWriter struct{}

var errWrite = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestWriteTableError(t *testing.T) {
	if err := WriteTable(failingWriter{}, nil, 0, Losses{}, 0); !errors.Is(err, errWrite) {
		t.Errorf("WriteTable to a failing writer = %v, want %v", err, errWrite)
	}
}
