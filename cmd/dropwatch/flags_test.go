package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dropwatch-go/dropwatch/internal/report"
)

// TestNewFlags parses the flags dropwatch adds to the C tool's -l.
func TestNewFlags(t *testing.T) {
	base := options{lookup: lookupNone, backend: backendAuto}
	with := func(f func(o *options)) options {
		o := base
		f(&o)
		return o
	}
	u32 := func(n uint32) *uint32 { return &n }
	tests := []struct {
		args []string
		want options
	}{
		{[]string{"--passive"}, with(func(o *options) { o.passive = true })},
		{[]string{"--stack", "--backend", "tracepoint"}, with(func(o *options) { o.stack = true; o.backend = backendTracepoint })},
		{[]string{"--once", "10s"}, with(func(o *options) { o.once = 10 * time.Second })},
		{[]string{"--once=1m30s"}, with(func(o *options) { o.once = 90 * time.Second })},
		{[]string{"--once", "2"}, with(func(o *options) { o.once = 2 * time.Second })}, // a bare number is seconds
		{[]string{"--once", "0.5"}, with(func(o *options) { o.once = 500 * time.Millisecond })},
		{[]string{"--l", "kas", "--once", "1"}, with(func(o *options) { o.lookup = lookupKas; o.once = time.Second })}, // --l stays -l
		{
			[]string{"--once", "5s", "--mode", "summary", "--limit", "7", "--trunc", "64", "--queue", "100", "--sw", "--hw"},
			with(func(o *options) {
				o.once, o.mode, o.limit, o.trunc, o.queue, o.sw, o.hw = 5*time.Second, "summary", 7, u32(64), u32(100), true, true
				o.onceOnly = []string{"mode", "limit", "trunc", "queue", "sw", "hw"}
			}),
		},
		{[]string{"--once", "1", "--json"}, with(func(o *options) { o.once = time.Second; o.json = true; o.onceOnly = []string{"json"} })},
		// -w and packet filters select packet mode unless --mode says otherwise.
		{[]string{"--once", "1", "-w", "out.pcap"}, with(func(o *options) {
			o.once, o.write, o.mode, o.onceOnly = time.Second, "out.pcap", "packet", []string{"write"}
		})},
		{[]string{"--once", "1", "-w-"}, with(func(o *options) { o.once, o.write, o.mode, o.onceOnly = time.Second, "-", "packet", []string{"write"} })},
		{[]string{"--once", "1", "--reason", "no_socket,SKB_DROP_REASON_NETFILTER_DROP", "--reason", "OTHERHOST"}, with(func(o *options) {
			o.once, o.mode, o.onceOnly, o.packetFilterFlag = time.Second, "packet", []string{"reason", "reason"}, "reason"
			o.filter.Reasons = []string{"NO_SOCKET", "NETFILTER_DROP", "OTHERHOST"}
		})},
		{[]string{"--once", "1", "--ifindex", "3", "--ifindex=4"}, with(func(o *options) {
			o.once, o.mode, o.onceOnly, o.packetFilterFlag = time.Second, "packet", []string{"ifindex", "ifindex"}, "ifindex"
			o.filter.Ifindexes = []uint32{3, 4}
		})},
		{[]string{"--once", "1", "--proto", "ipv6", "--proto=0x0800"}, with(func(o *options) {
			o.once, o.mode, o.onceOnly, o.packetFilterFlag = time.Second, "packet", []string{"proto", "proto"}, "proto"
			o.filter.Protos = []uint16{0x86dd, 0x800}
		})},
		{[]string{"--once", "1", "--symbol", "^udp"}, with(func(o *options) {
			o.once, o.onceOnly = time.Second, []string{"symbol"}
			o.filter.Symbol = regexp.MustCompile("^udp")
		})},
		{[]string{"--once", "1", "--passive", "--reason", "NO_SOCKET"}, with(func(o *options) {
			o.once, o.passive, o.onceOnly, o.packetFilterFlag = time.Second, true, []string{"reason"}, "reason"
			o.filter.Reasons = []string{"NO_SOCKET"}
		})},
	}
	regexpText := cmp.Comparer(func(a, b *regexp.Regexp) bool {
		return (a == nil) == (b == nil) && (a == nil || a.String() == b.String())
	})
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got, err := parseArgs(tt.args)
			if err != nil {
				t.Fatalf("parseArgs: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(options{}, counterOptions{}), regexpText, cmpopts.EquateEmpty(), cmpopts.IgnoreUnexported(report.Filter{})); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNewFlagErrors: every bad use of a new flag is one line naming what
// is accepted, and exit status 2.
func TestNewFlagErrors(t *testing.T) {
	const try = " (try 'dropwatch --help')"
	const onceValues = "want a positive Go duration (10s, 1m30s, 500ms) or a number of seconds (10)"
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--once", "-5s"}, "dropwatch: invalid --once duration '-5s': " + onceValues + try},
		{[]string{"--once", "x"}, "dropwatch: invalid --once duration 'x': " + onceValues + try},
		{[]string{"--once", "0"}, "dropwatch: invalid --once duration '0': " + onceValues + try},
		{[]string{"--once"}, "dropwatch: option '--once' requires an argument: a duration such as 10s, or a number of seconds" + try},
		{[]string{"--mode", "packet"}, "dropwatch: --mode needs --once DURATION (the REPL has set commands)" + try},
		{[]string{"--json"}, "dropwatch: --json needs --once DURATION (the REPL has set commands)" + try},
		{[]string{"-w", "x.pcap"}, "dropwatch: --write needs --once DURATION (the REPL has set commands)" + try},
		{[]string{"--once", "1", "--mode", "bulk"}, "dropwatch: invalid --mode 'bulk': want summary or packet" + try},
		{[]string{"--once", "1", "--limit", "-1"}, "dropwatch: invalid --limit '-1': want a number from 0 to 18446744073709551615" + try},
		{[]string{"--once", "1", "--trunc", "4294967296"}, "dropwatch: invalid --trunc '4294967296': want a number from 0 to 4294967295" + try},
		{[]string{"--once", "1", "--queue", "x"}, "dropwatch: invalid --queue 'x': want a number from 0 to 4294967295" + try},
		{[]string{"--once", "1", "--json", "-w", "-"}, "dropwatch: --json and -w - both write to standard output: give -w a file" + try},
		{[]string{"--once", "1", "-w", "x", "--backend", "tracepoint"}, "dropwatch: -w writes NET_DM messages, and the skb:kfree_skb tracepoint backend has none" + try},
		{[]string{"--once", "1", "--passive", "--mode", "packet"}, "dropwatch: --passive never configures the kernel: --mode, --trunc and --queue cannot go with it" + try},
		{[]string{"--once", "1", "--reason", "NO_SOCKET", "--mode", "summary"}, "dropwatch: --reason needs --mode packet: summary alerts carry only locations and counts" + try},
		{[]string{"--once", "1", "--ifindex", "0"}, "dropwatch: invalid --ifindex '0': want an interface index, a number from 1 (see ip link)" + try},
		{[]string{"--once", "1", "--symbol", "("}, "dropwatch: invalid --symbol '(': want a Go regular expression: error parsing regexp: missing closing ): `(`" + try},
		{[]string{"--once", "1", "--reason", ","}, "dropwatch: invalid --reason ',': want drop reason names such as NO_SOCKET, separated by commas" + try},
		{[]string{"--once", "1", "--proto", "0x10000"}, "dropwatch: invalid --proto '0x10000': protocol \"0x10000\" is out of range: EtherTypes are 16 bits, at most 0xffff" + try},
		{[]string{"--s"}, "dropwatch: option '--s' is ambiguous; possibilities: --stack --sw --symbol" + try},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := parseArgs(tt.args)
			if err == nil {
				t.Fatalf("no error, want %s", tt.want)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			h := newHarness("")
			checkCode(t, h.run(t, tt.args...), 2)
			checkOutput(t, h, "")
			if diff := cmp.Diff(tt.want+"\n", h.stderr.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}
