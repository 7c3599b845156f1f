package repl

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/chzyer/readline"
)

// Command is one entry of a prompt's command table, which drives dispatch,
// the help text and tab completion. T is what the commands act on (a
// session), given to Check and Run. A command with Sub ("set") dispatches
// on its first argument.
type Command[T any] struct {
	Name   string
	Usage  string   // as the help text shows it
	Help   string   // the help text's description
	Values []string // completions of the (only) argument
	Sub    []Command[T]
	// Checks may refuse the command in env's state before it runs, each
	// given the command's name; the first error is the command's.
	Checks []func(env T, name string) error
	Run    func(env T, args []string) error
}

// UnknownCommandError is input that names no command of the table, or no
// sub-command (Within) of a command.
type UnknownCommandError struct{ Name, Within string }

func (e UnknownCommandError) Error() string {
	if e.Within != "" {
		return fmt.Sprintf("unknown %s setting %q; type help", e.Within, e.Name)
	}
	return fmt.Sprintf("unknown command %q; type help", e.Name)
}

// Lookup returns the command of cmds named name.
func Lookup[T any](cmds []Command[T], name string) (Command[T], bool) {
	for _, c := range cmds {
		if c.Name == name {
			return c, true
		}
	}
	return Command[T]{}, false
}

// Dispatch runs one input line. Words are separated by any run of spaces or
// tabs, so leading and trailing blanks do not matter; a blank line is no
// command.
func Dispatch[T any](cmds []Command[T], env T, line string) error {
	words := strings.Fields(line)
	if len(words) == 0 {
		return nil
	}
	return Exec(cmds, env, words)
}

// Exec runs the command words name, with its sub-command and arguments.
func Exec[T any](cmds []Command[T], env T, words []string) error {
	c, ok := Lookup(cmds, words[0])
	if !ok {
		return UnknownCommandError{Name: words[0]}
	}
	args := words[1:]
	if len(c.Sub) > 0 {
		if len(args) == 0 {
			return fmt.Errorf("%s needs one of: %s", c.Name, Names(c.Sub))
		}
		sub, ok := Lookup(c.Sub, args[0])
		if !ok {
			return UnknownCommandError{Name: args[0], Within: c.Name}
		}
		c, args = sub, args[1:]
	}
	for _, check := range c.Checks {
		if err := check(env, c.Name); err != nil {
			return err
		}
	}
	return c.Run(env, args)
}

// Names lists the names of cmds, separated by commas.
func Names[T any](cmds []Command[T]) string {
	n := make([]string, len(cmds))
	for i, c := range cmds {
		n[i] = c.Name
	}
	return strings.Join(n, ", ")
}

// NoArgs checks that the command name was given no arguments.
func NoArgs(name string, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%s takes no argument (got %q)", name, strings.Join(args, " "))
	}
	return nil
}

// OneArg returns the only argument of a command whose usage is usage.
func OneArg(usage string, args []string) (string, error) {
	if len(args) != 1 {
		return "", fmt.Errorf("usage: %s", usage)
	}
	return args[0], nil
}

// ParseCount parses a count of at most bits bits. The C tool uses strtoul,
// which turns garbage into 0 and -1 into ULONG_MAX; this refuses both.
func ParseCount(usage, arg string, bits int) (uint64, error) {
	n, err := strconv.ParseUint(arg, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("invalid number %q: usage: %s, a number from 0 to %d", arg, usage, uint64(1)<<bits-1)
	}
	return n, nil
}

// ParseBool is the C tool's strtobool: exactly true, 1, false or 0. The C
// tool ends the program on anything else; this reports it.
func ParseBool(usage, arg string) (bool, error) {
	switch arg {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("invalid boolean value %q: usage: %s", arg, usage)
}

// Completer builds readline's tab completion from the command table.
func Completer[T any](cmds []Command[T]) *readline.PrefixCompleter {
	return readline.NewPrefixCompleter(completionItems(cmds)...)
}

func completionItems[T any](cmds []Command[T]) []readline.PrefixCompleterInterface {
	items := make([]readline.PrefixCompleterInterface, 0, len(cmds))
	for _, c := range cmds {
		children := completionItems(c.Sub)
		for _, v := range c.Values {
			children = append(children, readline.PcItem(v))
		}
		items = append(items, readline.PcItem(c.Name, children...))
	}
	return items
}

// HelpFormat lays out a help text as the C tool's does: a header, then
// one line per command whose " - description" starts at Column, reached
// with tabs TabWidth apart; a command with sub-commands has a "name:" line,
// then one tab-indented line for each.
type HelpFormat struct {
	Header           string
	Column, TabWidth int
}

// WriteHelp writes the help text of cmds.
func WriteHelp[T any](b *strings.Builder, f HelpFormat, cmds []Command[T]) {
	b.WriteString(f.Header)
	for _, c := range cmds {
		WriteHelpEntry(b, f, c)
	}
}

// WriteHelpEntry writes the help text of one command.
func WriteHelpEntry[T any](b *strings.Builder, f HelpFormat, c Command[T]) {
	if len(c.Sub) == 0 {
		b.WriteString(f.tabTo(c.Usage, 0) + " - " + c.Help + "\n")
		return
	}
	b.WriteString(c.Name + ":\n")
	for _, s := range c.Sub {
		b.WriteString("\t" + f.tabTo(s.Usage, f.TabWidth) + " - " + s.Help + "\n")
	}
}

// tabTo appends tabs to s, which starts at column col, up to f.Column.
func (f HelpFormat) tabTo(s string, col int) string {
	col += len(s)
	for col < f.Column {
		s += "\t"
		col = (col/f.TabWidth + 1) * f.TabWidth
	}
	return s
}

// Values are the completions of the argument of the command that path
// names ("set", "alertmode"), nil when there is no such command.
func Values[T any](cmds []Command[T], path ...string) []string {
	var c Command[T]
	for _, name := range path {
		var ok bool
		if c, ok = Lookup(cmds, name); !ok {
			return nil
		}
		cmds = c.Sub
	}
	return c.Values
}
