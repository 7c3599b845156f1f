// Package completion writes dropwatch's bash, zsh and fish completion
// scripts from its option table, so that a new option or value completes
// without anyone editing a script. Arguments complete from a fixed list of
// words, from file names, or from the drop reason names of the running
// kernel's skb:kfree_skb format file, read when the user presses Tab.
package completion

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/dropwatch-go/dropwatch/internal/getopt"
)

// Shells are the shells Script writes for.
var Shells = []string{"bash", "zsh", "fish"}

// Arg is how an option's argument completes; the zero Arg completes
// nothing (a number, a duration, a regular expression).
type Arg struct {
	Words   []string // these words
	Files   bool     // file names
	Reasons bool     // the kernel's drop reason names, comma-separated
}

// Option is one option of the command.
type Option struct {
	Name   string // long name, without "--"
	Short  byte   // 0 when it has none
	HasArg bool
	Arg    Arg
	Desc   string // what zsh and fish show beside it
}

// KfreeSkbFormats are where the running kernel's skb:kfree_skb format
// file may be, tracefs first, for Spec.ReasonFormats: the scripts read the
// drop reason names from the first one readable (tracefs is usually
// root's only), at the moment of completion, so that they follow the
// running kernel.
var KfreeSkbFormats = []string{
	"/sys/kernel/tracing/events/skb/kfree_skb/format",
	"/sys/kernel/debug/tracing/events/skb/kfree_skb/format",
}

// FromFlags are the options of a getopt table: how each argument
// completes is args[name], and the description that of the --help text
// help (Descriptions).
func FromFlags[T any](flags []getopt.Flag[T], args map[string]Arg, help string) []Option {
	descs := Descriptions(help)
	opts := make([]Option, len(flags))
	for i, f := range flags {
		opts[i] = Option{Name: f.Name, Short: f.Short, HasArg: f.HasArg, Arg: args[f.Name], Desc: descs[f.Name]}
	}
	return opts
}

// Spec is what the scripts are made of.
type Spec struct {
	Options []Option
	// ReasonFormats are where the skb:kfree_skb format file may be, in
	// the order to try: the scripts read reason names from the first
	// readable one.
	ReasonFormats []string
}

// Script returns the completion script of s for shell, one of Shells, or
// "" for another shell.
func Script(shell string, s Spec) string {
	var b strings.Builder
	switch shell {
	case "bash":
		writeBash(&b, s)
	case "zsh":
		writeZsh(&b, s)
	case "fish":
		writeFish(&b, s)
	}
	return b.String()
}

// Descriptions are the options' descriptions in a --help text, by long
// name, up to the end of the first sentence and at most MaxDescription
// bytes. The help text lists each option from column 2 to 6
// ("  -l, --lmethod METHOD  text"), continued from column 20 on.
func Descriptions(help string) map[string]string {
	descs := make(map[string]string)
	// An option, and the start of its description unless the option is too
	// long to leave room for it.
	line := regexp.MustCompile(`^ {2,6}((?:-[a-z], )?--[a-z-]+(?:, --[a-z-]+)*)(?: \[?[A-Z]+\]?)?(?: {2,}(\S.*))?$`)
	cont := regexp.MustCompile(`^ {20,}(\S.*)$`)
	name := regexp.MustCompile(`--([a-z][a-z-]*)`)
	var names []string
	var text []string
	flush := func() {
		d := strings.Join(text, " ")
		if len(text) > 0 && strings.HasSuffix(text[0], ":") {
			d = text[0] // a list follows
		}
		if i := strings.IndexAny(d, ";"); i >= 0 {
			d = d[:i]
		}
		if i := strings.Index(d, ". "); i >= 0 {
			d = d[:i]
		}
		d = strings.TrimSuffix(d, ":")
		if len(d) > MaxDescription {
			d = d[:strings.LastIndex(d[:MaxDescription-3], " ")] + "..."
		}
		// No parenthesis left open by the cuts.
		if strings.Count(d, "(") > strings.Count(d, ")") {
			d = strings.TrimSuffix(d[:strings.LastIndex(d, " (")], ",")
		}
		for _, n := range names {
			descs[n] = d
		}
		names, text = nil, nil
	}
	for _, l := range strings.Split(help, "\n") {
		if m := line.FindStringSubmatch(l); m != nil {
			flush()
			for _, n := range name.FindAllStringSubmatch(m[1], -1) {
				names = append(names, n[1])
			}
			text = nil
			if m[2] != "" {
				text = []string{m[2]}
			}
			continue
		}
		if m := cont.FindStringSubmatch(l); m != nil && names != nil {
			text = append(text, m[1])
			continue
		}
		flush()
	}
	flush()
	return descs
}

// MaxDescription is the longest description a script shows for an option.
const MaxDescription = 72

// reasonsPipeline prints the reason names of the format file in "$f", one
// per line: the quoted names of __print_symbolic(REC->reason, ...).
const reasonsPipeline = `sed -n 's/.*__print_symbolic(REC->reason,//p' "$f" 2>/dev/null | grep -o '"[A-Za-z0-9_]*"' | tr -d '"'`

// Words are every option's names, long ones first.
func Words(opts []Option) []string {
	var words []string
	for _, o := range opts {
		words = append(words, "--"+o.Name)
	}
	for _, o := range opts {
		if o.Short != 0 {
			words = append(words, "-"+string(o.Short))
		}
	}
	return words
}

// optionPattern is the option's names as a shell case pattern.
func optionPattern(o Option) string {
	if o.Short != 0 {
		return fmt.Sprintf("-%c|--%s", o.Short, o.Name)
	}
	return "--" + o.Name
}

func writeBash(b *strings.Builder, s Spec) {
	fmt.Fprintf(b, `# bash completion for dropwatch; generated by "dropwatch --completion bash".
# Load it with: source <(dropwatch --completion bash)

_dropwatch_reasons() {
	local f
	for f in %s; do
		if [[ -r $f ]]; then
			%s
			return
		fi
	done
}

_dropwatch() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD-1]}
	# "=" is a word of its own in COMP_WORDS: --backend=net is
	# "--backend" "=" "net".
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD-2]}
	fi
	COMPREPLY=()
	case $prev in
`, shellWords(s.ReasonFormats), reasonsPipeline)
	for _, o := range s.Options {
		if !o.HasArg {
			continue
		}
		a := o.Arg
		fmt.Fprintf(b, "\t%s)\n", optionPattern(o))
		switch {
		case a.Files:
			b.WriteString("\t\tcompopt -o filenames 2>/dev/null\n")
			b.WriteString("\t\tmapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n")
		case a.Reasons:
			// A comma-separated list: complete its last name.
			b.WriteString("\t\tlocal pre=\n\t\t[[ $cur == *,* ]] && pre=${cur%,*},\n")
			b.WriteString("\t\tmapfile -t COMPREPLY < <(compgen -P \"$pre\" -W \"$(_dropwatch_reasons)\" -- \"${cur##*,}\")\n")
		case len(a.Words) > 0:
			fmt.Fprintf(b, "\t\tmapfile -t COMPREPLY < <(compgen -W %s -- \"$cur\")\n", shellQuote(strings.Join(a.Words, " ")))
		}
		b.WriteString("\t\treturn 0\n\t\t;;\n")
	}
	fmt.Fprintf(b, `	esac
	mapfile -t COMPREPLY < <(compgen -W %s -- "$cur")
}

complete -F _dropwatch dropwatch
`, shellQuote(strings.Join(Words(s.Options), " ")))
}

func writeZsh(b *strings.Builder, s Spec) {
	fmt.Fprintf(b, `#compdef dropwatch
# zsh completion for dropwatch; generated by "dropwatch --completion zsh".
# Install it as _dropwatch in a directory of $fpath, or load it with:
# source <(dropwatch --completion zsh)

_dropwatch_reasons() {
	local f
	local -a reasons
	for f in %s; do
		if [[ -r $f ]]; then
			reasons=(${(f)"$(%s)"})
			break
		fi
	done
	if (( ${#reasons} )); then
		_values -s , 'drop reason' $reasons
	else
		_message 'drop reason name, such as NO_SOCKET'
	fi
}

_dropwatch() {
	_arguments -s -S \
`, shellWords(s.ReasonFormats), reasonsPipeline)
	for _, o := range s.Options {
		desc := zshEscape(o.Desc)
		var spec string
		switch {
		case o.Short != 0 && o.HasArg:
			spec = fmt.Sprintf("'(-%c --%s)'{-%c+,--%s=}'[%s]", o.Short, o.Name, o.Short, o.Name, desc)
		case o.Short != 0:
			spec = fmt.Sprintf("'(-%c --%s)'{-%c,--%s}'[%s]", o.Short, o.Name, o.Short, o.Name, desc)
		case o.HasArg:
			spec = fmt.Sprintf("'--%s=[%s]", o.Name, desc)
		default:
			spec = fmt.Sprintf("'--%s[%s]", o.Name, desc)
		}
		if o.HasArg {
			a := o.Arg
			switch {
			case a.Files:
				spec += ":file:_files"
			case a.Reasons:
				spec += ":reason:_dropwatch_reasons"
			case len(a.Words) > 0:
				spec += fmt.Sprintf(":%s:(%s)", o.Name, strings.Join(a.Words, " "))
			default:
				spec += fmt.Sprintf(":%s: ", o.Name)
			}
		}
		b.WriteString("\t\t" + spec + "' \\\n")
	}
	b.WriteString(`		&& return 0
	return 1
}

# Autoloaded from $fpath, this file is _dropwatch's body; sourced, it
# registers _dropwatch.
if [[ $funcstack[1] == _dropwatch ]]; then
	_dropwatch "$@"
else
	compdef _dropwatch dropwatch
fi
`)
}

func writeFish(b *strings.Builder, s Spec) {
	fmt.Fprintf(b, `# fish completion for dropwatch; generated by "dropwatch --completion fish".
# Load it with: dropwatch --completion fish | source

function __dropwatch_reasons
	for f in %s
		if test -r $f
			%s
			return
		end
	end
end

complete -c dropwatch -f
`, shellWords(s.ReasonFormats), reasonsPipeline)
	for _, o := range s.Options {
		line := "complete -c dropwatch"
		if o.Short != 0 {
			line += fmt.Sprintf(" -s %c", o.Short)
		}
		line += " -l " + o.Name
		if o.HasArg {
			a := o.Arg
			switch {
			case a.Files:
				line += " -r -F"
			case a.Reasons:
				line += " -x -a '(__dropwatch_reasons)'"
			case len(a.Words) > 0:
				line += " -x -a " + shellQuote(strings.Join(a.Words, " "))
			default:
				line += " -x"
			}
		}
		if d := o.Desc; d != "" {
			line += " -d " + shellQuote(d)
		}
		b.WriteString(line + "\n")
	}
}

// shellWords quotes each word for sh.
func shellWords(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = shellQuote(w)
	}
	return strings.Join(q, " ")
}

// shellQuote quotes s in single quotes, for sh, zsh and fish alike.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// zshEscape makes s safe inside a single-quoted _arguments description.
func zshEscape(s string) string {
	s = strings.ReplaceAll(s, "'", `'\''`)
	s = strings.ReplaceAll(s, "[", `\[`)
	return strings.ReplaceAll(s, "]", `\]`)
}
