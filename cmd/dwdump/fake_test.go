package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
)

// fakeKernel stands in for the drop monitor and logs the requests it gets.
type fakeKernel struct {
	mu    sync.Mutex
	calls []string

	id     uint16
	config *dropmon.Config
	stats  *dropmon.Stats
	// errs fails requests by name: "config", "start", "stop", "config get",
	// "stats get", "listen".
	errs map[string]error
	mon  *fakeMonitor
}

func newFakeKernel() *fakeKernel {
	k := &fakeKernel{id: 0x1b, errs: map[string]error{}}
	k.mon = &fakeMonitor{k: k, blocked: make(chan struct{})}
	return k
}

func (k *fakeKernel) log(format string, args ...any) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls = append(k.calls, fmt.Sprintf(format, args...))
}

func (k *fakeKernel) Calls() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.calls...)
}

func sourceName(src dropmon.Source) string {
	var s []string
	if src&dropmon.SourceSoftware != 0 {
		s = append(s, "sw")
	}
	if src&dropmon.SourceHardware != 0 {
		s = append(s, "hw")
	}
	return strings.Join(s, "+")
}

// request logs a request made with ctx and returns its scripted error; a
// request without a deadline would let dwdump hang.
func (k *fakeKernel) request(ctx context.Context, name, format string, args ...any) error {
	if _, ok := ctx.Deadline(); !ok {
		k.log("%s WITHOUT DEADLINE", name)
	}
	k.log(format, args...)
	return k.errs[name]
}

func (k *fakeKernel) FamilyID() uint16 { return k.id }

func (k *fakeKernel) SetConfig(ctx context.Context, u dropmon.ConfigUpdate) error {
	return k.request(ctx, "config", "config mode=%s trunc=%d queue=%d", *u.Mode, *u.TruncLen, *u.QueueLen)
}

func (k *fakeKernel) Start(ctx context.Context, src dropmon.Source) error {
	return k.request(ctx, "start", "start %s", sourceName(src))
}

func (k *fakeKernel) Stop(ctx context.Context, src dropmon.Source) error {
	return k.request(ctx, "stop", "stop %s", sourceName(src))
}

func (k *fakeKernel) Config(ctx context.Context) (*dropmon.Config, error) {
	if err := k.request(ctx, "config get", "config get"); err != nil {
		return nil, err
	}
	return k.config, nil
}

func (k *fakeKernel) Stats(ctx context.Context) (*dropmon.Stats, error) {
	if err := k.request(ctx, "stats get", "stats get"); err != nil {
		return nil, err
	}
	return k.stats, nil
}

func (k *fakeKernel) Listen(cfg dropmon.MonitorConfig) (monitor, error) {
	k.log("listen buffer=%d", cfg.ReadBuffer)
	if err := k.errs["listen"]; err != nil {
		return nil, err
	}
	return k.mon, nil
}

func (k *fakeKernel) Close() error {
	k.log("close")
	return nil
}

// receipt is what one AppendReceiveRaw returns.
type receipt struct {
	datagram []byte
	err      error
	before   func() // if set, called before AppendReceiveRaw returns the receipt
}

// fakeMonitor returns its receipts in turn, then blocks until the
// context is done, having closed blocked.
type fakeMonitor struct {
	k        *fakeKernel
	receipts []receipt
	blocked  chan struct{}
	once     sync.Once
	drops    uint64
	stats    dropmon.MonitorStats
}

func (m *fakeMonitor) AppendReceiveRaw(ctx context.Context, dst []byte) ([]byte, error) {
	if len(m.receipts) > 0 {
		r := m.receipts[0]
		m.receipts = m.receipts[1:]
		if r.before != nil {
			r.before()
		}
		if r.err != nil {
			return dst, r.err
		}
		return append(dst, r.datagram...), nil
	}
	m.once.Do(func() { close(m.blocked) })
	<-ctx.Done()
	return dst, ctx.Err()
}

func (m *fakeMonitor) Stats() dropmon.MonitorStats  { return m.stats }
func (m *fakeMonitor) SocketDrops() (uint64, error) { return m.drops, nil }

func (m *fakeMonitor) Close() error {
	m.k.log("monitor close")
	return nil
}

// testTime stamps every pcap record.
var testTime = time.Date(2026, 11, 25, 12, 38, 38, 0, time.UTC)

// harness runs the app against a fake kernel.
type harness struct {
	t      *testing.T
	k      *fakeKernel
	a      *app
	sigs   chan<- os.Signal
	stdout io.Writer // nil: a buffer
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, k: newFakeKernel()}
	h.a = newApp()
	h.a.open = func() (kernel, error) {
		h.k.log("open")
		return h.k, nil
	}
	h.a.fetchFamily = func(ctx context.Context) ([]byte, error) {
		return nil, fmt.Errorf("no kernel here")
	}
	h.a.diagnose = func() dropmon.Diagnosis { return dropmon.Diagnosis{} }
	h.a.notify = func(c chan<- os.Signal) { h.sigs = c }
	h.a.stopNotify = func(chan<- os.Signal) {}
	h.a.now = func() time.Time { return testTime }
	h.a.timeout = 5 * time.Second
	return h
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs dwdump with args. If it blocks receiving alerts, it is sent
// sig (a test that expects no block passes nil, and fails if it blocks).
func (h *harness) run(sig os.Signal, args ...string) result {
	h.t.Helper()
	var stdout, stderr bytes.Buffer
	out := h.stdout
	if out == nil {
		out = &stdout
	}
	done := make(chan int, 1)
	go func() { done <- h.a.run(append([]string{"dwdump"}, args...), nil, out, &stderr) }()
	select {
	case code := <-done:
		return result{code, stdout.String(), stderr.String()}
	case <-h.k.mon.blocked:
	case <-time.After(10 * time.Second):
		h.t.Fatalf("dwdump %q neither returned nor waited for alerts", args)
	}
	if sig == nil {
		h.t.Fatalf("dwdump %q waits for alerts", args)
	}
	h.sigs <- sig
	select {
	case code := <-done:
		return result{code, stdout.String(), stderr.String()}
	case <-time.After(10 * time.Second):
		h.t.Fatalf("dwdump %q did not end after %v", args, sig)
	}
	return result{}
}
