package report

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
	_ "time/tzdata" // the local-time test must not depend on the machine's zoneinfo

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/internal/fixtures"
	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
)

// Every expected string in this file is written from the reference
// (c-dropwatch-and-net_dm.md §2.2-2.4) or the transcripts of the C tool on
// real kernels (cmd/dropwatch/testdata/c-*.txt), not from dropwatch's output.

func TestSummaryLines(t *testing.T) {
	tests := []struct {
		name  string
		alert dropmon.Alert
		res   drops.Resolver
		want  []string
	}{
		{
			name:  "null lookup (transcript, no -l)",
			alert: dropmon.Alert{Points: []dropmon.DropPoint{{PC: 0xffffffff878bcae2, Count: 25}}},
			want:  []string{"25 drops at location 0xffffffff878bcae2 [software]\n"},
		},
		{
			name: "kallsyms (transcripts, -l kas)",
			alert: dropmon.Alert{Points: []dropmon.DropPoint{
				{PC: 0xffffffff878bcae2, Count: 108},
				{PC: 0xffffffff82094413, Count: 3},
			}},
			res: testSymbols(),
			want: []string{
				"108 drops at __udp4_lib_rcv+9a2 (0xffffffff878bcae2) [software]\n",
				"3 drops at tcp_v4_rcv+1a3 (0xffffffff82094413) [software]\n",
			},
		},
		{
			name:  "module symbol: the C tool drops the [module] tag",
			alert: dropmon.Alert{Points: []dropmon.DropPoint{{PC: 0xffffffff89d78f65, Count: 93}}},
			res:   testSymbols(),
			want:  []string{"93 drops at __udp4_lib_rcv.cold+545 (0xffffffff89d78f65) [software]\n"},
		},
		{
			name: "NULL location (a device's rx_dropped) and one below every symbol",
			alert: dropmon.Alert{Points: []dropmon.DropPoint{
				{PC: 0, Count: 7},
				{PC: 0x1000, Count: 2},
			}},
			res: testSymbols(),
			want: []string{
				"7 drops at location (nil) [software]\n",
				"2 drops at location 0x1000 [software]\n",
			},
		},
		{
			name: "hardware entries after the software points; one without a name is skipped",
			alert: dropmon.Alert{
				Points:    []dropmon.DropPoint{{PC: 0xffffffff82094413, Count: 3}},
				HWEntries: []dropmon.HWEntry{{TrapName: "blackhole_route", Count: 5}, {Count: 1}},
			},
			want: []string{
				"3 drops at location 0xffffffff82094413 [software]\n",
				"5 drops at blackhole_route [hardware]\n",
			},
		},
		{
			name: "counts are u32 printed with %d; a second symbol's line; a hardware line after it",
			alert: dropmon.Alert{
				Points: []dropmon.DropPoint{
					{PC: 0xffffffff878bc140, Count: 0xffffffff},
					{PC: 0xffffffff82094270 + 0x10, Count: 0x80000000},
				},
				HWEntries: []dropmon.HWEntry{{TrapName: "ttl_error", Count: 4294967295}},
			},
			res: testSymbols(),
			want: []string{
				"-1 drops at __udp4_lib_rcv+0 (0xffffffff878bc140) [software]\n",
				"-2147483648 drops at tcp_v4_rcv+10 (0xffffffff82094280) [software]\n",
				"-1 drops at ttl_error [hardware]\n",
			},
		},
		{
			name:  "no points, no entries",
			alert: dropmon.Alert{},
			want:  []string{},
		},
		{
			name:  "hardware only",
			alert: dropmon.Alert{HWEntries: []dropmon.HWEntry{{TrapName: "ingress_vlan_filter", Count: 12}}},
			want:  []string{"12 drops at ingress_vlan_filter [hardware]\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summaryLines(&tt.alert, tt.res)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("summaryLines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPacketBlock(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		p    dropmon.PacketAlert
		loc  *time.Location
		want string
	}{
		{
			name: "software (reference §2.4, in UTC+1 local time)",
			p: dropmon.PacketAlert{
				HasOrigin: true, Origin: dropmon.OriginSoftware,
				HasPC: true, PC: 0xffffffff96b6294e, Symbol: "ip_rcv_finish_core.isra.0+0x1de/0x440",
				InPort:       &dropmon.Port{Ifindex: 3, HasIfindex: true},
				HasTimestamp: true, Timestamp: time.Date(2022, 12, 22, 12, 14, 21, 5165840, time.UTC),
				HasProto: true, Proto: 0x0800,
				HasPayload: true, Payload: make([]byte, 98),
				HasOrigLen: true, OrigLen: 1358,
				Reason: "NO_SOCKET",
			},
			loc: berlin,
			want: "drop at: ip_rcv_finish_core.isra.0+0x1de/0x440 (0xffffffff96b6294e)\n" +
				"origin: software\n" +
				"input port ifindex: 3\n" +
				"timestamp: Thu Dec 22 13:14:21 2022 005165840 nsec\n" +
				"protocol: 0x800\n" +
				"length: 98\n" +
				"original length: 1358\n" +
				"drop reason: NO_SOCKET\n" +
				"\n",
		},
		{
			name: "hardware with a cookie (reference §2.4)",
			p: dropmon.PacketAlert{
				HasOrigin: true, Origin: dropmon.OriginHardware,
				HWTrapGroupName: "l3_drops", HWTrapName: "blackhole_route",
				InPort:       &dropmon.Port{Ifindex: 30, HasIfindex: true, Name: "swp1"},
				Cookie:       []byte{0x31, 0x23, 0x79, 0x81, 0x27, 0x39, 0x18},
				HasTimestamp: true, Timestamp: time.Date(2022, 12, 22, 13, 14, 22, 5165840, time.UTC),
				HasProto: true, Proto: 0x86dd,
				HasPayload: true, Payload: make([]byte, 64),
				HasOrigLen: true, OrigLen: 98,
			},
			loc: time.UTC,
			want: "drop at: blackhole_route (l3_drops)\n" +
				"origin: hardware\n" +
				"input port ifindex: 30\n" +
				"input port name: swp1\n" +
				"cookie: 31237981273918\n" +
				"timestamp: Thu Dec 22 13:14:22 2022 005165840 nsec\n" +
				"protocol: 0x86dd\n" +
				"length: 64\n" +
				"original length: 98\n" +
				"\n",
		},
		{
			name: "asctime pads the day with a space; summer time",
			p: dropmon.PacketAlert{
				HasTimestamp: true, Timestamp: time.Date(2024, 7, 4, 22, 5, 9, 42, time.UTC),
			},
			loc:  berlin,
			want: "timestamp: Fri Jul  5 00:05:09 2024 000000042 nsec\n\n",
		},
		{
			name: "address 0 and protocol 0 (0x%x); a negative ifindex (%d); a one-byte cookie; midnight on New Year's Day",
			p: dropmon.PacketAlert{
				HasPC: true, PC: 0, Symbol: "0x0",
				InPort:       &dropmon.Port{Ifindex: 0xffffffff, HasIfindex: true},
				Cookie:       []byte{0x0a},
				HasTimestamp: true, Timestamp: time.Date(2000, 1, 1, 0, 0, 0, 999999999, time.UTC),
				HasProto:   true,
				HasOrigLen: true,
			},
			loc: time.UTC,
			want: "drop at: 0x0 (0x0)\n" +
				"input port ifindex: -1\n" +
				"cookie: 0a\n" +
				"timestamp: Sat Jan  1 00:00:00 2000 999999999 nsec\n" +
				"protocol: 0x0\n" +
				"original length: 0\n" +
				"\n",
		},
		{
			name: "a port name without ifindex; the last day of a leap year",
			p: dropmon.PacketAlert{
				InPort:       &dropmon.Port{Name: "eth0"},
				HasTimestamp: true, Timestamp: time.Date(2024, 12, 31, 23, 59, 59, 0, time.UTC),
				Reason: "TCP_CSUM",
			},
			loc: time.UTC,
			want: "input port name: eth0\n" +
				"timestamp: Tue Dec 31 23:59:59 2024 000000000 nsec\n" +
				"drop reason: TCP_CSUM\n" +
				"\n",
		},
		{
			name: "nothing but an empty port nest and an unknown origin",
			p: dropmon.PacketAlert{
				HasOrigin: true, Origin: 7,
				InPort: &dropmon.Port{},
			},
			loc:  time.UTC,
			want: "origin: unknown\n\n",
		},
		{
			name: "PC without SYMBOL, trap name without group: no drop at line",
			p: dropmon.PacketAlert{
				HasPC: true, PC: 0xffffffff81000000, HWTrapName: "blackhole_route",
				HasPayload: true,
			},
			loc:  time.UTC,
			want: "length: 0\n\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, packetBlock(&tt.p, tt.loc)); diff != "" {
				t.Errorf("packetBlock (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPointer(t *testing.T) {
	for pc, want := range map[uint64]string{
		0:                  "(nil)",
		0x1:                "0x1",
		0x1000:             "0x1000",
		0xffffffff878bcae2: "0xffffffff878bcae2",
	} {
		if got := Pointer(pc); got != want {
			t.Errorf("Pointer(%#x) = %q, want %q", pc, got, want)
		}
	}
}

func TestConfigAndStatsText(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"packet", ConfigText(&dropmon.Config{Mode: dropmon.ModePacket, QueueLen: 1000}),
			"Alert mode: Packet\nTruncation length: 0\nQueue length: 1000\n"},
		{"summary", ConfigText(&dropmon.Config{Mode: dropmon.ModeSummary, TruncLen: 65535, QueueLen: 10}),
			"Alert mode: Summary\nTruncation length: 65535\nQueue length: 10\n"},
		{"invalid mode", ConfigText(&dropmon.Config{Mode: 9}),
			"Alert mode: Invalid alert mode\nTruncation length: 0\nQueue length: 0\n"},
		{"both stats", StatsText(&dropmon.Stats{Software: &dropmon.OriginStats{}, Hardware: &dropmon.OriginStats{Dropped: 18446744073709551615}}),
			"Software statistics:\nTail dropped: 0\nHardware statistics:\nTail dropped: 18446744073709551615\n"},
		{"software only", StatsText(&dropmon.Stats{Software: &dropmon.OriginStats{Dropped: 3}}),
			"Software statistics:\nTail dropped: 3\n"},
		{"none", StatsText(&dropmon.Stats{}), ""},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestStrerror(t *testing.T) {
	// glibc's texts, as the C tool prints them.
	tests := []struct {
		err  error
		want string
	}{
		{&dropmon.Error{Op: "start", Errno: syscall.EAGAIN}, "Resource temporarily unavailable"},
		{&dropmon.Error{Op: "start", Errno: syscall.EPERM}, "Operation not permitted"},
		{&dropmon.Error{Op: "config", Errno: syscall.EBUSY}, "Device or resource busy"},
		{&dropmon.Error{Op: "config", Errno: syscall.EOPNOTSUPP}, "Operation not supported"},
		{&dropmon.Error{Op: "config", Errno: syscall.EINVAL}, "Invalid argument"},
		{&dropmon.Error{Op: "receive", Err: fmt.Errorf("netlink receive: %w", syscall.ENOBUFS)}, "No buffer space available"},
		{fmt.Errorf("wrapped: %w", os.NewSyscallError("sendmsg", syscall.EPERM)), "Operation not permitted"},
		{dropmon.ErrTimeout, "Timed out waiting for the kernel's reply"},
		{&dropmon.Error{Op: "stop", Err: dropmon.ErrTimeout}, "Timed out waiting for the kernel's reply"},
		{errors.New("something else"), "something else"},
	}
	for _, tt := range tests {
		if got := Strerror(tt.err); got != tt.want {
			t.Errorf("Strerror(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// summaryLines renders a summary alert: one line per software drop point,
// then one per hardware trap that has a name. Each line counts as one alert
// toward the alert limit, as in the C tool. The lines share one string.
func summaryLines(a *dropmon.Alert, r drops.Resolver) []string {
	var buf [256]byte
	b := buf[:0]
	ends := make([]int, 0, len(a.Points)+len(a.HWEntries))
	for i := range a.Points {
		b = AppendSummaryPoint(b, uint64(a.Points[i].Count), drops.Locate(r, a.Points[i].PC))
		ends = append(ends, len(b))
	}
	for i := range a.HWEntries {
		if a.HWEntries[i].TrapName != "" {
			b = AppendSummaryHW(b, uint64(a.HWEntries[i].Count), a.HWEntries[i].TrapName)
			ends = append(ends, len(b))
		}
	}
	all := string(b)
	lines := make([]string, len(ends))
	start := 0
	for i, end := range ends {
		lines[i], start = all[start:end], end
	}
	return lines
}

// packetBlock renders a packet alert (appendPacketBlock).
func packetBlock(p *dropmon.PacketAlert, loc *time.Location) string {
	var buf [512]byte
	return string(AppendPacketBlock(buf[:0], p, loc))
}

func testSymbols() drops.Resolver { return fixtures.Table() }
