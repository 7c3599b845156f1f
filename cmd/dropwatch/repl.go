package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/chzyer/readline"
)

// lineReader reads commands. readLine returns io.EOF at the end of input
// and readline.ErrInterrupt for Ctrl-C typed at a terminal's prompt. It runs
// in a goroutine of its own; prompt and echo run in the REPL's, before and
// after it.
type lineReader interface {
	prompt()
	readLine() (string, error)
	echo(r lineResult)
	close()
}

type lineResult struct {
	line string
	err  error
}

// pipeReader reads commands from a pipe or a file, without line editing.
// GNU readline, which the C tool uses, echoes the prompt and each line it
// reads from a pipe, so its output shows "dropwatch> start"; at the end of
// input the prompt stays without a newline ("dropwatch> Terminating
// dropwatch..."). pipeReader prints the same.
type pipeReader struct {
	r   *bufio.Reader
	out *output
}

func (p *pipeReader) prompt() { p.out.print(prompt) }

// readLine returns a last line that lacks its newline as a line.
func (p *pipeReader) readLine() (string, error) {
	line, err := p.r.ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", err
	}
	return strings.TrimSuffix(line, "\n"), nil
}

func (p *pipeReader) echo(r lineResult) {
	if r.err == nil {
		p.out.print(r.line + "\n")
	}
}

func (p *pipeReader) close() {}

// ttyReader reads commands from a terminal with line editing, in-memory
// history and tab completion from the command table.
type ttyReader struct{ rl *readline.Instance }

func newTTYReader(stdin io.Reader, stdout, stderr io.Writer, tune func(*readline.Config)) (*ttyReader, error) {
	cfg := &readline.Config{
		Prompt:       prompt,
		AutoComplete: completer(commands),
		Stdin:        io.NopCloser(stdin),
		Stdout:       stdout,
		Stderr:       stderr,
		// readline prints these and a newline on Ctrl-C and Ctrl-D; "\n"
		// means nothing but the newline.
		InterruptPrompt: "^C",
		EOFPrompt:       "\n",
		FuncIsTerminal:  func() bool { return true },
	}
	if tune != nil {
		tune(cfg)
	}
	rl, err := readline.NewEx(cfg)
	if err != nil {
		return nil, err
	}
	return &ttyReader{rl}, nil
}

func (t *ttyReader) prompt() {}

func (t *ttyReader) readLine() (string, error) { return t.rl.Readline() }

func (t *ttyReader) echo(lineResult) {}

func (t *ttyReader) close() { t.rl.Close() }

// errIdleInterrupt is SIGINT while dropwatch waits for a command that is
// not typed at a terminal (a terminal's Ctrl-C reaches readline as a key).
var errIdleInterrupt = errors.New("interrupted")

// repl reads and runs commands until exit, the end of input or a signal,
// and returns the exit status.
func (s *session) repl(in lineReader) int {
	for {
		line, err := s.nextLine(in)
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
		if err := s.out.failed(); err != nil {
			s.warn("dropwatch: writing output: %v\n", err)
			return s.shutdown(1)
		}
	}
}

// nextLine reads a line while watching for signals. The read runs in a
// goroutine that may outlive a signal; the next call picks up its line.
func (s *session) nextLine(in lineReader) (string, error) {
	if s.pending == nil {
		in.prompt()
		ch := make(chan lineResult, 1)
		go func() {
			line, err := in.readLine()
			ch <- lineResult{line, err}
		}()
		s.pending = ch
	}
	for {
		select {
		case r := <-s.pending:
			s.pending = nil
			in.echo(r)
			return r.line, r.err
		case sig := <-s.sigs:
			switch {
			case !isInterrupt(sig):
				return "", signalExit(sig)
			case !s.terminal:
				return "", errIdleInterrupt
			}
			// A SIGINT at a terminal comes from a Ctrl-C typed while a
			// command ran, or from kill: ignore it.
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
