package main

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

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
// dropwatch adds.
type longOption struct {
	name   string
	hasArg bool
	optArg bool // the argument is optional: --opt=ARG, or --opt ARG when ARG is no option
	short  byte // 0 when the option has no short form
	set    func(o *options, arg string) error
}

var longOptions = append([]longOption{
	{name: "lmethod", hasArg: true, short: 'l', set: setLookup},
	{name: "kallsyms", hasArg: true, set: func(o *options, arg string) error { o.kallsyms = arg; return nil }},
	{name: "backend", hasArg: true, set: setBackend},
	{name: "force", set: func(o *options, _ string) error { o.force = true; return nil }},
	{name: "passive", set: func(o *options, _ string) error { o.passive = true; return nil }},
	{name: "stack", set: func(o *options, _ string) error { o.stack = true; return nil }},
	{name: "once", hasArg: true, set: setOnce},
	{name: "mode", hasArg: true, set: onceFlag("mode", setMode)},
	{name: "limit", hasArg: true, set: onceFlag("limit", func(o *options, arg string) (err error) {
		o.limit, err = parseFlagCount("limit", arg, 64)
		return err
	})},
	{name: "trunc", hasArg: true, set: onceFlag("trunc", func(o *options, arg string) error { return setLength(&o.trunc, "trunc", arg) })},
	{name: "queue", hasArg: true, set: onceFlag("queue", func(o *options, arg string) error { return setLength(&o.queue, "queue", arg) })},
	{name: "sw", set: onceFlag("sw", func(o *options, _ string) error { o.sw = true; return nil })},
	{name: "hw", set: onceFlag("hw", func(o *options, _ string) error { o.hw = true; return nil })},
	{name: "json", set: onceFlag("json", func(o *options, _ string) error { o.json = true; return nil })},
	{name: "write", hasArg: true, short: 'w', set: onceFlag("write", func(o *options, arg string) error { o.write = arg; return nil })},
	{name: "reason", hasArg: true, set: onceFlag("reason", setReason)},
	{name: "symbol", hasArg: true, set: onceFlag("symbol", setSymbol)},
	{name: "proto", hasArg: true, set: onceFlag("proto", setProto)},
	{name: "ifindex", hasArg: true, set: onceFlag("ifindex", setIfindex)},
	{name: "help", short: 'h', set: func(o *options, _ string) error { o.help = true; return nil }},
	{name: "version", set: func(o *options, _ string) error { o.version = true; return nil }},
	{name: "completion", hasArg: true, set: setCompletion},
}, filterOptions...)

func init() { longOptions = append(longOptions, counterFlags...) }

const acceptedOptions = "-l|--lmethod kas|none|list, --kallsyms PATH, --backend auto|netdm|tracepoint, --force, --passive, --stack, " +
	"--once DURATION [--mode summary|packet] [--limit N] [--trunc N] [--queue N] [--sw] [--hw] [--json] [-w|--write FILE] " +
	"[--reason NAME] [--symbol REGEX] [--proto P] [--ifindex N] [--filter EXPR] [--host ADDR] [--port N] [--flows] [--top-by GROUP] [EXPR], " +
	"--counters [--once DURATION] [--interval DURATION] [--all] [--json], --explain [NAME], -h|--help, --version, --completion bash|zsh|fish"

const usageText = `Usage: dropwatch [-l|--lmethod <method | list>] [--kallsyms PATH] [--backend NAME] [--force]
                 [--passive] [--stack]
       dropwatch --once DURATION [options above] [--mode summary|packet] [--limit N]
                 [--trunc N] [--queue N] [--sw] [--hw] [--json] [-w FILE]
                 [--reason NAME] [--symbol REGEX] [--proto P] [--ifindex N]
                 [--filter EXPR] [--host ADDR] [--port N] [--flows]
                 [--top-by GROUP] [EXPR]
       dropwatch --counters [--once DURATION] [--interval DURATION] [--all] [--json]
       dropwatch --explain [NAME]
       dropwatch -h|--help | --version | --completion bash|zsh|fish
Report the packets the Linux kernel drops, through its drop monitor (NET_DM).

Options:
  -l, --lmethod METHOD  how summary alerts name drop locations:
                          none  raw addresses (the default)
                          kas   symbols from /proc/kallsyms
                          list  list the methods and exit
      --kallsyms PATH   read symbols from PATH instead of /proc/kallsyms
                        (selects -l kas unless -l is given)
      --backend NAME    auto (the default): NET_DM if the kernel has it, else
                        the skb:kfree_skb tracepoint (said on stderr);
                        netdm: NET_DM only; tracepoint: skb:kfree_skb only
      --force           send STOP before each START, ending monitoring left
                        on by another tool or by a dropwatch that crashed
      --passive         only listen to the alerts of monitoring another tool
                        started: never configure, start or stop the kernel's
                        drop monitor (the stop command still sends STOP)
      --stack           in packet mode on the tracepoint backend, print each
                        drop's kernel call chain after its fields

Monitoring once, without the REPL:
      --once DURATION   monitor for DURATION (10s, 1m30s, or a number of
                        seconds), printing alerts as they come, then the top
                        table; also ends at the alert limit, Ctrl-C or SIGTERM.
                        Status lines go to standard error; exit 0
      --mode MODE       summary or packet (default: the kernel's current mode;
                        packet when -w or a packet filter is given)
      --limit N         stop after N alerts (set alertlimit)
      --trunc N         truncate packet alerts to N bytes (set trunc)
      --queue N         queue up to N packets in the kernel (set queue)
      --sw, --hw        monitor software / hardware drops (default: the
                        kernel's, software only)
      --json            JSON lines on standard output: one per alert, then a
                        final one with the table and the losses
  -w, --write FILE      write every NET_DM alert message to FILE as pcap, as
                        dwdump does; "-" is standard output, and then alerts
                        are not printed as text and the table goes to
                        standard error; NET_DM only
      --reason NAME     only drops with this reason (repeat, or NAME,NAME)
      --symbol REGEX    only drops at locations whose symbol matches REGEX
      --proto P         only packets of this protocol (ipv4, ipv6, arp, 0x800)
      --ifindex N       only packets received on this interface index
      --filter EXPR     only packets that the pcap-filter(7) expression EXPR
                        matches, as tcpdump would ('udp and dst port 53');
                        arguments after the options are an expression too
      --host ADDR       only packets from or to the address ADDR
      --port N          only TCP, UDP or SCTP packets from or to port N
      --flows           add a flow: line (addresses, ports, TCP flags) to
                        each packet alert's text
      --top-by GROUP    group the table by site (the default: location,
                        reason and protocol), flow, reason, interface or comm
                        (--reason, --proto, --ifindex, --filter, --host and
                        --port need packet mode)
                        After the table, the drop and error counters that grew
                        during the same time, and what they and the table's
                        drop reasons mean

Counters ("are packets dropped at all?"), without the drop monitor:
      --counters        every --interval, print the drop and error counters
                        that moved (interface, driver, softnet, SNMP MIB and
                        qdisc statistics), with delta and rate; until
                        --once's DURATION or Ctrl-C, then the totals
      --interval DURATION
                        the time between two readings (default 1s)
      --all             every counter that moved, traffic ones too
      --explain [NAME]  what a counter (UdpRcvbufErrors, softnet/dropped) or
                        a drop reason (NO_SOCKET) means and its usual remedy,
                        or every explanation, and exit

  -h, --help            print this help and exit
      --version         print the version, the Go version and the commit,
                        and exit
      --completion SHELL
                        print the completion script for bash, zsh or fish
                        and exit

Commands are read from standard input at the "dropwatch> " prompt: type help.
`

// parseArgs parses the command line as GNU getopt_long does: options and
// their arguments as "-l kas", "-lkas", "--lmethod kas", "--lmethod=kas",
// long names abbreviated to any unambiguous prefix ("--lm=list"), and "--"
// to end the options. The C tool ignores arguments that are not options;
// dropwatch refuses them.
func parseArgs(args []string) (options, error) {
	o := options{backend: backendAuto}
	lookupGiven := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		var (
			opt longOption
			arg string
			err error
		)
		switch {
		case a == "--":
			o.exprArgs = append(o.exprArgs, args[i+1:]...)
			return done(o, lookupGiven)
		case strings.HasPrefix(a, "--"):
			opt, arg, i, err = parseLong(args, i)
		case strings.HasPrefix(a, "-") && a != "-":
			opt, arg, i, err = parseShort(args, i)
		default:
			o.exprArgs = append(o.exprArgs, a) // a filter expression, as tcpdump's
			continue
		}
		if err != nil {
			return o, err
		}
		if err := opt.set(&o, arg); err != nil {
			return o, err
		}
		if opt.name == "lmethod" {
			lookupGiven = true
		}
		if o.list || o.help || o.version || o.completion != "" {
			return o, nil
		}
	}
	return done(o, lookupGiven)
}

// done applies the defaults and checks the options.
func done(o options, lookupGiven bool) (options, error) {
	if o.once == 0 && len(o.exprArgs) > 0 {
		return o, usageErrorf("unexpected argument '%s': a filter expression needs --once DURATION", o.exprArgs[0])
	}
	if err := o.compileFilter(); err != nil {
		return o, err
	}
	o = finish(o, lookupGiven)
	return o, o.check()
}

// check refuses combinations of options that cannot work.
func (o options) check() error {
	if o.list || o.help || o.version || o.completion != "" {
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
func finish(o options, lookupGiven bool) options {
	// dwdump's captures and the packet filters are of packet alerts.
	if o.mode == "" && !o.passive && (o.write != "" || o.packetFilterFlag != "") {
		o.mode = "packet"
	}
	if o.lookup == "" {
		o.lookup = lookupNone
		if o.kallsyms != "" && !lookupGiven {
			o.lookup = lookupKas
		}
	}
	return o
}

// parseLong parses the long option at args[i] and returns the index of the
// last argument it used.
func parseLong(args []string, i int) (longOption, string, int, error) {
	name, arg, hasValue := strings.Cut(args[i][2:], "=")
	opt, err := findLong(name)
	if err != nil {
		return opt, "", i, err
	}
	switch {
	case !opt.hasArg && hasValue:
		return opt, "", i, usageError{fmt.Sprintf("option '--%s' doesn't allow an argument", opt.name)}
	case opt.optArg && !hasValue && (i+1 >= len(args) || strings.HasPrefix(args[i+1], "-")):
	case opt.hasArg && !hasValue:
		if i+1 >= len(args) {
			return opt, "", i, missingArgument(opt, "option '--"+opt.name+"' requires an argument")
		}
		i++
		arg = args[i]
	}
	return opt, arg, i, nil
}

// findLong finds a long option by its name or an unambiguous prefix of it.
func findLong(name string) (longOption, error) {
	var matches []longOption
	for _, o := range longOptions {
		if o.name == name {
			return o, nil
		}
		if name != "" && strings.HasPrefix(o.name, name) {
			matches = append(matches, o)
		}
	}
	// The C tool's only long option, --lmethod, keeps every abbreviation
	// it had ("--l"), whatever options dropwatch adds.
	if len(matches) > 1 && matches[0].name == "lmethod" {
		return matches[0], nil
	}
	switch len(matches) {
	case 0:
		return longOption{}, usageError{fmt.Sprintf("unrecognized option '--%s'; options: %s", name, acceptedOptions)}
	case 1:
		return matches[0], nil
	}
	var alts []string
	for _, m := range matches {
		alts = append(alts, "--"+m.name)
	}
	return longOption{}, usageError{fmt.Sprintf("option '--%s' is ambiguous; possibilities: %s", name, strings.Join(alts, " "))}
}

// parseShort parses a cluster of short options ("-l kas", "-lkas", "-h").
// A cluster holds several options only when they take no argument, and as
// all of dropwatch's short options end the parse or take an argument, the
// first option of the cluster is the only one that matters.
func parseShort(args []string, i int) (longOption, string, int, error) {
	c := args[i][1]
	for _, o := range longOptions {
		if o.short != c {
			continue
		}
		if !o.hasArg {
			return o, "", i, nil
		}
		if rest := args[i][2:]; rest != "" {
			return o, rest, i, nil
		}
		if i+1 >= len(args) {
			return o, "", i, missingArgument(o, fmt.Sprintf("option requires an argument -- '%c'", c))
		}
		return o, args[i+1], i + 1, nil
	}
	return longOption{}, "", i, usageErrorf("invalid option -- '%c'; options: %s", c, acceptedOptions)
}

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// missingArgument names the values the option takes.
func missingArgument(o longOption, msg string) error {
	values := "kas, none or list"
	switch o.name {
	case "kallsyms":
		values = "a file in /proc/kallsyms format"
	case "backend":
		values = strings.Join(backendNames, ", ")
	case "once":
		values = "a duration such as 10s, or a number of seconds"
	case "mode":
		values = "summary or packet"
	case "limit", "trunc", "queue", "ifindex":
		values = "a number"
	case "write":
		values = "a pcap file, or - for standard output"
	case "reason":
		values = "drop reason names such as NO_SOCKET"
	case "symbol":
		values = "a regular expression"
	case "proto":
		values = "ipv4, ipv6, arp or an EtherType"
	case "completion":
		values = strings.Join(completionShells, ", ")
	}
	return usageErrorf("%s: %s", msg, values)
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
