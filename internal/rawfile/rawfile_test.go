package rawfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestWriterRegularFile(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	w := Writer(f)
	if _, ok := w.(*fileWriter); !ok {
		t.Fatalf("Writer(regular file) = %T, want the raw writer", w)
	}
	want := bytes.Repeat([]byte("108 drops at __udp4_lib_rcv+0x9a2\n"), 5000)
	for _, chunk := range [][]byte{want[:1], want[1:70000], want[70000:], nil} {
		n, err := w.Write(chunk)
		if n != len(chunk) || err != nil {
			t.Fatalf("Write(%d bytes) = %d, %v", len(chunk), n, err)
		}
	}
	got, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("file holds %d bytes, want the %d written", len(got), len(want))
	}

	f.Close()
	if _, err := w.Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Close: %v, want os.ErrClosed", err)
	}
}

// Pipes, and what is not a file, keep their own Write: a pipe can block for
// as long as its reader likes.
func TestWriterOthersUnchanged(t *testing.T) {
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer pw.Close()
	var buf bytes.Buffer
	for _, w := range []io.Writer{pw, &buf, io.Discard} {
		if got := Writer(w); got != w {
			t.Errorf("Writer(%T) = %T, want it unchanged", w, got)
		}
	}
}

// An error is the errno in an *os.PathError naming the file, as os.File's.
func TestWriterError(t *testing.T) {
	f, err := os.Open(filepath.Join(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// A directory is not a regular file: unchanged.
	if got := Writer(f); got != io.Writer(f) {
		t.Fatalf("Writer(directory) = %T", got)
	}
	ro, err := os.Create(filepath.Join(t.TempDir(), "ro"))
	if err != nil {
		t.Fatal(err)
	}
	ro.Close()
	rf, err := os.Open(ro.Name()) // read-only: write(2) fails with EBADF
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	_, err = Writer(rf).Write([]byte("x"))
	var pe *os.PathError
	if !errors.As(err, &pe) || pe.Path != ro.Name() || !errors.Is(err, syscall.EBADF) {
		t.Errorf("Write to a read-only file: %v, want an *os.PathError for %s with EBADF", err, ro.Name())
	}
}
