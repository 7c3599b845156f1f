package main

import (
	"os"

	"github.com/chzyer/readline"

	"github.com/dropwatch-go/dropwatch/internal/repl"
)

// useHistory makes the REPL at a terminal keep its history across
// sessions, as readline programs do: lines typed are appended to
// historyFile's file, and the next session's up arrow finds them.
// readline writes a line after returning it, so the line that ends the
// session ("exit") may not be written: no loss for the next session.
func useHistory(cfg *readline.Config) {
	cfg.HistoryFile = historyFile(os.Getenv)
}

// historyFile is $XDG_STATE_HOME/dropwatch/history, ~/.dropwatch_history or
// none (repl.HistoryFile).
func historyFile(getenv func(string) string) string { return repl.HistoryFile("dropwatch", getenv) }
