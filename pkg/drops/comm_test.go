package drops

import (
	"os"
	"path/filepath"
	"testing"
)

func TestComms(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "42"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "42", "comm"), []byte("dropgen\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := comms{proc: dir}
	for _, tt := range []struct {
		tid  int32
		cpu  uint32
		want string
	}{
		{42, 0, "dropgen"},
		{43, 0, ""}, // gone
		{0, 1, "swapper/1"},
		{0, 0, "swapper/0"},
	} {
		if got := c.of(tt.tid, tt.cpu); got != tt.want {
			t.Errorf("tid %d cpu %d: %q, want %q", tt.tid, tt.cpu, got, tt.want)
		}
	}
	// Read once: a rename is not seen.
	if err := os.WriteFile(filepath.Join(dir, "42", "comm"), []byte("other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := c.of(42, 0); got != "dropgen" {
		t.Errorf("tid 42 again: %q, want the first name", got)
	}
	// This process's own thread.
	var real comms
	want, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	if got := real.of(int32(os.Getpid()), 0); got+"\n" != string(want) {
		t.Errorf("own pid: %q, want %q", got, want)
	}
}
