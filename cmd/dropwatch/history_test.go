package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chzyer/readline"
)

// TestHistoryAcrossSessions types a command at a terminal, then recalls it
// with the previous-line key (Ctrl-P) in a second session. The sessions end
// at the end of input: readline saves a line after handing it over, so the
// line that ends a session ("exit") may miss the file.
func TestHistoryAcrossSessions(t *testing.T) {
	file := filepath.Join(t.TempDir(), "history")
	session := func(input string) *harness {
		h := newHarness(input)
		h.app.terminal = true
		tune := h.app.tuneReadline
		h.app.tuneReadline = func(c *readline.Config) {
			tune(c)
			c.HistoryFile = file
		}
		checkCode(t, h.run(t), 0)
		return h
	}
	session("help\nshow\n")
	b, err := os.ReadFile(file)
	if err != nil || string(b) != "help\nshow\n" {
		t.Fatalf("history file: %q, %v; want the two commands", b, err)
	}
	// Ctrl-P twice: "show", then "help".
	h := session("\x10\x10\n")
	if out := h.stdout.String(); !strings.Contains(out, helpForTest()) {
		t.Errorf("the recalled help did not run; output:\n%s", out)
	}
	b, _ = os.ReadFile(file)
	if string(b) != "help\nshow\nhelp\n" {
		t.Errorf("history file after the second session: %q", b)
	}
}

// TestNoHistoryFile: a REPL without a history file (HOME unwritable) reads
// and runs commands as usual.
func TestNoHistoryFile(t *testing.T) {
	h := newHarness("help\nexit\n")
	h.app.terminal = true
	tune := h.app.tuneReadline
	h.app.tuneReadline = func(c *readline.Config) {
		tune(c)
		c.HistoryFile = historyFile(func(string) string { return "" })
	}
	checkCode(t, h.run(t), 0)
	if out := h.stdout.String(); !strings.Contains(out, helpForTest()) || h.stderr.String() != "" {
		t.Errorf("output:\n%s\nstderr:\n%s", out, h.stderr)
	}
}
