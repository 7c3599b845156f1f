package report

import (
	"errors"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// failAfter fails every write after the first n bytes.
type failAfter struct {
	b strings.Builder
	n int
}

func (f *failAfter) Write(p []byte) (int, error) {
	if f.b.Len()+len(p) > f.n {
		return 0, syscall.EPIPE
	}
	return f.b.Write(p)
}

// TestOutputStopsAtFirstError: after a failed write nothing is written,
// even what would fit, and Failed keeps the first error.
func TestOutputStopsAtFirstError(t *testing.T) {
	w := &failAfter{n: 6}
	o := NewOutput(w)
	o.Print("one\n")
	if err := o.Failed(); err != nil {
		t.Fatalf("Failed = %v after a good write", err)
	}
	o.Write([]byte("three\n"))
	o.Print("2\n")
	if err := o.Failed(); !errors.Is(err, syscall.EPIPE) {
		t.Errorf("Failed = %v, want EPIPE", err)
	}
	if got := w.b.String(); got != "one\n" {
		t.Errorf("written %q, want only the write before the failure", got)
	}
}

// TestOutputConcurrent: writes of several goroutines are whole lines.
func TestOutputConcurrent(t *testing.T) {
	var b strings.Builder
	o := NewOutput(&b)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				o.Print("line\n")
				o.Write([]byte("bytes\n"))
			}
		})
	}
	wg.Wait()
	for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if l != "line" && l != "bytes" {
			t.Fatalf("torn line %q", l)
		}
	}
	if o.Failed() != nil {
		t.Error(o.Failed())
	}
}
