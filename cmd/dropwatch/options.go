package main

import (
	"fmt"
	"strings"
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
	// At most one of these is set: the action that ends the program at
	// once, in the order the options were given, as GNU getopt makes the
	// C tool act on "-l list" as soon as it is parsed.
	list, help, version bool
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
	short  byte // 0 when the option has no short form
	set    func(o *options, arg string) error
}

var longOptions = []longOption{
	{name: "lmethod", hasArg: true, short: 'l', set: setLookup},
	{name: "kallsyms", hasArg: true, set: func(o *options, arg string) error { o.kallsyms = arg; return nil }},
	{name: "backend", hasArg: true, set: setBackend},
	{name: "force", set: func(o *options, _ string) error { o.force = true; return nil }},
	{name: "passive", set: func(o *options, _ string) error { o.passive = true; return nil }},
	{name: "stack", set: func(o *options, _ string) error { o.stack = true; return nil }},
	{name: "help", short: 'h', set: func(o *options, _ string) error { o.help = true; return nil }},
	{name: "version", set: func(o *options, _ string) error { o.version = true; return nil }},
}

const acceptedOptions = "-l|--lmethod kas|none|list, --kallsyms PATH, --backend auto|netdm|tracepoint, --force, --passive, --stack, -h|--help, --version"

const usageText = `Usage: dropwatch [-l|--lmethod <method | list>] [--kallsyms PATH] [--backend NAME] [--force]
                 [--passive] [--stack]
       dropwatch -h|--help | --version
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
  -h, --help            print this help and exit
      --version         print the version and exit

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
			if i+1 < len(args) {
				return o, usageError{fmt.Sprintf("unexpected argument '%s'", args[i+1])}
			}
			o = finish(o, lookupGiven)
			return o, o.check()
		case strings.HasPrefix(a, "--"):
			opt, arg, i, err = parseLong(args, i)
		case strings.HasPrefix(a, "-") && a != "-":
			opt, arg, i, err = parseShort(args, i)
		default:
			return o, usageError{fmt.Sprintf("unexpected argument '%s'", a)}
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
		if o.list || o.help || o.version {
			return o, nil
		}
	}
	o = finish(o, lookupGiven)
	return o, o.check()
}

// check refuses combinations of options that cannot work.
func (o options) check() error {
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
