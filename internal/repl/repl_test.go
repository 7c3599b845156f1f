package repl

import (
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestPipe: the prompt and each line read are echoed, as GNU readline does
// reading a pipe; a last line without its newline is a line; at the end of
// input the prompt stays without a newline.
func TestPipe(t *testing.T) {
	var out strings.Builder
	l := &Lines{In: NewPipe(strings.NewReader("start\n\nstop"), "dropwatch> ", func(s string) { out.WriteString(s) })}
	var lines []string
	for {
		line, sig, err := l.Next()
		if sig != nil {
			t.Fatalf("signal %v", sig)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	if diff := cmp.Diff([]string{"start", "", "stop"}, lines); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	want := "dropwatch> start\ndropwatch> \ndropwatch> stop\ndropwatch> "
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

// blocked is a Reader whose ReadLine returns what is sent on lines.
type blocked struct {
	lines   chan string
	prompts int
}

func (b *blocked) Prompt()                   { b.prompts++ }
func (b *blocked) ReadLine() (string, error) { return <-b.lines, nil }
func (b *blocked) Echo(string, error)        {}
func (b *blocked) Close()                    {}

// TestSignalKeepsPendingRead: a signal while a line is being read is
// returned at once, and the read goes on: the next Next returns its line
// without a second prompt or a second reader.
func TestSignalKeepsPendingRead(t *testing.T) {
	in := &blocked{lines: make(chan string)}
	sigs := make(chan os.Signal, 1)
	l := &Lines{In: in, Signals: sigs}
	sigs <- syscall.SIGHUP
	if _, sig, _ := l.Next(); sig != syscall.SIGHUP {
		t.Fatalf("signal %v, want SIGHUP", sig)
	}
	go func() {
		time.Sleep(10 * time.Millisecond)
		in.lines <- "stats"
	}()
	line, sig, err := l.Next()
	if line != "stats" || sig != nil || err != nil || in.prompts != 1 {
		t.Errorf("got %q %v %v after %d prompts, want stats after 1", line, sig, err, in.prompts)
	}
}
