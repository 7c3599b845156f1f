package main

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/dropwatch-go/dropwatch/internal/report"
)

// Shell completion: "dropwatch --completion bash|zsh|fish" prints a script
// built from the option table (longOptions), the descriptions of the
// --help text and the REPL's command table, so that a new option or value
// completes without anyone editing a script.

// completionShells are the shells --completion writes a script for.
var completionShells = []string{"bash", "zsh", "fish"}

// kfreeSkbFormats are where the running kernel's skb:kfree_skb format file
// may be, tracefs first. The scripts read the drop reason names of --reason
// from the first one readable (tracefs is usually root's only), at the
// moment of completion, so that they follow the running kernel.
var kfreeSkbFormats = []string{
	"/sys/kernel/tracing/events/skb/kfree_skb/format",
	"/sys/kernel/debug/tracing/events/skb/kfree_skb/format",
}

// argCompletion is how the argument of an option completes.
type argCompletion struct {
	words   []string // these words
	files   bool     // file names
	reasons bool     // the kernel's drop reason names, comma-separated
}

// optionArgs says how the argument of each option that takes one
// completes; an empty entry completes nothing (a number, a duration, a
// regular expression). TestCompletionCoversOptions checks that every
// option with an argument has an entry.
func optionArgs() map[string]argCompletion {
	return map[string]argCompletion{
		"lmethod":    {words: []string{lookupKas, lookupNone, "list"}},
		"kallsyms":   {files: true},
		"backend":    {words: backendNames},
		"once":       {},
		"mode":       {words: settingValues("set", "alertmode")},
		"limit":      {},
		"trunc":      {},
		"queue":      {},
		"write":      {files: true},
		"reason":     {reasons: true},
		"symbol":     {},
		"proto":      {words: report.ProtoNames()},
		"ifindex":    {},
		"completion": {words: completionShells},
		"filter":     {},
		"host":       {},
		"port":       {},
		"top-by":     {words: report.GroupNames()},
	}
}

// settingValues are the values the REPL completes for a command's setting.
func settingValues(cmd, setting string) []string {
	c, _ := lookupCommand(commands, cmd)
	s, _ := lookupCommand(c.subs, setting)
	return s.values
}

// setCompletion is --completion SHELL.
func setCompletion(o *options, arg string) error {
	for _, sh := range completionShells {
		if arg == sh {
			o.completion = arg
			return nil
		}
	}
	return usageErrorf("invalid --completion shell '%s': want %s", arg, strings.Join(completionShells, ", "))
}

// printCompletion writes the completion script for shell.
func printCompletion(w io.Writer, shell string) int {
	if _, err := io.WriteString(w, completionScript(shell, kfreeSkbFormats)); err != nil {
		return 1
	}
	return 0
}

// completionScript returns the script for shell, reading reason names from
// the first readable file of formats.
func completionScript(shell string, formats []string) string {
	var b strings.Builder
	switch shell {
	case "bash":
		writeBash(&b, formats)
	case "zsh":
		writeZsh(&b, formats)
	case "fish":
		writeFish(&b, formats)
	}
	return b.String()
}

// optionDescriptions are the options' descriptions in the --help text, by
// long name, up to the end of the first sentence and at most
// maxDescription bytes.
func optionDescriptions() map[string]string {
	descs := make(map[string]string)
	// An option, and the start of its description unless the option is too
	// long to leave room for it.
	line := regexp.MustCompile(`^ {2,6}((?:-[a-z], )?--[a-z-]+(?:, --[a-z-]+)*)(?: [A-Z]+)?(?: {2,}(\S.*))?$`)
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
		if len(d) > maxDescription {
			d = d[:strings.LastIndex(d[:maxDescription-3], " ")] + "..."
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
	for _, l := range strings.Split(usageText, "\n") {
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

// maxDescription is the longest description a script shows for an option.
const maxDescription = 72

// reasonsPipeline prints the reason names of the format file in "$f", one
// per line: the quoted names of __print_symbolic(REC->reason, ...).
const reasonsPipeline = `sed -n 's/.*__print_symbolic(REC->reason,//p' "$f" 2>/dev/null | grep -o '"[A-Za-z0-9_]*"' | tr -d '"'`

func optionWords() []string {
	var words []string
	for _, o := range longOptions {
		words = append(words, "--"+o.name)
	}
	for _, o := range longOptions {
		if o.short != 0 {
			words = append(words, "-"+string(o.short))
		}
	}
	return words
}

// optionPattern is the option's names as a shell case pattern.
func optionPattern(o longOption) string {
	if o.short != 0 {
		return fmt.Sprintf("-%c|--%s", o.short, o.name)
	}
	return "--" + o.name
}

func writeBash(b *strings.Builder, formats []string) {
	args := optionArgs()
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
`, shellWords(formats), reasonsPipeline)
	for _, o := range longOptions {
		if !o.hasArg {
			continue
		}
		a := args[o.name]
		fmt.Fprintf(b, "\t%s)\n", optionPattern(o))
		switch {
		case a.files:
			b.WriteString("\t\tcompopt -o filenames 2>/dev/null\n")
			b.WriteString("\t\tmapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n")
		case a.reasons:
			// A comma-separated list: complete its last name.
			b.WriteString("\t\tlocal pre=\n\t\t[[ $cur == *,* ]] && pre=${cur%,*},\n")
			b.WriteString("\t\tmapfile -t COMPREPLY < <(compgen -P \"$pre\" -W \"$(_dropwatch_reasons)\" -- \"${cur##*,}\")\n")
		case len(a.words) > 0:
			fmt.Fprintf(b, "\t\tmapfile -t COMPREPLY < <(compgen -W %s -- \"$cur\")\n", shellQuote(strings.Join(a.words, " ")))
		}
		b.WriteString("\t\treturn 0\n\t\t;;\n")
	}
	fmt.Fprintf(b, `	esac
	mapfile -t COMPREPLY < <(compgen -W %s -- "$cur")
}

complete -F _dropwatch dropwatch
`, shellQuote(strings.Join(optionWords(), " ")))
}

func writeZsh(b *strings.Builder, formats []string) {
	args := optionArgs()
	descs := optionDescriptions()
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
`, shellWords(formats), reasonsPipeline)
	for _, o := range longOptions {
		desc := zshEscape(descs[o.name])
		var spec string
		switch {
		case o.short != 0 && o.hasArg:
			spec = fmt.Sprintf("'(-%c --%s)'{-%c+,--%s=}'[%s]", o.short, o.name, o.short, o.name, desc)
		case o.short != 0:
			spec = fmt.Sprintf("'(-%c --%s)'{-%c,--%s}'[%s]", o.short, o.name, o.short, o.name, desc)
		case o.hasArg:
			spec = fmt.Sprintf("'--%s=[%s]", o.name, desc)
		default:
			spec = fmt.Sprintf("'--%s[%s]", o.name, desc)
		}
		if o.hasArg {
			a := args[o.name]
			switch {
			case a.files:
				spec += ":file:_files"
			case a.reasons:
				spec += ":reason:_dropwatch_reasons"
			case len(a.words) > 0:
				spec += fmt.Sprintf(":%s:(%s)", o.name, strings.Join(a.words, " "))
			default:
				spec += fmt.Sprintf(":%s: ", o.name)
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

func writeFish(b *strings.Builder, formats []string) {
	args := optionArgs()
	descs := optionDescriptions()
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
`, shellWords(formats), reasonsPipeline)
	for _, o := range longOptions {
		line := "complete -c dropwatch"
		if o.short != 0 {
			line += fmt.Sprintf(" -s %c", o.short)
		}
		line += " -l " + o.name
		if o.hasArg {
			a := args[o.name]
			switch {
			case a.files:
				line += " -r -F"
			case a.reasons:
				line += " -x -a '(__dropwatch_reasons)'"
			case len(a.words) > 0:
				line += " -x -a " + shellQuote(strings.Join(a.words, " "))
			default:
				line += " -x"
			}
		}
		if d := descs[o.name]; d != "" {
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
