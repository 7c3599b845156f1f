package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
)

// usageText is dwdump -h as Debian's dwdump 1.5.4 printed it
// (c-dropwatch-transcripts.md), written out again here so that the test
// does not compare the constant with itself.
var usageText = strings.Join([]string{
	"Usage:",
	"dwdump [ -w <file> -t <length> -q -l <limit> -p -s -b <size> -e -o <sw|hw> ]",
	" -w <file> dump packets to provided file. defaults to standard output",
	" -t <length> truncate packets to provided length. defaults to no truncation",
	" -q query the kernel for current configuration and exit",
	" -l <limit> set packet queue limit to provided limit",
	" -p only listen on notified packets with no configuration",
	" -s query kernel for statistics and exit",
	" -b <size> set the socket's receive buffer to provided size",
	" -o monitor only <sw|hw> originated drops. defaults to all",
	" -e ask kernel to stop monitoring and exit",
	"",
}, "\n")

func TestParseOptions(t *testing.T) {
	const sw, hw = dropmon.SourceSoftware, dropmon.SourceHardware
	def := defaultOptions()
	with := func(f func(o *options)) options {
		o := def
		f(&o)
		return o
	}
	tests := []struct {
		args []string
		want options
	}{
		{nil, options{file: "-", trunc: 0xffff, limit: 1000, bufSize: 33554432, source: sw | hw}},

		// -w in every GNU form.
		{[]string{"-w", "x.pcap"}, with(func(o *options) { o.file = "x.pcap" })},
		{[]string{"-wx.pcap"}, with(func(o *options) { o.file = "x.pcap" })},
		{[]string{"--write=x.pcap"}, with(func(o *options) { o.file = "x.pcap" })},
		{[]string{"--write", "x.pcap"}, with(func(o *options) { o.file = "x.pcap" })},
		{[]string{"--wr", "x.pcap"}, with(func(o *options) { o.file = "x.pcap" })},
		{[]string{"--w=x.pcap"}, with(func(o *options) { o.file = "x.pcap" })},
		{[]string{"--write="}, with(func(o *options) { o.file = "" })},
		{[]string{"-w", "-"}, def},
		{[]string{"-w", "-q"}, with(func(o *options) { o.file = "-q" })},
		{[]string{"--write", "--query"}, with(func(o *options) { o.file = "--query" })},
		{[]string{"-w", "a", "-w", "b"}, with(func(o *options) { o.file = "b" })},

		// -t: atol into a __u32; 0 or above 0xffff is 0xffff.
		{[]string{"-t", "100"}, with(func(o *options) { o.trunc = 100 })},
		{[]string{"--trunc=1"}, with(func(o *options) { o.trunc = 1 })},
		{[]string{"-t", "65535"}, def},
		{[]string{"-t", "0"}, def},
		{[]string{"-t", "65536"}, def},
		{[]string{"-t", "-1"}, def},
		{[]string{"-t", "abc"}, def},
		{[]string{"-t", " +12kB"}, with(func(o *options) { o.trunc = 12 })},
		{[]string{"-t", "4294967396"}, with(func(o *options) { o.trunc = 100 })}, // 2^32+100
		{[]string{"-t", "99999999999999999999"}, def},

		// -l: atol into a __u32, not validated.
		{[]string{"-l", "5"}, with(func(o *options) { o.limit = 5 })},
		{[]string{"--limit", "0"}, with(func(o *options) { o.limit = 0 })},
		{[]string{"-l", "-1"}, with(func(o *options) { o.limit = 0xffffffff })},
		{[]string{"-lx"}, with(func(o *options) { o.limit = 0 })},

		// -b: atol into an int; libnl makes n <= 0 32768.
		{[]string{"-b", "4096"}, with(func(o *options) { o.bufSize = 4096 })},
		{[]string{"--bufsize=0"}, with(func(o *options) { o.bufSize = 32768 })},
		{[]string{"-b", "-5"}, with(func(o *options) { o.bufSize = 32768 })},
		{[]string{"-b", "3000000000"}, with(func(o *options) { o.bufSize = 32768 })},
		{[]string{"-b", "4294971392"}, with(func(o *options) { o.bufSize = 4096 })}, // 2^32+4096

		// -o: exactly "sw" or "hw"; the last one wins.
		{[]string{"-o", "sw"}, with(func(o *options) { o.source = sw })},
		{[]string{"-ohw"}, with(func(o *options) { o.source = hw })},
		{[]string{"--origin=hw", "--or", "sw"}, with(func(o *options) { o.source = sw })},

		// Flags, long, abbreviated and clustered.
		{[]string{"-q"}, with(func(o *options) { o.query = true })},
		{[]string{"--query"}, with(func(o *options) { o.query = true })},
		{[]string{"-s"}, with(func(o *options) { o.stats = true })},
		{[]string{"--st"}, with(func(o *options) { o.stats = true })},
		{[]string{"-e"}, with(func(o *options) { o.exit = true })},
		{[]string{"--exit"}, with(func(o *options) { o.exit = true })},
		{[]string{"-p"}, with(func(o *options) { o.passive = true })},
		{[]string{"--passive"}, with(func(o *options) { o.passive = true })},
		{[]string{"-qse"}, with(func(o *options) { o.query, o.stats, o.exit = true, true, true })},
		{[]string{"-pwx.pcap"}, with(func(o *options) { o.passive, o.file = true, "x.pcap" })},
		{[]string{"-pt", "9"}, with(func(o *options) { o.passive, o.trunc = true, 9 })},

		// Operands are skipped, options after them still count; "--" ends
		// the options.
		{[]string{"foo", "-q", "bar"}, with(func(o *options) { o.query = true })},
		{[]string{"-", "-p"}, with(func(o *options) { o.passive = true })},
		{[]string{"--", "-q"}, def},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		got, code, ok := parseOptions("dwdump", tt.args, &stdout, &stderr)
		if !ok || stdout.Len() != 0 || stderr.Len() != 0 {
			t.Errorf("%q: ok %v, code %d, stdout %q, stderr %q", tt.args, ok, code, stdout.String(), stderr.String())
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(options{})); diff != "" {
			t.Errorf("%q: options (-want +got):\n%s", tt.args, diff)
		}
	}
}

// Help and errors end the run with exit status 1, as in dwdump 1.5.4; the
// texts are glibc getopt_long's, checked against Debian's dwdump binary.
func TestOptionErrors(t *testing.T) {
	tests := []struct {
		args           []string
		stdout, stderr string
	}{
		{[]string{"-h"}, usageText, ""},
		{[]string{"--help"}, usageText, ""},
		{[]string{"--he"}, usageText, ""},
		{[]string{"-qh"}, usageText, ""},
		{[]string{"-o", "sw", "-h"}, usageText, ""},
		{[]string{"-h", "-o", "xx"}, usageText, ""},
		{[]string{"-h", "-x"}, usageText, ""},

		{[]string{"-x"}, "", "dwdump: invalid option -- 'x'\n" + usageText},
		{[]string{"-qx"}, "", "dwdump: invalid option -- 'x'\n" + usageText},
		{[]string{"-:"}, "", "dwdump: invalid option -- ':'\n" + usageText},
		{[]string{"-W", "foo"}, "", "dwdump: invalid option -- 'W'\n" + usageText},
		{[]string{"-x", "-h"}, "", "dwdump: invalid option -- 'x'\n" + usageText},
		{[]string{"--xyz"}, "", "dwdump: unrecognized option '--xyz'\n" + usageText},
		{[]string{"--xyz=1"}, "", "dwdump: unrecognized option '--xyz=1'\n" + usageText},
		{[]string{"--help2"}, "", "dwdump: unrecognized option '--help2'\n" + usageText},
		{[]string{"-w"}, "", "dwdump: option requires an argument -- 'w'\n" + usageText},
		{[]string{"-q", "-t"}, "", "dwdump: option requires an argument -- 't'\n" + usageText},
		{[]string{"--write"}, "", "dwdump: option '--write' requires an argument\n" + usageText},
		{[]string{"--wri"}, "", "dwdump: option '--write' requires an argument\n" + usageText},
		{[]string{"--query=1"}, "", "dwdump: option '--query' doesn't allow an argument\n" + usageText},
		{[]string{"--q=1"}, "", "dwdump: option '--query' doesn't allow an argument\n" + usageText},

		// A bad origin stops the parse without the usage text.
		{[]string{"-o", "xx"}, "", "Invalid origin: 'xx'\n"},
		{[]string{"--origin=SW"}, "", "Invalid origin: 'SW'\n"},
		{[]string{"-o", ""}, "", "Invalid origin: ''\n"},
		{[]string{"-o", "sww"}, "", "Invalid origin: 'sww'\n"},
		{[]string{"-o", "xx", "-h"}, "", "Invalid origin: 'xx'\n"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		a := &app{open: func() (kernel, error) {
			t.Errorf("%q: the kernel was opened", tt.args)
			return nil, dropmon.ErrFamilyNotFound
		}}
		code := a.run(append([]string{"dwdump"}, tt.args...), nil, &stdout, &stderr)
		if code != 1 {
			t.Errorf("%q: exit status %d, want 1", tt.args, code)
		}
		if diff := cmp.Diff(tt.stdout, stdout.String()); diff != "" {
			t.Errorf("%q: stdout (-want +got):\n%s", tt.args, diff)
		}
		if diff := cmp.Diff(tt.stderr, stderr.String()); diff != "" {
			t.Errorf("%q: stderr (-want +got):\n%s", tt.args, diff)
		}
	}
}

func TestAtol(t *testing.T) {
	tests := map[string]int64{
		"":                      0,
		"42":                    42,
		"  \t\n42":              42,
		"+7":                    7,
		"-7":                    -7,
		"12abc":                 12,
		"abc":                   0,
		"- 1":                   0,
		"0x10":                  0,
		"9223372036854775807":   9223372036854775807,
		"9223372036854775808":   9223372036854775807,
		"-9223372036854775808":  -9223372036854775808,
		"-9223372036854775809":  -9223372036854775808,
		"123456789012345678901": 9223372036854775807,
	}
	for in, want := range tests {
		if got := atol(in); got != want {
			t.Errorf("atol(%q) = %d, want %d", in, got, want)
		}
	}
}
