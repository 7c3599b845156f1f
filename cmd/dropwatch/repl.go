package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/chzyer/readline"
	"github.com/dropwatch-go/dropwatch/internal/repl"
)

// errIdleInterrupt is SIGINT while dropwatch waits for a command that is
// not typed at a terminal (a terminal's Ctrl-C reaches readline as a key).
var errIdleInterrupt = errors.New("interrupted")

// repl reads and runs commands until exit, the end of input or a signal,
// and returns the exit status.
func (s *session) repl(in repl.Reader) int {
	lines := &repl.Lines{In: in, Signals: s.sigs}
	for {
		line, err := s.nextLine(lines)
		var ec exitCode
		switch {
		case errors.Is(err, readline.ErrInterrupt):
			// Ctrl-C at a terminal's prompt: readline printed ^C; a new
			// prompt follows, as in a shell.
			continue
		case errors.Is(err, io.EOF):
			s.say(msgTerminating)
			return s.shutdown(0)
		case errors.Is(err, errIdleInterrupt):
			s.say(msgTerminating)
			return s.shutdown(int(signalExit(os.Interrupt)))
		case errors.As(err, &ec):
			return s.shutdown(int(ec))
		case err != nil:
			s.warn("dropwatch: reading commands: %v\n", err)
			return s.shutdown(1)
		}
		err = s.dispatch(line)
		switch {
		case errors.As(err, &ec):
			return s.shutdown(int(ec))
		case err != nil:
			fmt.Fprintln(s.stderr, err)
		}
		if err := s.out.Failed(); err != nil {
			s.warn("dropwatch: writing output: %v\n", err)
			return s.shutdown(1)
		}
	}
}

// nextLine reads a line, or ends the REPL on a signal: SIGINT ends it only
// where commands are not typed at a terminal, whose Ctrl-C reaches
// readline as a key (a SIGINT there comes from a Ctrl-C typed while a
// command ran, or from kill: ignored).
func (s *session) nextLine(lines *repl.Lines) (string, error) {
	for {
		line, sig, err := lines.Next()
		switch {
		case sig == nil:
			return line, err
		case !isInterrupt(sig):
			return "", signalExit(sig)
		case !s.terminal:
			return "", errIdleInterrupt
		}
	}
}

// shutdown stops monitoring if this process started it and did not stop
// it, then prints the C tool's last line.
func (s *session) shutdown(code int) int {
	s.cleanup()
	s.say(msgShuttingDown)
	return code
}
