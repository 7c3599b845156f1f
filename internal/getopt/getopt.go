// Package getopt walks command-line arguments as glibc's getopt_long does,
// for the commands that must accept what the C tools accept: dropwatch
// (src/main.c) and dwdump (src/dwdump.c) of dropwatch 1.5.4.
//
// With an optstring that starts with neither '+' nor '-' and without
// POSIXLY_CORRECT, getopt_long (glibc posix/getopt.c):
//
//   - takes options and their arguments in any order with operands, which
//     it sets aside ("permutes");
//   - ends the options at "--";
//   - clusters short options ("-qp"), whose argument may be attached
//     ("-wfile") or the next word ("-w file", even "-w -x");
//   - takes "--name=value" or "--name value", and long names abbreviated
//     to any unambiguous prefix ("--wr=file").
//
// The Parser returns the options one at a time and a typed *Error for a
// bad one, whose Error is glibc's text (without the program name) and
// whose fields let a command word it otherwise.
package getopt

import "strings"

// Option is one entry of the long option table; Short is its short form,
// 0 when it has none.
type Option struct {
	Name   string
	Short  byte
	HasArg bool
	// OptArg: the argument is optional. It is taken from "--name=value",
	// or from the next word when that is not an option (an extension of
	// dropwatch's; glibc takes an optional argument only after '=').
	OptArg bool
}

// Parser walks Args. Short options are the Shorts of Long; MinAbbrev is
// the shortest prefix a long name may be abbreviated to (glibc: 0, so that
// "--=x" is ambiguous); when a prefix is ambiguous and one of its matches
// is named Prefer, that one is taken.
type Parser struct {
	Args      []string
	Long      []Option
	MinAbbrev int
	Prefer    string

	i        int    // next word of Args
	cluster  string // rest of a word of short options being read
	operands []string
}

// ErrorKind says what was wrong with an option.
type ErrorKind int

// The kinds of Error, each a diagnostic of glibc's getopt_long.
const (
	Unrecognized    ErrorKind = iota // "unrecognized option '--%s'"
	Invalid                          // "invalid option -- '%c'"
	Ambiguous                        // "option '--%s' is ambiguous; possibilities: ..."
	NoArgument                       // "option '--%s' doesn't allow an argument"
	MissingArgument                  // "option '--%s' requires an argument", "option requires an argument -- '%c'"
)

// Error is a bad option. Word is what the user typed after "--" for a
// long option (value included), or the short option's letter; Name is the
// long name it was matched to; Matches are an ambiguous prefix's
// candidates, in table order.
type Error struct {
	Kind    ErrorKind
	Word    string
	Name    string
	Short   bool
	Option  Option
	Matches []string
}

func (e *Error) Error() string {
	switch e.Kind {
	case Unrecognized:
		return "unrecognized option '--" + e.Word + "'"
	case Invalid:
		return "invalid option -- '" + e.Word + "'"
	case Ambiguous:
		return "option '--" + e.Word + "' is ambiguous; possibilities: '--" + strings.Join(e.Matches, "' '--") + "'"
	case NoArgument:
		return "option '--" + e.Name + "' doesn't allow an argument"
	case MissingArgument:
		if e.Short {
			return "option requires an argument -- '" + e.Word + "'"
		}
		return "option '--" + e.Name + "' requires an argument"
	}
	return "bad option"
}

// Next returns the next option and its argument; ok is false when the
// options are exhausted (the end of Args, or "--").
func (p *Parser) Next() (opt Option, arg string, ok bool, err error) {
	if p.cluster == "" {
		for {
			if p.i >= len(p.Args) {
				return Option{}, "", false, nil
			}
			w := p.Args[p.i]
			p.i++
			if w == "--" {
				p.operands = append(p.operands, p.Args[p.i:]...)
				p.i = len(p.Args)
				return Option{}, "", false, nil
			}
			if strings.HasPrefix(w, "--") {
				return p.long(w[2:])
			}
			if len(w) > 1 && w[0] == '-' {
				p.cluster = w[1:]
				break
			}
			p.operands = append(p.operands, w)
		}
	}
	c := p.cluster[0]
	p.cluster = p.cluster[1:]
	for _, o := range p.Long {
		if o.Short != c || c == 0 {
			continue
		}
		switch {
		case !o.HasArg:
		case p.cluster != "":
			arg, p.cluster = p.cluster, ""
		case p.i < len(p.Args):
			arg = p.Args[p.i]
			p.i++
		default:
			return o, "", true, &Error{Kind: MissingArgument, Word: string(c), Name: o.Name, Short: true, Option: o}
		}
		return o, arg, true, nil
	}
	p.cluster = ""
	return Option{}, "", true, &Error{Kind: Invalid, Word: string(c), Short: true}
}

// Operands are the arguments that were not options, in order: those set
// aside so far and, after "--", all the rest.
func (p *Parser) Operands() []string { return p.operands }

// long handles a word that began with "--"; s is what follows.
func (p *Parser) long(s string) (Option, string, bool, error) {
	name, value, hasValue := strings.Cut(s, "=")
	var matches []Option
	for _, o := range p.Long {
		if o.Name == name {
			matches = []Option{o}
			break
		}
		if len(name) >= p.MinAbbrev && strings.HasPrefix(o.Name, name) {
			matches = append(matches, o)
		}
	}
	if len(matches) > 1 {
		for _, m := range matches {
			if m.Name == p.Prefer && p.Prefer != "" {
				matches = []Option{m}
				break
			}
		}
	}
	switch len(matches) {
	case 0:
		return Option{}, "", true, &Error{Kind: Unrecognized, Word: s, Name: name}
	case 1:
	default:
		e := &Error{Kind: Ambiguous, Word: s, Name: name}
		for _, m := range matches {
			e.Matches = append(e.Matches, m.Name)
		}
		return Option{}, "", true, e
	}
	o := matches[0]
	switch {
	case !o.HasArg && hasValue:
		return o, "", true, &Error{Kind: NoArgument, Word: s, Name: o.Name, Option: o}
	case !o.HasArg, hasValue:
		return o, value, true, nil
	case o.OptArg && (p.i >= len(p.Args) || strings.HasPrefix(p.Args[p.i], "-")):
		return o, "", true, nil
	case p.i < len(p.Args):
		p.i++
		return o, p.Args[p.i-1], true, nil
	}
	return o, "", true, &Error{Kind: MissingArgument, Word: s, Name: o.Name, Option: o}
}
