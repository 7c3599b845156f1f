package cpuprofile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStart(t *testing.T) {
	name := filepath.Join(t.TempDir(), "cpu.prof")
	t.Setenv(Env, name)
	var stderr bytes.Buffer
	stop := Start(&stderr)
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	stop()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	// A pprof profile is a gzip'd protocol buffer.
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("profile of %d bytes is not gzip'd", len(b))
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr: %q", stderr.String())
	}
}

func TestStartUnsetOrUnwritable(t *testing.T) {
	t.Setenv(Env, "")
	var stderr bytes.Buffer
	Start(&stderr)()
	if stderr.Len() != 0 {
		t.Errorf("unset: stderr %q", stderr.String())
	}
	t.Setenv(Env, filepath.Join(t.TempDir(), "no", "such", "dir", "cpu.prof"))
	Start(&stderr)()
	if !strings.HasPrefix(stderr.String(), Env+": ") {
		t.Errorf("unwritable: stderr %q, want it named", stderr.String())
	}
}
