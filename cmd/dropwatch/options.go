package main

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dropwatch-go/dropwatch/internal/getopt"
	"github.com/dropwatch-go/dropwatch/internal/report"
)

// Lookup methods of -l.
const (
	lookupNone = "none"
	lookupKas  = "kas"
)

// options are the command-line options.
type options struct {
	lookup   string // lookupNone (the C tool's default) or lookupKas
	kallsyms string // --kallsyms: the file to read instead of /proc/kallsyms
	backend  string
	force    bool
	stack    bool // --stack: print each packet alert's kernel call chain
	passive  bool // --passive: listen only, never CONFIG, START or STOP

	// --once and the flags that go with it, which mirror the REPL's set
	// commands and add outputs and filters.
	once             time.Duration // 0: the REPL
	mode             string        // "", "summary" or "packet"
	limit            uint64
	trunc, queue     *uint32
	sw, hw           bool
	json             bool
	write            string // -w: pcap file, "-" for standard output
	filter           report.Filter
	onceOnly         []string       // the --once flags given, to refuse them without --once
	packetFilterFlag string         // the first filter flag that needs packet mode
	ctr              counterOptions // --counters, --explain (counters.go)
	// The pcap-filter expression's parts (filterflags.go): --filter,
	// --host and --port, the trailing arguments.
	exprFlag, exprShort, exprArgs []string
	flows                         bool         // --flows: a flow: line in packet alerts' text
	topBy                         report.Group // --top-by: how the table groups drops

	// At most one of these is set: the action that ends the program at
	// once, in the order the options were given, as GNU getopt makes the
	// C tool act on "-l list" as soon as it is parsed.
	list, help, version bool
	completion          string // --completion SHELL: print its script (completion.go)
}

// usageError is a bad command line: dropwatch prints it on one line and
// exits with status 2 (the C tool prints getopt's message and its usage
// line and exits 1).
type usageError struct{ msg string }

func (e usageError) Error() string {
	return "dropwatch: " + e.msg + " (try 'dropwatch --help')"
}

// unknownMethodError is the C tool's "Unknown lookup method": stdout, exit 1.
type unknownMethodError struct{ method string }

func (e unknownMethodError) Error() string { return fmt.Sprintf(fmtUnknownMethod, e.method) }

// longOption is an option of the C tool's getopt_long table, or one that
// dropwatch adds, with what it sets (internal/getopt).
type longOption = getopt.Flag[options]

var longOptions = append([]longOption{
	{Name: "lmethod", HasArg: true, Short: 'l', Set: setLookup, Values: "kas, none or list"},
	{Name: "kallsyms", HasArg: true, Set: func(o *options, arg string) error { o.kallsyms = arg; return nil }, Values: "a file in /proc/kallsyms format"},
	{Name: "backend", HasArg: true, Set: setBackend, Values: strings.Join(backendNames, ", ")},
	{Name: "force", Set: func(o *options, _ string) error { o.force = true; return nil }},
	{Name: "passive", Set: func(o *options, _ string) error { o.passive = true; return nil }},
	{Name: "stack", Set: func(o *options, _ string) error { o.stack = true; return nil }},
	{Name: "once", HasArg: true, Set: setOnce, Values: "a duration such as 10s, or a number of seconds"},
	{Name: "mode", HasArg: true, Set: onceFlag("mode", setMode), Values: "summary or packet"},
	{Name: "limit", HasArg: true, Set: onceFlag("limit", func(o *options, arg string) (err error) {
		o.limit, err = parseFlagCount("limit", arg, 64)
		return err
	}), Values: "a number"},
	{Name: "trunc", HasArg: true, Set: onceFlag("trunc", func(o *options, arg string) error { return setLength(&o.trunc, "trunc", arg) }), Values: "a number"},
	{Name: "queue", HasArg: true, Set: onceFlag("queue", func(o *options, arg string) error { return setLength(&o.queue, "queue", arg) }), Values: "a number"},
	{Name: "sw", Set: onceFlag("sw", func(o *options, _ string) error { o.sw = true; return nil })},
	{Name: "hw", Set: onceFlag("hw", func(o *options, _ string) error { o.hw = true; return nil })},
	{Name: "json", Set: onceFlag("json", func(o *options, _ string) error { o.json = true; return nil })},
	{Name: "write", HasArg: true, Short: 'w', Set: onceFlag("write", func(o *options, arg string) error { o.write = arg; return nil }), Values: "a pcap file, or - for standard output"},
	{Name: "reason", HasArg: true, Set: onceFlag("reason", setReason), Values: "drop reason names such as NO_SOCKET"},
	{Name: "symbol", HasArg: true, Set: onceFlag("symbol", setSymbol), Values: "a regular expression"},
	{Name: "proto", HasArg: true, Set: onceFlag("proto", setProto), Values: "ipv4, ipv6, arp or an EtherType"},
	{Name: "ifindex", HasArg: true, Set: onceFlag("ifindex", setIfindex), Values: "a number"},
	{Name: "help", Short: 'h', Set: func(o *options, _ string) error { o.help = true; return nil }},
	{Name: "version", Set: func(o *options, _ string) error { o.version = true; return nil }},
	{Name: "completion", HasArg: true, Set: setCompletion, Values: strings.Join(completionShells, ", ")},
}, filterOptions...)

func init() { longOptions = append(longOptions, counterFlags...) }

const acceptedOptions = "-l|--lmethod kas|none|list, --kallsyms PATH, --backend auto|netdm|tracepoint, --force, --passive, --stack, " +
	"--once DURATION [--mode summary|packet] [--limit N] [--trunc N] [--queue N] [--sw] [--hw] [--json] [-w|--write FILE] " +
	"[--reason NAME] [--symbol REGEX] [--proto P] [--ifindex N] [--filter EXPR] [--host ADDR] [--port N] [--flows] [--top-by GROUP] [EXPR], " +
	"--counters [--once DURATION] [--interval DURATION] [--all] [--json], --explain [NAME], -h|--help, --version, --completion bash|zsh|fish"

// usageText is --help's text.
//
//go:embed usage.txt
var usageText string

// parseArgs parses the command line as GNU getopt_long does (see
// internal/getopt): "-l kas", "-lkas", "--lmethod kas", "--lmethod=kas",
// long names abbreviated to any unambiguous prefix ("--lm=list"), and "--"
// to end the options. The C tool ignores arguments that are not options;
// dropwatch takes them as a filter expression, as tcpdump does.
func parseArgs(args []string) (options, error) {
	o := options{backend: backendAuto}
	// The C tool's only long option, --lmethod, keeps every abbreviation
	// it had ("--l"), whatever options dropwatch adds.
	p := getopt.Parser{Args: args, MinAbbrev: 1, Prefer: "lmethod"}
	operands, stopped, err := getopt.Parse(p, longOptions, &o, (*options).acts)
	if err != nil || stopped {
		return o, optionError(err)
	}
	o.exprArgs = operands
	return done(o)
}

// acts is true when an option that ends the program at once was given.
func (o *options) acts() bool { return o.list || o.help || o.version || o.completion != "" }

// optionError words getopt's complaint as dropwatch's usage errors do:
// with the options or the values the option takes.
func optionError(err error) error {
	var e *getopt.Error
	if !errors.As(err, &e) {
		return err // a Set's own, or nil
	}
	switch e.Kind {
	case getopt.Unrecognized:
		return usageErrorf("unrecognized option '--%s'; options: %s", e.Name, acceptedOptions)
	case getopt.Invalid:
		return usageErrorf("invalid option -- '%s'; options: %s", e.Word, acceptedOptions)
	case getopt.Ambiguous:
		return usageErrorf("option '--%s' is ambiguous; possibilities: --%s", e.Name, strings.Join(e.Matches, " --"))
	case getopt.MissingArgument:
		f, _ := getopt.FindFlag(longOptions, e.Name)
		return usageErrorf("%v: %s", e, f.Values)
	}
	return usageError{e.Error()}
}

// done applies the defaults and checks the options.
func done(o options) (options, error) {
	if o.once == 0 && len(o.exprArgs) > 0 {
		return o, usageErrorf("unexpected argument '%s': a filter expression needs --once DURATION", o.exprArgs[0])
	}
	if err := o.compileFilter(); err != nil {
		return o, err
	}
	o = finish(o)
	return o, o.check()
}

// check refuses combinations of options that cannot work.
func (o options) check() error {
	if o.acts() {
		return nil
	}
	if err := o.checkCounters(); err != nil || o.ctr.counters || o.ctr.explain {
		return err
	}
	if o.once == 0 && len(o.onceOnly) > 0 {
		return usageErrorf("--%s needs --once DURATION (the REPL has set commands)", o.onceOnly[0])
	}
	switch {
	case o.json && o.write == "-":
		return usageErrorf("--json and -w - both write to standard output: give -w a file")
	case o.filter.Expr != nil && o.backend == backendTracepoint:
		return usageErrorf("--%s reads packet payloads, and the skb:kfree_skb tracepoint backend has none", o.packetFilterFlag)
	case o.write != "" && o.backend == backendTracepoint:
		return usageErrorf("-w writes NET_DM messages, and the skb:kfree_skb tracepoint backend has none")
	case o.passive && (o.mode != "" || o.trunc != nil || o.queue != nil):
		return usageErrorf("--passive never configures the kernel: --mode, --trunc and --queue cannot go with it")
	case o.packetFilterFlag != "" && o.mode == "summary":
		return usageErrorf("--%s needs --mode packet: summary alerts carry only locations and counts", o.packetFilterFlag)
	}
	if o.passive && o.force {
		return usageErrorf("--passive never sends START, so --force, which sends STOP before START, cannot go with it")
	}
	if o.stack && o.backend == backendNetDM {
		return usageErrorf("--stack needs the tracepoint backend: NET_DM alerts carry no call chain")
	}
	return nil
}

// finish applies the defaults that depend on several options.
func finish(o options) options {
	// dwdump's captures and the packet filters are of packet alerts.
	if o.mode == "" && !o.passive && (o.write != "" || o.packetFilterFlag != "") {
		o.mode = "packet"
	}
	if o.lookup == "" {
		o.lookup = lookupNone
		// Without -l (which set o.lookup), --kallsyms means kas.
		if o.kallsyms != "" {
			o.lookup = lookupKas
		}
	}
	return o
}

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// setLookup is the C tool's -l: "list" and "kas" are matched by prefix
// (strncmp), so "-l listing" lists and "-l kasxyz" selects kas.
func setLookup(o *options, arg string) error {
	switch {
	case strings.HasPrefix(arg, "list"):
		o.list = true
	case strings.HasPrefix(arg, lookupKas):
		o.lookup = lookupKas
	case arg == lookupNone:
		o.lookup = lookupNone
	default:
		return unknownMethodError{arg}
	}
	return nil
}

func setBackend(o *options, arg string) error {
	for _, b := range backendNames {
		if arg == b {
			o.backend = arg
			return nil
		}
	}
	return usageErrorf("invalid backend '%s': want %s", arg, strings.Join(backendNames, ", "))
}

// onceFlag marks a flag that only --once takes.
func onceFlag(name string, set func(o *options, arg string) error) func(o *options, arg string) error {
	return func(o *options, arg string) error {
		o.onceOnly = append(o.onceOnly, name)
		return set(o, arg)
	}
}

// setOnce parses --once: a Go duration, or a bare number of seconds.
func setOnce(o *options, arg string) error {
	d, err := time.ParseDuration(arg)
	if err != nil {
		if f, ferr := strconv.ParseFloat(arg, 64); ferr == nil && f < math.MaxInt64/float64(time.Second) {
			d, err = time.Duration(f*float64(time.Second)), nil
		}
	}
	if err != nil || d <= 0 {
		return usageErrorf("invalid --once duration '%s': want a positive Go duration (10s, 1m30s, 500ms) or a number of seconds (10)", arg)
	}
	o.once = d
	return nil
}

func setMode(o *options, arg string) error {
	if arg != "summary" && arg != "packet" {
		return usageErrorf("invalid --mode '%s': want summary or packet", arg)
	}
	o.mode = arg
	return nil
}

// parseFlagCount parses the number of --limit, --trunc, --queue.
func parseFlagCount(name, arg string, bits int) (uint64, error) {
	n, err := strconv.ParseUint(arg, 10, bits)
	if err != nil {
		return 0, usageErrorf("invalid --%s '%s': want a number from 0 to %d", name, arg, uint64(1)<<bits-1)
	}
	return n, nil
}

func setLength(p **uint32, name, arg string) error {
	n, err := parseFlagCount(name, arg, 32)
	if err != nil {
		return err
	}
	v := uint32(n)
	*p = &v
	return nil
}

// packetFilter notes a filter flag that needs packet alerts.
func (o *options) packetFilter(name string) {
	if o.packetFilterFlag == "" {
		o.packetFilterFlag = name
	}
}

// setReason takes a drop reason name (NO_SOCKET), repeated or as a comma
// list; the kernel's names are upper case, with or without the
// SKB_DROP_REASON_ prefix.
func setReason(o *options, arg string) error {
	for _, r := range strings.Split(arg, ",") {
		r = report.NormalizeReason(strings.TrimSpace(r))
		if r == "" {
			return usageErrorf("invalid --reason '%s': want drop reason names such as NO_SOCKET, separated by commas", arg)
		}
		o.filter.Reasons = append(o.filter.Reasons, r)
	}
	o.packetFilter("reason")
	return nil
}

func setSymbol(o *options, arg string) error {
	re, err := regexp.Compile(arg)
	if err != nil {
		return usageErrorf("invalid --symbol '%s': want a Go regular expression: %v", arg, err)
	}
	o.filter.Symbol = re
	return nil
}

func setProto(o *options, arg string) error {
	p, err := report.ParseProto(arg)
	if err != nil {
		return usageErrorf("invalid --proto '%s': %v", arg, err)
	}
	o.filter.Protos = append(o.filter.Protos, p)
	o.packetFilter("proto")
	return nil
}

func setIfindex(o *options, arg string) error {
	n, err := strconv.ParseUint(arg, 10, 32)
	if err != nil || n == 0 {
		return usageErrorf("invalid --ifindex '%s': want an interface index, a number from 1 (see ip link)", arg)
	}
	o.filter.Ifindexes = append(o.filter.Ifindexes, uint32(n))
	o.packetFilter("ifindex")
	return nil
}
