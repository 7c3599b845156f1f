package main

import (
	"errors"
	"io"

	"github.com/dropwatch-go/dropwatch/internal/repl"
)

// repl reads and runs commands until exit, the end of input or a signal
// (repl.Serve), and returns the exit status.
func (s *session) repl(in repl.Reader) int {
	lines := &repl.Lines{In: in, Signals: s.sigs}
	code, err := repl.Serve(lines, s.terminal, s.dispatch, s.out.Failed, s.stderr)
	var re *repl.ReadError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, repl.ErrIdleInterrupt):
		s.say(msgTerminating)
	case errors.As(err, &re):
		s.warn("dropwatch: %v\n", re)
	case err != nil:
		s.warn("dropwatch: writing output: %v\n", err)
	}
	return s.shutdown(code)
}

// shutdown stops monitoring if this process started it and did not stop
// it, then prints the C tool's last line.
func (s *session) shutdown(code int) int {
	s.cleanup()
	s.say(msgShuttingDown)
	return code
}
