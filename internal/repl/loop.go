package repl

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/chzyer/readline"
)

// ExitCode is an error that ends Serve with an exit status: a command's
// (exit), or a signal's (SignalExit).
type ExitCode int

func (e ExitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// SignalExit is the exit status of a shell whose child a signal killed,
// 128 plus the signal's number, which is what scripts saw when the C tool
// was killed.
func SignalExit(sig os.Signal) ExitCode {
	if n, ok := sig.(syscall.Signal); ok {
		return ExitCode(128 + int(n))
	}
	return 1
}

// ErrIdleInterrupt is SIGINT while Serve waits for a command that is not
// typed at a terminal (a terminal's Ctrl-C reaches readline as a key).
var ErrIdleInterrupt = errors.New("interrupted")

// ReadError is a failure to read commands, other than the end of input.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return "reading commands: " + e.Err.Error() }

func (e *ReadError) Unwrap() error { return e.Err }

// Serve reads lines from l and runs each with run until the input ends, a
// signal ends it, or a command returns an ExitCode. run's other errors are
// printed on errs, one line each, and the prompt comes back. check runs
// after each command: its error (standard output failed) ends Serve too.
//
// SIGINT ends Serve only where commands are not typed at a terminal:
// there a Ctrl-C reaches readline as a key, so a SIGINT comes from a
// Ctrl-C typed while a command ran, or from kill, and is ignored. Another
// signal ends Serve with its SignalExit.
//
// Serve returns the exit status and why it ended: io.EOF at the end of
// input (status 0), ErrIdleInterrupt (SIGINT's status), nil for an
// ExitCode, a *ReadError (1), or check's error (1).
func Serve(l *Lines, terminal bool, run func(line string) error, check func() error, errs io.Writer) (int, error) {
	for {
		line, err := nextLine(l, terminal)
		var ec ExitCode
		switch {
		case errors.Is(err, readline.ErrInterrupt):
			// Ctrl-C at a terminal's prompt: readline printed ^C; a new
			// prompt follows, as in a shell.
			continue
		case errors.Is(err, io.EOF):
			return 0, io.EOF
		case errors.Is(err, ErrIdleInterrupt):
			return int(SignalExit(os.Interrupt)), err
		case errors.As(err, &ec):
			return int(ec), nil
		case err != nil:
			return 1, &ReadError{err}
		}
		err = run(line)
		switch {
		case errors.As(err, &ec):
			return int(ec), nil
		case err != nil:
			fmt.Fprintln(errs, err)
		}
		if err := check(); err != nil {
			return 1, err
		}
	}
}

// nextLine reads a line, or returns why a signal ends Serve.
func nextLine(l *Lines, terminal bool) (string, error) {
	for {
		line, sig, err := l.Next()
		switch {
		case sig == nil:
			return line, err
		case sig != os.Interrupt:
			return "", SignalExit(sig)
		case !terminal:
			return "", ErrIdleInterrupt
		}
	}
}
