package repl

import (
	"errors"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/chzyer/readline"
)

// scripted is a Reader that returns its results in turn, then io.EOF.
type scripted struct {
	lines []string
	errs  []error
}

func (s *scripted) Prompt() {}
func (s *scripted) ReadLine() (string, error) {
	if len(s.lines) == 0 {
		return "", io.EOF
	}
	line, err := s.lines[0], s.errs[0]
	s.lines, s.errs = s.lines[1:], s.errs[1:]
	return line, err
}
func (s *scripted) Echo(string, error) {}
func (s *scripted) Close()             {}

func TestServe(t *testing.T) {
	errBroken := errors.New("read: input/output error")
	errPipe := errors.New("write: broken pipe")
	tests := []struct {
		name    string
		lines   []string
		errs    []error
		failAt  int // the command after which check fails; 0: never
		code    int
		err     error
		ran     string
		printed string
	}{
		{name: "end of input", lines: []string{"a", "bad"}, errs: []error{nil, nil}, err: io.EOF, ran: "a bad ", printed: "bad command\n"},
		{name: "exit", lines: []string{"a", "exit 3", "b"}, errs: []error{nil, nil, nil}, code: 3, ran: "a exit 3 "},
		{name: "Ctrl-C at the prompt", lines: []string{"", "a"}, errs: []error{readline.ErrInterrupt, nil}, err: io.EOF, ran: "a "},
		{name: "read error", lines: []string{""}, errs: []error{errBroken}, code: 1, err: &ReadError{errBroken}},
		{name: "output failed", lines: []string{"a", "b"}, errs: []error{nil, nil}, failAt: 1, code: 1, err: errPipe, ran: "a "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ran, printed strings.Builder
			n := 0
			run := func(line string) error {
				ran.WriteString(line + " ")
				n++
				switch {
				case line == "bad":
					return errors.New("bad command")
				case line == "exit 3":
					return ExitCode(3)
				}
				return nil
			}
			check := func() error {
				if n == tt.failAt {
					return errPipe
				}
				return nil
			}
			l := &Lines{In: &scripted{lines: tt.lines, errs: tt.errs}}
			code, err := Serve(l, false, run, check, &printed)
			if code != tt.code || err != tt.err && err.Error() != tt.err.Error() {
				t.Errorf("Serve = %d, %v; want %d, %v", code, err, tt.code, tt.err)
			}
			if ran.String() != tt.ran || printed.String() != tt.printed {
				t.Errorf("ran %q, printed %q; want %q, %q", ran.String(), printed.String(), tt.ran, tt.printed)
			}
		})
	}
}

// TestServeSignals: SIGINT ends Serve only away from a terminal; another
// signal ends it with a shell's status for it.
func TestServeSignals(t *testing.T) {
	for _, tt := range []struct {
		terminal bool
		sigs     []os.Signal
		code     int
		err      error
	}{
		{false, []os.Signal{os.Interrupt}, 130, ErrIdleInterrupt},
		{true, []os.Signal{os.Interrupt, syscall.SIGTERM}, 143, nil},
		{false, []os.Signal{syscall.SIGHUP}, 129, nil},
	} {
		sigs := make(chan os.Signal, len(tt.sigs))
		for _, s := range tt.sigs {
			sigs <- s
		}
		in := &blocked{lines: make(chan string)}
		run := func(string) error { t.Error("a command ran"); return nil }
		code, err := Serve(&Lines{In: in, Signals: sigs}, tt.terminal, run, func() error { return nil }, io.Discard)
		if code != tt.code || err != tt.err {
			t.Errorf("terminal %v, signals %v: Serve = %d, %v; want %d, %v", tt.terminal, tt.sigs, code, err, tt.code, tt.err)
		}
	}
	if c := SignalExit(fakeSignal{}); c != 1 {
		t.Errorf("SignalExit of a signal without a number = %d, want 1", c)
	}
}

type fakeSignal struct{}

func (fakeSignal) String() string { return "fake" }
func (fakeSignal) Signal()        {}
