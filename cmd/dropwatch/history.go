package main

import (
	"os"
	"path/filepath"

	"github.com/chzyer/readline"
	"golang.org/x/sys/unix"
)

// useHistory makes the REPL at a terminal keep its history across
// sessions, as readline programs do: lines typed are appended to
// historyFile's file, and the next session's up arrow finds them.
// readline writes a line after returning it, so the line that ends the
// session ("exit") may not be written: no loss for the next session.
func useHistory(cfg *readline.Config) {
	cfg.HistoryFile = historyFile(os.Getenv)
}

// historyFile is where the history is kept: $XDG_STATE_HOME/dropwatch/history
// when XDG_STATE_HOME is set (to an absolute path, as the XDG base
// directory specification requires), else ~/.dropwatch_history. It is ""
// (no history, and no error) when that directory cannot be written, as for
// a system user whose HOME is / or does not exist.
func historyFile(getenv func(string) string) string {
	if state := getenv("XDG_STATE_HOME"); filepath.IsAbs(state) {
		dir := filepath.Join(state, "dropwatch")
		if err := os.MkdirAll(dir, 0o700); err != nil || !writableDir(dir) {
			return ""
		}
		return filepath.Join(dir, "history")
	}
	home := getenv("HOME")
	if !filepath.IsAbs(home) {
		return ""
	}
	file := filepath.Join(home, ".dropwatch_history")
	if unix.Access(file, unix.W_OK) == nil || writableDir(home) {
		return file
	}
	return ""
}

func writableDir(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && fi.IsDir() && unix.Access(dir, unix.W_OK) == nil
}
