package repl

import (
	"os"
	"path/filepath"
	"testing"
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
			if got := HistoryFile("dropwatch", func(k string) string { return tt.env[k] }); got != tt.want {
				t.Errorf("HistoryFile = %q, want %q", got, tt.want)
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
	if got := HistoryFile("dropwatch", func(k string) string { return map[string]string{"HOME": home}[k] }); got != "" {
		t.Errorf("HistoryFile = %q, want none", got)
	}
}
