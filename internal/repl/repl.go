// Package repl is dropwatch's interactive prompt without its commands: it
// reads command lines, from a terminal with line editing or from a pipe as
// GNU readline does, while the program keeps watching for signals; it
// runs them (Serve) through a command table (Command), which also gives
// the help text and tab completion, until a command, the end of input or
// a signal ends the prompt with an exit status; and it says where the
// history is kept.
package repl

import (
	"bufio"
	"io"
	"os"
	"strings"

	"github.com/chzyer/readline"
)

// Reader reads commands. ReadLine returns io.EOF at the end of input and
// readline.ErrInterrupt for Ctrl-C typed at a terminal's prompt. It runs
// in a goroutine of its own; Prompt and Echo run in the caller's, before
// and after it.
type Reader interface {
	Prompt()
	ReadLine() (string, error)
	Echo(line string, err error)
	Close()
}

// Pipe reads commands from a pipe or a file, without line editing. GNU
// readline, which the C tool uses, echoes the prompt and each line it
// reads from a pipe, so its output shows "dropwatch> start"; at the end
// of input the prompt stays without a newline ("dropwatch> Terminating
// dropwatch..."). Pipe prints the same through print.
type Pipe struct {
	r      *bufio.Reader
	prompt string
	print  func(string)
}

// NewPipe reads r, printing prompt and echoes with print.
func NewPipe(r io.Reader, prompt string, print func(string)) *Pipe {
	return &Pipe{r: bufio.NewReader(r), prompt: prompt, print: print}
}

func (p *Pipe) Prompt() { p.print(p.prompt) }

// ReadLine returns a last line that lacks its newline as a line.
func (p *Pipe) ReadLine() (string, error) {
	line, err := p.r.ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", err
	}
	return strings.TrimSuffix(line, "\n"), nil
}

func (p *Pipe) Echo(line string, err error) {
	if err == nil {
		p.print(line + "\n")
	}
}

func (p *Pipe) Close() {}

// TTY reads commands from a terminal with line editing, in-memory history
// and tab completion.
type TTY struct{ rl *readline.Instance }

// NewTTY opens readline on a terminal; tune, when not nil, adjusts the
// configuration (tests turn raw mode off).
func NewTTY(prompt string, complete readline.AutoCompleter, stdin io.Reader, stdout, stderr io.Writer, tune func(*readline.Config)) (*TTY, error) {
	cfg := &readline.Config{
		Prompt:       prompt,
		AutoComplete: complete,
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
	return &TTY{rl}, nil
}

func (t *TTY) Prompt()                   {}
func (t *TTY) ReadLine() (string, error) { return t.rl.Readline() }
func (t *TTY) Echo(string, error)        {}
func (t *TTY) Close()                    { t.rl.Close() }

// Lines reads lines from a Reader while watching for signals. The read
// runs in a goroutine that may outlive a signal; the next call of Next
// picks up its line.
type Lines struct {
	In      Reader
	Signals <-chan os.Signal

	pending chan result
}

type result struct {
	line string
	err  error
}

// Next returns the next line and the Reader's error, or the first signal
// that comes before it.
func (l *Lines) Next() (line string, sig os.Signal, err error) {
	if l.pending == nil {
		l.In.Prompt()
		ch := make(chan result, 1)
		go func() {
			line, err := l.In.ReadLine()
			ch <- result{line, err}
		}()
		l.pending = ch
	}
	select {
	case r := <-l.pending:
		l.pending = nil
		l.In.Echo(r.line, r.err)
		return r.line, nil, r.err
	case sig := <-l.Signals:
		return "", sig, nil
	}
}
