package repl

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// HistoryFile is where program keeps the history of its prompt across
// sessions, as readline programs do: $XDG_STATE_HOME/program/history when
// XDG_STATE_HOME is set (to an absolute path, as the XDG base directory
// specification requires), else ~/.program_history. It is "" (no history,
// and no error) when that directory cannot be written, as for a system
// user whose HOME is / or does not exist.
func HistoryFile(program string, getenv func(string) string) string {
	if state := getenv("XDG_STATE_HOME"); filepath.IsAbs(state) {
		dir := filepath.Join(state, program)
		if err := os.MkdirAll(dir, 0o700); err != nil || !writableDir(dir) {
			return ""
		}
		return filepath.Join(dir, "history")
	}
	home := getenv("HOME")
	if !filepath.IsAbs(home) {
		return ""
	}
	file := filepath.Join(home, "."+program+"_history")
	if unix.Access(file, unix.W_OK) == nil || writableDir(home) {
		return file
	}
	return ""
}

func writableDir(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && fi.IsDir() && unix.Access(dir, unix.W_OK) == nil
}
