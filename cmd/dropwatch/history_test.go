package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chzyer/readline"
)

func TestHistoryFile(t *testing.T) {
	home := t.TempDir()
	state := t.TempDir()
	notDir := filepath.Join(home, "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"HOME", map[string]string{"HOME": home}, filepath.Join(home, ".dropwatch_history")},
		{"XDG_STATE_HOME", map[string]string{"HOME": home, "XDG_STATE_HOME": state}, filepath.Join(state, "dropwatch", "history")},
		{"relative XDG_STATE_HOME is ignored", map[string]string{"HOME": home, "XDG_STATE_HOME": "state"}, filepath.Join(home, ".dropwatch_history")},
		{"no HOME", map[string]string{}, ""},
		{"relative HOME", map[string]string{"HOME": "home"}, ""},
		{"HOME does not exist", map[string]string{"HOME": filepath.Join(home, "gone")}, ""},
		{"HOME is a file", map[string]string{"HOME": notDir}, ""},
		{"XDG_STATE_HOME cannot be made", map[string]string{"HOME": home, "XDG_STATE_HOME": filepath.Join(notDir, "state")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := historyFile(func(k string) string { return tt.env[k] }); got != tt.want {
				t.Errorf("historyFile = %q, want %q", got, tt.want)
			}
		})
	}
	if fi, err := os.Stat(filepath.Join(state, "dropwatch")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("state directory: %v, %v; want a 0700 directory", fi, err)
	}
}

func TestHistoryFileUnwritableHome(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes any directory")
	}
	home := t.TempDir()
	if err := os.Chmod(home, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(home, 0o700)
	if got := historyFile(func(k string) string { return map[string]string{"HOME": home}[k] }); got != "" {
		t.Errorf("historyFile = %q, want none", got)
	}
}

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
