// Command dropwatch reports the packets the Linux kernel drops. It is a
// drop-in replacement for the C dropwatch 1.5.4: the same options, the same
// interactive commands and the same output, through the kernel's drop
// monitor (the NET_DM generic netlink family).
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/chzyer/readline"

	"github.com/dropwatch-go/dropwatch/internal/cpuprofile"
	"github.com/dropwatch-go/dropwatch/internal/lowmem"
	"github.com/dropwatch-go/dropwatch/internal/procs"
	"github.com/dropwatch-go/dropwatch/internal/rawfile"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
	"github.com/dropwatch-go/dropwatch/pkg/nlpcap"
)

func main() {
	// First: lowmem may execute the command again (internal/lowmem).
	lowmem.Setup()
	procs.Limit()
	stopProfile := cpuprofile.Start(os.Stderr)
	// Standard output redirected to a file is written without the
	// runtime's system call path (internal/rawfile).
	code := run(context.Background(), os.Args[1:], os.Stdin, rawfile.Writer(os.Stdout), os.Stderr)
	stopProfile()
	os.Exit(code)
}

// run is dropwatch on the process's own terminal, signals and kernel.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Ctrl-C stops monitoring and returns to the prompt; SIGTERM and SIGHUP
	// stop monitoring and exit. None of them kills dropwatch while the
	// kernel monitors for it.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	// A write to a closed pipe returns EPIPE instead of killing dropwatch,
	// which then stops monitoring before it exits.
	signal.Ignore(syscall.SIGPIPE)
	// Cancelling ctx ends dropwatch as SIGTERM does.
	stop := context.AfterFunc(ctx, func() { sigs <- syscall.SIGTERM })
	defer stop()

	a := &app{
		stdin: stdin, stdout: stdout, stderr: stderr,
		terminal:    isTerminal(stdin),
		sigs:        sigs,
		backends:    drops.DefaultBackends(),
		fetchFamily: func(ctx context.Context) ([]byte, error) { return nlpcap.FetchFamily(ctx, "NET_DM") },
		loadSymbols: drops.OpenKallsyms,
		loc:         time.Local,
		// At a terminal, history is kept across sessions (history.go).
		tuneReadline: useHistory,
		newCounters:  openCounters,
	}
	return a.main(args)
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && readline.IsTerminal(int(f.Fd()))
}
