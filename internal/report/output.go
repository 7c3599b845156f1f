package report

import (
	"io"
	"sync"
)

// Output is a writer shared by goroutines that remembers its first write
// error (EPIPE when the reader of a pipe went away) and writes nothing
// after it, so that the program can notice it once, stop monitoring and
// exit, instead of checking every write.
type Output struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

// NewOutput returns an Output that writes to w.
func NewOutput(w io.Writer) *Output { return &Output{w: w} }

// Print writes s, unless a write failed before.
func (o *Output) Print(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err == nil {
		_, o.err = io.WriteString(o.w, s)
	}
}

// Write is Print for bytes.
func (o *Output) Write(p []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err == nil {
		_, o.err = o.w.Write(p)
	}
}

// Failed is the first write error, nil if none.
func (o *Output) Failed() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}
