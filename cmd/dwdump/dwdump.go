package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dropwatch-go/dropwatch/internal/rawfile"
	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/nlpcap"
)

// Exit statuses of dwdump 1.5.4 (main's return value, or exit(EXIT_FAILURE)).
const (
	exitOK      = 0
	exitFailure = 1   // bad options, failed initialisation
	exitRuntime = 255 // main returned -1: a failed receive, -q or -s
)

// app is dwdump with what it takes from its environment, which tests
// replace.
type app struct {
	open func() (kernel, error)
	// fetchFamily returns the kernel's CTRL_CMD_NEWFAMILY message for
	// NET_DM, written as the first pcap record.
	fetchFamily func(context.Context) ([]byte, error)
	diagnose    func() dropmon.Diagnosis
	// notify and stopNotify subscribe c to the signals that end a capture.
	notify     func(c chan<- os.Signal)
	stopNotify func(c chan<- os.Signal)
	create     func(name string) (io.WriteCloser, error)
	now        func() time.Time
	timeout    time.Duration // of each request to the kernel
}

// stopSignals end a capture, as dwdump's handler for them does. SIGPIPE
// is among them: when the reader of a pipe goes away dwdump stops
// monitoring and exits 0 (and Go then reports EPIPE instead of dying).
var stopSignals = []os.Signal{syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGPIPE, syscall.SIGHUP}

func newApp() *app {
	return &app{
		open:        openKernel,
		fetchFamily: func(ctx context.Context) ([]byte, error) { return nlpcap.FetchFamily(ctx, "NET_DM") },
		diagnose:    dropmon.Diagnose,
		notify:      func(c chan<- os.Signal) { signal.Notify(c, stopSignals...) },
		stopNotify:  func(c chan<- os.Signal) { signal.Stop(c) },
		create: func(name string) (io.WriteCloser, error) {
			// fopen(name, "w"), as libpcap's pcap_dump_open.
			return os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
		},
		now:     time.Now,
		timeout: dropmon.DefaultTimeout,
	}
}

// run is dwdump: args[0] is the program name. It returns the exit status.
func (a *app) run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	prog := "dwdump"
	if len(args) > 0 {
		prog, args = args[0], args[1:]
	}
	o, code, ok := parseOptions(prog, args, stdout, stderr)
	if !ok {
		return code
	}

	// dwdump installs its handlers after setting up; catching the signals
	// from here on means a signal that comes after START always leads to
	// STOP.
	sigs := make(chan os.Signal, 1)
	a.notify(sigs)
	defer a.stopNotify(sigs)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
		}
	}()

	k, err := a.open()
	if err != nil {
		a.openFailed(stderr, err)
		return exitFailure
	}
	defer k.Close()

	// The order of dwdump's main: -q wins over -s, which wins over -e.
	switch {
	case o.query:
		return a.query(ctx, k, stdout, stderr)
	case o.stats:
		return a.stats(ctx, k, stdout, stderr)
	case o.exit:
		return a.stop(ctx, k, o.source, stderr)
	}
	return a.capture(ctx, k, o, stdout, stderr)
}

func (a *app) query(ctx context.Context, k kernel, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	cfg, err := k.Config(ctx)
	if err != nil {
		failed(stderr, "Failed to query configuration", "get", err)
		return exitRuntime
	}
	// The mode in lower case, unlike dropwatch's show.
	fmt.Fprintf(stdout, "Alert mode: %s\nTruncation length: %d\nQueue length: %d\n", cfg.Mode, cfg.TruncLen, cfg.QueueLen)
	return exitOK
}

func (a *app) stats(ctx context.Context, k kernel, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	st, err := k.Stats(ctx)
	if err != nil {
		failed(stderr, "Failed to query statistics", "get", err)
		return exitRuntime
	}
	// Each block only if the kernel sent its nest.
	if st.Software != nil {
		fmt.Fprintf(stdout, "Software statistics:\nTail dropped: %d\n", st.Software.Dropped)
	}
	if st.Hardware != nil {
		fmt.Fprintf(stdout, "Hardware statistics:\nTail dropped: %d\n", st.Hardware.Dropped)
	}
	return exitOK
}

// stop sends STOP for -e. dwdump exits with libnl's error code when it
// fails; this exits 1.
func (a *app) stop(ctx context.Context, k kernel, src dropmon.Source, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	if err := k.Stop(ctx, src); err != nil {
		failed(stderr, "Failed to stop monitoring", "stop", err)
		return exitFailure
	}
	return exitOK
}

// capture is dwdump's default mode: join the alert group, configure and
// start the monitor unless -p, then write every alert to the pcap output
// until a signal, and stop the monitor if it was started here.
func (a *app) capture(ctx context.Context, k kernel, o options, stdout, stderr io.Writer) int {
	// Join before configuring, so that no alert is missed.
	mon, err := k.Listen(dropmon.MonitorConfig{ReadBuffer: o.bufSize, Drained: true})
	if err != nil {
		failed(stderr, "Failed to join multicast group", "listen", err)
		return exitFailure
	}
	defer mon.Close()

	// Unlike dwdump, open the output before touching the kernel's state:
	// a bad -w then leaves the monitor as it was.
	out, err := a.output(o.file, stdout)
	if err != nil {
		// pcap_perror(handle, file) after pcap_dump_open's
		// "<file>: <strerror>".
		fmt.Fprintf(stderr, "%s: %s: %s\n", o.file, o.file, strerror(err))
		return exitFailure
	}

	if o.monitors() {
		if code, ok := a.startMonitor(ctx, k, o, stderr); !ok {
			out.Close()
			return code
		}
	}
	code := a.record(ctx, k, mon, out, o, stderr)
	if err := out.Close(); err != nil && code == exitOK {
		fmt.Fprintf(stderr, "dwdump: closing %s: %v\n", o.file, err)
		code = exitFailure
	}
	if o.monitors() {
		// The capture's context is done; STOP gets a fresh one.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.timeout)
		defer cancel()
		if err := k.Stop(ctx, o.source); err != nil {
			failed(stderr, "Failed to stop monitoring", "stop", err)
			code = max(code, exitFailure)
		}
	}
	reportLosses(stderr, mon, o.bufSize)
	return code
}

// startMonitor sends CONFIG (packet mode, -t, -l) and START (-o), each
// waiting for the kernel's acknowledgement, as dwdump does.
func (a *app) startMonitor(ctx context.Context, k kernel, o options, stderr io.Writer) (code int, ok bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.timeout)
	defer cancel()
	mode := dropmon.ModePacket
	trunc, limit := o.trunc, o.limit
	if err := k.SetConfig(ctx, dropmon.ConfigUpdate{Mode: &mode, TruncLen: &trunc, QueueLen: &limit}); err != nil {
		failed(stderr, "Failed to configure drop monitor kernel module", "config", err)
		return exitFailure, false
	}
	if err := k.Start(ctx, o.source); err != nil {
		failed(stderr, "Failed to start monitoring", "start", err)
		return exitFailure, false
	}
	return exitOK, true
}

// output opens the pcap destination: standard output for "-", as libpcap
// treats it, or the named file.
func (a *app) output(name string, stdout io.Writer) (io.WriteCloser, error) {
	if name == "-" {
		return nopCloser{rawfile.Writer(stdout)}, nil
	}
	return a.create(name)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// record writes the capture until a stop signal and returns the exit
// status.
func (a *app) record(ctx context.Context, k kernel, mon monitor, out io.Writer, o options, stderr io.Writer) int {
	err := a.writeCapture(ctx, k, mon, out, o.snapLen())
	var re receiveError
	switch {
	case err == nil:
		return exitOK // a stop signal
	case errors.As(err, &re):
		fmt.Fprintf(stderr, "recv: %s\n", strerror(re.err))
		return exitRuntime
	case errors.Is(err, syscall.EPIPE):
		// The reader went away: dwdump stops on SIGPIPE and exits 0.
		return exitOK
	}
	fmt.Fprintf(stderr, "dwdump: writing %s: %v\n", o.file, err)
	return exitFailure
}

// receiveError is a failure to receive alerts, as opposed to writing them.
type receiveError struct{ err error }

func (e receiveError) Error() string { return e.err.Error() }

// writeCapture writes the pcap header, the NET_DM family record and then
// one record per alert message until ctx is done, when it returns nil
// once every message received until then is written.
//
// It reads and writes in one goroutine, as dwdump does: the monitor's
// socket buffer (32 MiB by default) holds a burst while records are
// written, and a hand-off to a second goroutine cost a thread wake-up per
// alert when alerts trickle in (docs/benchmarks.md). Records are gathered
// in a buffer and written out once the oldest is holdFor old (at the
// monitor's Hold deadline, or when a record comes after that), or when
// the buffer is full: a reader at the other end of a pipe sees each
// within a tenth of a second, where dwdump's fflush makes one write(2)
// per alert.
func (a *app) writeCapture(ctx context.Context, k kernel, mon monitor, out io.Writer, snapLen uint32) (err error) {
	// A regular file is written without the runtime's system call path
	// (internal/rawfile).
	w, err := nlpcap.NewWriter(rawfile.Writer(out), nlpcap.Options{SnapLen: snapLen, Now: a.now, BufferSize: writeBufferSize})
	if err != nil {
		return err
	}
	if err := w.WriteDatagram(a.familyRecord(ctx, k)); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	var held time.Time // when the oldest unwritten record came; zero if none
	var b []byte       // the datagram, in a buffer reused for each
	for {
		// Raw: dwdump stores datagrams and never looks inside, so it
		// does not pay for decoding them (a tenth of its CPU in a
		// burst, docs/benchmarks.md); appended to b, so that each leaves
		// no garbage (at GOGC 25, internal/lowmem, a copy per alert made
		// a collection every few thousand alerts).
		var err error
		b, err = mon.AppendReceiveRaw(ctx, b[:0])
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
			held = time.Time{}
			if err := w.Flush(); err != nil {
				return err
			}
			continue
		case ctx.Err() != nil:
			// ctx is done and everything received is written.
			return w.Flush()
		default:
			if err := w.Flush(); err != nil {
				return err
			}
			return receiveError{err}
		}
		// Every datagram as received, decodable or not, as C dwdump
		// writes whatever recv() returns; stamped when it was read, as
		// dwdump stamps each record with gettimeofday after recv().
		at := a.now()
		if err := w.WriteDatagramAt(at, b); err != nil {
			return err
		}
		switch {
		case held.IsZero():
			held = at
		case at.Sub(held) >= holdFor:
			held = time.Time{}
			if err := w.Flush(); err != nil {
				return err
			}
		}
	}
}

const (
	// holdFor is how long a record may wait in memory before it is
	// written out (dropmon.MonitorConfig.Hold).
	holdFor = 100 * time.Millisecond
	// writeBufferSize is the most that waits in memory between writes.
	writeBufferSize = 64 << 10
)

// familyRecord returns the kernel's description of NET_DM, so that
// Wireshark can map the alerts' netlink type to the net_dm dissector. If
// the kernel's reply is unavailable or names another ID, it builds an
// equivalent message from the ID the client resolved.
func (a *app) familyRecord(ctx context.Context, k kernel) []byte {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	return nlpcap.NETDMFamilyRecord(ctx, k.FamilyID(), a.fetchFamily)
}

// reportLosses says, after a capture, if alerts were lost because the
// socket buffer overflowed; dwdump ignores such losses silently.
func reportLosses(stderr io.Writer, mon monitor, bufSize int) {
	if n, err := mon.SocketDrops(); err == nil && n > 0 {
		fmt.Fprintf(stderr, "dwdump: %d drop alerts were lost because the receive buffer (-b %d) was full\n", n, bufSize)
		return
	}
	if n := mon.Stats().Overruns; n > 0 {
		fmt.Fprintf(stderr, "dwdump: drop alerts were lost %d times because the receive buffer (-b %d) was full\n", n, bufSize)
	}
}
