package main

import "github.com/dropwatch-go/dropwatch/internal/repl"

// command is one entry of the REPL's command table (internal/repl), which
// drives dispatch, the help text and tab completion.
type command = repl.Command[*session]

// check is a command's check (configures, onNetDM): it refuses the command
// in a session where it cannot work.
type check = func(s *session, name string) error

// commands is in the C help text's order, then dropwatch's own.
var commands = []command{
	{Name: "exit", Usage: "exit", Help: "Quit dropwatch", Run: (*session).exit},
	{Name: "help", Usage: "help", Help: "Display this message", Run: (*session).help},
	{Name: "set", Sub: []command{
		{Name: "alertlimit", Usage: "alertlimit <number>", Help: "capture only this many alert packets", Run: (*session).setAlertLimit},
		{Name: "alertmode", Usage: "alertmode <mode>", Help: `set mode to "summary" or "packet"`, Values: []string{"summary", "packet"}, Checks: []check{configures}, Run: (*session).setAlertMode},
		{Name: "trunc", Usage: "trunc <len>", Help: `truncate packets to this length. Only applicable when "alertmode" is set to "packet"`, Checks: []check{onNetDM("its packet alerts carry no packet data"), configures}, Run: (*session).setTrunc},
		{Name: "queue", Usage: "queue <len>", Help: `queue up to this many packets in the kernel. Only applicable when "alertmode" is set to "packet"`, Checks: []check{onNetDM("it has no kernel queue; lost samples are counted instead (stats)"), configures}, Run: (*session).setQueue},
		{Name: "sw", Usage: "sw <true | false>", Help: "monitor software drops", Values: []string{"true", "false"}, Run: (*session).setSW},
		{Name: "hw", Usage: "hw <true | false>", Help: "monitor hardware drops", Values: []string{"true", "false"}, Checks: []check{onNetDM("it reports software drops only")}, Run: (*session).setHW},
	}},
	{Name: "start", Usage: "start", Help: "start capture", Run: (*session).start},
	{Name: "stop", Usage: "stop", Help: "stop capture", Run: (*session).stop},
	{Name: "show", Usage: "show", Help: "show existing configuration", Run: (*session).show},
	{Name: "stats", Usage: "stats", Help: "show statistics", Run: (*session).stats},
	// dropwatch's additions follow the C tool's commands, so that the C
	// help text stays byte for byte the first lines of ours.
	{Name: "top", Usage: "top [N] [--by GROUP]", Help: "show the drops of the last capture, most first (N rows at most)", Run: (*session).top},
}

func init() { commands = append(commands, counterCommands...) }

// dispatch runs one input line. Unknown commands are reported
// (repl.UnknownCommandError), unlike the C tool, which ignores unknown input
// silently (issue #90: "start " with a trailing space did nothing).
func (s *session) dispatch(line string) error { return repl.Dispatch(s.cmds, s, line) }

// errExit is the exit command.
var errExit error = repl.ExitCode(0)
