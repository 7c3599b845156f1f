package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/chzyer/readline"
)

// command is one entry of the REPL's command table, which drives dispatch,
// the help text and tab completion. A command with subs ("set") dispatches
// on its first argument.
type command struct {
	name   string
	usage  string   // as the C help text shows it
	help   string   // the C help text's description
	values []string // completions of the (only) argument
	subs   []command
	run    func(s *session, args []string) error
}

// commands is in the C help text's order, then dropwatch's own.
var commands = []command{
	{name: "exit", usage: "exit", help: "Quit dropwatch", run: (*session).exit},
	{name: "help", usage: "help", help: "Display this message", run: (*session).help},
	{name: "set", subs: []command{
		{name: "alertlimit", usage: "alertlimit <number>", help: "capture only this many alert packets", run: (*session).setAlertLimit},
		{name: "alertmode", usage: "alertmode <mode>", help: `set mode to "summary" or "packet"`, values: []string{"summary", "packet"}, run: (*session).setAlertMode},
		{name: "trunc", usage: "trunc <len>", help: `truncate packets to this length. Only applicable when "alertmode" is set to "packet"`, run: (*session).setTrunc},
		{name: "queue", usage: "queue <len>", help: `queue up to this many packets in the kernel. Only applicable when "alertmode" is set to "packet"`, run: (*session).setQueue},
		{name: "sw", usage: "sw <true | false>", help: "monitor software drops", values: []string{"true", "false"}, run: (*session).setSW},
		{name: "hw", usage: "hw <true | false>", help: "monitor hardware drops", values: []string{"true", "false"}, run: (*session).setHW},
	}},
	{name: "start", usage: "start", help: "start capture", run: (*session).start},
	{name: "stop", usage: "stop", help: "stop capture", run: (*session).stop},
	{name: "show", usage: "show", help: "show existing configuration", run: (*session).show},
	{name: "stats", usage: "stats", help: "show statistics", run: (*session).stats},
	// dropwatch's additions follow the C tool's commands, so that the C
	// help text stays byte for byte the first lines of ours.
	{name: "top", usage: "top [N] [--by GROUP]", help: "show the drops of the last capture, most first (N rows at most)", run: (*session).top},
}

func init() { commands = append(commands, counterCommands...) }

// errUnknownCommand is reported, unlike the C tool, which ignores unknown
// input silently (issue #90: "start " with a trailing space did nothing).
type errUnknownCommand struct{ name, within string }

func (e errUnknownCommand) Error() string {
	if e.within != "" {
		return fmt.Sprintf("unknown %s setting %q; type help", e.within, e.name)
	}
	return fmt.Sprintf("unknown command %q; type help", e.name)
}

func lookupCommand(cmds []command, name string) (command, bool) {
	for _, c := range cmds {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// dispatch runs one input line. Words are separated by any run of spaces or
// tabs, so leading and trailing blanks do not matter.
func (s *session) dispatch(line string) error {
	words := strings.Fields(line)
	if len(words) == 0 {
		return nil
	}
	c, ok := lookupCommand(s.cmds, words[0])
	if !ok {
		return errUnknownCommand{name: words[0]}
	}
	args := words[1:]
	if len(c.subs) > 0 {
		if len(args) == 0 {
			return fmt.Errorf("%s needs one of: %s", c.name, names(c.subs))
		}
		sub, ok := lookupCommand(c.subs, args[0])
		if !ok {
			return errUnknownCommand{name: args[0], within: c.name}
		}
		c, args = sub, args[1:]
	}
	return c.run(s, args)
}

func names(cmds []command) string {
	n := make([]string, len(cmds))
	for i, c := range cmds {
		n[i] = c.name
	}
	return strings.Join(n, ", ")
}

// noArgs checks that a command was given no arguments.
func noArgs(name string, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%s takes no argument (got %q)", name, strings.Join(args, " "))
	}
	return nil
}

// oneArg returns the only argument of a setting.
func oneArg(usage string, args []string) (string, error) {
	if len(args) != 1 {
		return "", fmt.Errorf("usage: set %s", usage)
	}
	return args[0], nil
}

// parseCount parses the number of "set alertlimit", "set trunc" and "set
// queue". The C tool uses strtoul, which turns garbage into 0 and -1 into
// ULONG_MAX; dropwatch refuses both.
func parseCount(usage, arg string, bits int) (uint64, error) {
	n, err := strconv.ParseUint(arg, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("invalid number %q: usage: set %s, a number from 0 to %d", arg, usage, uint64(1)<<bits-1)
	}
	return n, nil
}

// parseBool is the C tool's strtobool: exactly true, 1, false or 0. The C
// tool ends the program on anything else; dropwatch reports it.
func parseBool(usage, arg string) (bool, error) {
	switch arg {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("invalid boolean value %q: usage: set %s", arg, usage)
}

// errExit is the exit command.
var errExit error = exitCode(0)

// completer builds readline's tab completion from the command table.
func completer(cmds []command) *readline.PrefixCompleter {
	return readline.NewPrefixCompleter(completionItems(cmds)...)
}

func completionItems(cmds []command) []readline.PrefixCompleterInterface {
	items := make([]readline.PrefixCompleterInterface, 0, len(cmds))
	for _, c := range cmds {
		children := completionItems(c.subs)
		for _, v := range c.values {
			children = append(children, readline.PcItem(v))
		}
		items = append(items, readline.PcItem(c.name, children...))
	}
	return items
}
