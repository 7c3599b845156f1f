package main

import (
	"fmt"
	"strings"
)

// longOption is one entry of getopt_long's option table.
type longOption struct {
	name   string
	hasArg bool // required_argument; dwdump has no optional arguments
	short  byte // what getopt_long returns for it
}

// getopt walks arguments as glibc's getopt_long does with an optstring
// that starts with neither '+' nor '-' and without POSIXLY_CORRECT:
//
//   - options and their arguments may come in any order with operands,
//     which are skipped ("permuted");
//   - "--" ends the options;
//   - short options cluster ("-qp"), and an argument may be attached
//     ("-wfile") or the next word ("-w file", even "-w -x");
//   - long options take "--name=value" or "--name value", and may be
//     abbreviated to any unambiguous prefix ("--wr=file").
//
// Diagnostics are glibc's texts, prefixed with the program name as argv[0]
// gives it.
type getopt struct {
	prog      string
	args      []string
	optstring string
	longs     []longOption

	i       int    // next word of args
	cluster string // rest of a word of short options being read
}

// next returns the next option and its argument. done is true when the
// options are exhausted. A non-empty diag is getopt's diagnostic for a bad
// option (the caller prints it; getopt_long would return '?').
func (g *getopt) next() (opt byte, arg string, done bool, diag string) {
	if g.cluster == "" {
		for {
			if g.i >= len(g.args) {
				return 0, "", true, ""
			}
			w := g.args[g.i]
			g.i++
			if w == "--" {
				return 0, "", true, ""
			}
			if strings.HasPrefix(w, "--") {
				return g.long(w[2:])
			}
			if len(w) > 1 && w[0] == '-' {
				g.cluster = w[1:]
				break
			}
			// An operand: dwdump takes none and ignores them.
		}
	}
	c := g.cluster[0]
	g.cluster = g.cluster[1:]
	k := strings.IndexByte(g.optstring, c)
	if c == ':' || k < 0 {
		return 0, "", false, fmt.Sprintf("%s: invalid option -- '%c'", g.prog, c)
	}
	if k+1 >= len(g.optstring) || g.optstring[k+1] != ':' {
		return c, "", false, ""
	}
	switch {
	case g.cluster != "":
		arg, g.cluster = g.cluster, ""
	case g.i < len(g.args):
		arg = g.args[g.i]
		g.i++
	default:
		return 0, "", false, fmt.Sprintf("%s: option requires an argument -- '%c'", g.prog, c)
	}
	return c, arg, false, ""
}

// long handles a word that began with "--"; s is what follows.
func (g *getopt) long(s string) (opt byte, arg string, done bool, diag string) {
	name, value, hasValue := strings.Cut(s, "=")
	var matches []longOption
	for _, o := range g.longs {
		if o.name == name {
			matches = []longOption{o}
			break
		}
		if strings.HasPrefix(o.name, name) {
			matches = append(matches, o)
		}
	}
	switch {
	case len(matches) == 0:
		return 0, "", false, fmt.Sprintf("%s: unrecognized option '--%s'", g.prog, s)
	case len(matches) > 1:
		d := fmt.Sprintf("%s: option '--%s' is ambiguous; possibilities:", g.prog, s)
		for _, m := range matches {
			d += " '--" + m.name + "'"
		}
		return 0, "", false, d
	}
	o := matches[0]
	switch {
	case !o.hasArg && hasValue:
		return 0, "", false, fmt.Sprintf("%s: option '--%s' doesn't allow an argument", g.prog, o.name)
	case !o.hasArg:
		return o.short, "", false, ""
	case hasValue:
		return o.short, value, false, ""
	case g.i < len(g.args):
		g.i++
		return o.short, g.args[g.i-1], false, ""
	}
	return 0, "", false, fmt.Sprintf("%s: option '--%s' requires an argument", g.prog, o.name)
}
