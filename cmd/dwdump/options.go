package main

import (
	"fmt"
	"io"
	"math"

	"github.com/dropwatch-go/dropwatch/internal/getopt"
	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/nlpcap"
)

// dwdump 1.5.4's getopt_long option table (src/dwdump.c), whose
// optstring "w:t:ql:psb:o:eh" is the table's short forms.
var longOptions = []getopt.Option{
	{Name: "write", HasArg: true, Short: 'w'},
	{Name: "trunc", HasArg: true, Short: 't'},
	{Name: "query", Short: 'q'},
	{Name: "limit", HasArg: true, Short: 'l'},
	{Name: "passive", Short: 'p'},
	{Name: "stats", Short: 's'},
	{Name: "bufsize", HasArg: true, Short: 'b'},
	{Name: "origin", HasArg: true, Short: 'o'},
	{Name: "exit", Short: 'e'},
	{Name: "help", Short: 'h'},
}

// usage is dwdump's usage text, byte for byte: on stdout for -h, on stderr
// after a bad option.
const usage = `Usage:
dwdump [ -w <file> -t <length> -q -l <limit> -p -s -b <size> -e -o <sw|hw> ]
 -w <file> dump packets to provided file. defaults to standard output
 -t <length> truncate packets to provided length. defaults to no truncation
 -q query the kernel for current configuration and exit
 -l <limit> set packet queue limit to provided limit
 -p only listen on notified packets with no configuration
 -s query kernel for statistics and exit
 -b <size> set the socket's receive buffer to provided size
 -o monitor only <sw|hw> originated drops. defaults to all
 -e ask kernel to stop monitoring and exit
`

// Defaults and limits of dwdump 1.5.4.
const (
	maxTrunc     = 0xffff // -t 0 or above this means this
	defaultLimit = 1000   // -l: the kernel's own default queue length
	// defaultBufSize is the receive buffer without -b. dwdump 1.5.4's
	// default is 1 MiB, which libnl sets with SO_RCVBUF and so caps at
	// net.core.rmem_max (212992 by default, doubled by the kernel). Ours
	// is dropwatch's 32 MiB, set with SO_RCVBUFFORCE as root: in a burst
	// the kernel multicasts packet alerts faster than a capture writes
	// them, and a full buffer discards them (see docs/benchmarks.md).
	// The kernel charges only the memory queued alerts use.
	defaultBufSize = dropmon.DefaultReadBuffer
	// minBufSize replaces a -b of 0 or less, as libnl's
	// nl_socket_set_buffer_size does.
	minBufSize = 32768
)

// options are dwdump's settings after parsing.
type options struct {
	file    string // -w; "-" (the default) means standard output
	trunc   uint32 // -t
	limit   uint32 // -l
	bufSize int    // -b
	source  dropmon.Source
	passive bool // -p
	query   bool // -q
	stats   bool // -s
	exit    bool // -e
}

func defaultOptions() options {
	return options{
		// dwdump's default is "/dev/stdout"; libpcap also takes "-".
		file:    "-",
		trunc:   maxTrunc,
		limit:   defaultLimit,
		bufSize: defaultBufSize,
		// Without -o dwdump sends both NET_DM_ATTR_SW_DROPS and HW_DROPS.
		source: dropmon.SourceSoftware | dropmon.SourceHardware,
	}
}

// snapLen is the pcap snapshot length: the truncation length plus room for
// the headers around the payload, as dwdump computes it.
func (o options) snapLen() uint32 { return nlpcap.SnapLenFor(o.trunc) }

// monitors reports whether dwdump configures and starts the kernel's
// monitor itself (dwdump's need_mon): not with -p, -q, -s or -e.
func (o options) monitors() bool { return !o.passive && !o.query && !o.stats && !o.exit }

// parseOptions parses the arguments after the program name as dwdump's
// getopt_long loop does, handling each option as it comes: -h prints the
// usage and a bad option or origin ends the parse. When ok is false the
// caller exits with code.
func parseOptions(prog string, args []string, stdout, stderr io.Writer) (o options, code int, ok bool) {
	o = defaultOptions()
	g := getopt.Parser{Args: args, Long: longOptions}
	for {
		opt, arg, more, err := g.Next()
		if !more {
			return o, 0, true
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", prog, err)
			io.WriteString(stderr, usage)
			return o, 1, false
		}
		switch opt.Short {
		case 'w':
			o.file = arg
		case 't':
			// A long stored in a __u32, then clamped.
			o.trunc = uint32(atol(arg))
			if o.trunc == 0 || o.trunc > maxTrunc {
				o.trunc = maxTrunc
			}
		case 'q':
			o.query = true
		case 'l':
			o.limit = uint32(atol(arg)) // no validation, as in dwdump
		case 'p':
			o.passive = true
		case 's':
			o.stats = true
		case 'b':
			o.bufSize = int(int32(atol(arg))) // an int in dwdump
			if o.bufSize <= 0 {
				o.bufSize = minBufSize
			}
		case 'o':
			switch arg {
			case "sw":
				o.source = dropmon.SourceSoftware
			case "hw":
				o.source = dropmon.SourceHardware
			default:
				fmt.Fprintf(stderr, "Invalid origin: '%s'\n", arg)
				return o, 1, false
			}
		case 'e':
			o.exit = true
		case 'h':
			io.WriteString(stdout, usage)
			return o, 1, false
		}
	}
}

// atol converts s as C's atol (strtol in base 10) does: leading white
// space, an optional sign, then decimal digits up to the first other
// character; no digits gives 0, and values out of range saturate.
func atol(s string) int64 {
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var v uint64
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if v > (math.MaxInt64+1-uint64(s[i]-'0'))/10 {
			v = math.MaxInt64 + 1 // overflow: saturate below
			break
		}
		v = v*10 + uint64(s[i]-'0')
	}
	switch {
	case neg && v > math.MaxInt64:
		return math.MinInt64
	case neg:
		return -int64(v)
	case v > math.MaxInt64:
		return math.MaxInt64
	}
	return int64(v)
}
