package skbtrace

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Defaults for Options.
const (
	DefaultPerCPUPages  = 64
	DefaultPollInterval = 100 * time.Millisecond
)

// Clock selects the clock of Drop.Time. The kernel stamps samples with
// CLOCK_MONOTONIC (perf_event_attr.clockid; perf refuses the clocks that are
// not NMI-safe for tracepoints); for the other clocks Read adds their
// offset from CLOCK_MONOTONIC measured when it returns, so a wall clock step
// between a drop and the Read that returns it shifts that drop's time by
// the step.
type Clock int

// Clocks.
const (
	// ClockMonotonic is CLOCK_MONOTONIC, the default.
	ClockMonotonic Clock = iota
	// ClockRealtime is CLOCK_REALTIME: nanoseconds since the Unix epoch.
	ClockRealtime
	// ClockBoottime is CLOCK_BOOTTIME: monotonic, counting suspend.
	ClockBoottime
)

// Options configures a Tracer. The zero value is usable.
type Options struct {
	// Stacks asks for each drop's kernel call chain
	// (PERF_SAMPLE_CALLCHAIN, kernel frames only).
	Stacks bool
	// MaxStack limits the call chain depth (perf_event_attr
	// sample_max_stack, Linux 4.8+). Zero means the kernel's limit,
	// kernel.perf_event_max_stack (127 by default); more than that limit
	// fails with EOVERFLOW.
	MaxStack int
	// PerCPUPages is the size of each CPU's ring buffer data area in pages,
	// a power of two. Zero means DefaultPerCPUPages (256 KiB with 4 KiB
	// pages: about 3600 samples of 72 bytes without stacks, 1000 with a
	// 22-frame stack). Samples that do not fit are counted in Stats.Lost.
	PerCPUPages int
	// Clock is the clock of Drop.Time.
	Clock Clock
	// PollInterval is how often a waiting Read looks at the ring buffers
	// on its own: the kernel wakes it only when a buffer is a quarter full,
	// so at low rates a drop reaches Read within about this time. Zero
	// means DefaultPollInterval.
	PollInterval time.Duration
	// TracefsDir is where tracefs is mounted. Empty means the first of
	// /sys/kernel/tracing and /sys/kernel/debug/tracing that has the
	// event, mounting tracefs at /sys/kernel/tracing if neither has it
	// (the mount is left in place). A directory given here is used as is.
	TracefsDir string
	// Filter is an event filter in the kernel's syntax over the
	// tracepoint's fields (Documentation/trace/events.rst, "Event
	// filtering"; Format.EventFilter builds one), set on every CPU's
	// event with PERF_EVENT_IOC_SET_FILTER: samples it rejects are never
	// written to the ring buffers. Empty means none.
	Filter string
	// Reasons, when not empty, adds to Filter a filter that keeps only the
	// drops with one of these reason names (Format.EventFilter); Open
	// fails for a name the tracepoint's table lacks.
	Reasons []string
	// Protocols, when not empty, adds to Filter a filter that keeps only
	// the drops whose skb->protocol is one of these EtherTypes (0x0800
	// IPv4, 0x86dd IPv6; Drop.Protocol), where the tracepoint has its
	// protocol field (Format.EventFilter); without it, all protocols are
	// kept (Tracer.Filter says what the kernel filters).
	Protocols []uint16
}

func (o Options) withDefaults() (Options, error) {
	if o.PerCPUPages == 0 {
		o.PerCPUPages = DefaultPerCPUPages
	}
	if o.PerCPUPages < 0 || o.PerCPUPages&(o.PerCPUPages-1) != 0 || o.PerCPUPages > 1<<16 {
		return o, &Error{Op: "options", Err: fmt.Errorf("PerCPUPages %d is not a power of two up to 65536", o.PerCPUPages)}
	}
	if o.PollInterval == 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.PollInterval < time.Millisecond {
		return o, &Error{Op: "options", Err: fmt.Errorf("PollInterval %v is below 1ms", o.PollInterval)}
	}
	if o.MaxStack < 0 || o.MaxStack > 0xffff {
		return o, &Error{Op: "options", Err: fmt.Errorf("MaxStack %d out of range", o.MaxStack)}
	}
	if o.Clock < ClockMonotonic || o.Clock > ClockBoottime {
		return o, &Error{Op: "options", Err: fmt.Errorf("unknown Clock %d", o.Clock)}
	}
	return o, nil
}

// Stats counts what a Tracer has read since Open.
type Stats struct {
	// Samples is the number of skb:kfree_skb samples decoded.
	Samples uint64
	// Drops is the number of samples returned as drops by Read.
	Drops uint64
	// Consumed is the number of samples with reason SKB_CONSUMED, which
	// are not drops and are not returned.
	Consumed uint64
	// Lost is the number of samples the kernel could not write because a
	// ring buffer was full, or skipped while throttled. While the events
	// are enabled it is what PERF_RECORD_LOST said, which lags: the kernel
	// reports a loss when it next has room in that buffer, just before the
	// next sample it writes there, which may never come. After Disable
	// and a Read that emptied the buffers, and after Close, it is exact:
	// the events' own counts of hits less the samples read.
	Lost uint64
	// Throttled is the number of PERF_RECORD_THROTTLE and
	// PERF_RECORD_UNTHROTTLE records: while throttled, the kernel skips
	// samples without counting them (kernel.perf_event_max_sample_rate).
	Throttled uint64
	// Malformed is the number of records, or stretches of ring buffer,
	// that could not be decoded.
	Malformed uint64
}

// counters are the Stats, updated by Read and read by Stats concurrently.
type counters struct {
	samples, drops, consumed, lost, throttled, malformed atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Samples:   c.samples.Load(),
		Drops:     c.drops.Load(),
		Consumed:  c.consumed.Load(),
		Lost:      c.lost.Load(),
		Throttled: c.throttled.Load(),
		Malformed: c.malformed.Load(),
	}
}

// account counts one decoded record and appends it to out if it is a drop.
func (c *counters) account(out []Drop, rec Record, err error) []Drop {
	if err != nil {
		c.malformed.Add(1)
		return out
	}
	switch rec.Kind {
	case RecordDrop:
		c.samples.Add(1)
		c.drops.Add(1)
		out = append(out, rec.Drop)
	case RecordConsumed:
		c.samples.Add(1)
		c.consumed.Add(1)
	case RecordLost:
		c.lost.Add(rec.Lost)
	case RecordThrottle:
		c.throttled.Add(1)
	}
	return out
}

// maxComms bounds the thread names a commNames holds.
const maxComms = 4096

// commNames are the names of PERF_RECORD_COMMs by thread id.
type commNames struct{ names map[int32]string }

func (c *commNames) add(m Comm) {
	if c.names == nil || len(c.names) >= maxComms {
		c.names = make(map[int32]string)
	}
	c.names[m.TID] = m.Name
}

// info is what Open learned and counted, common to every implementation.
type info struct {
	counters counters
	format   *Format
	tracefs  string
	filter   string // set in the kernel
	mounted  bool
	cpus     []int
}

// Tracer reads drops from skb:kfree_skb on every online CPU. Read must not
// be called concurrently with itself; Stats and Close may be called from
// any goroutine.
type Tracer struct {
	t *tracer
}

// Open finds tracefs (mounting it if needed and allowed), parses the
// tracepoint's format, and opens, maps and enables one perf event per online
// CPU. Errors are *Error: without privilege they match os.ErrPermission and
// name the cause (kernel.perf_event_paranoid, CAP_PERFMON, CAP_SYS_ADMIN);
// without the tracepoint or tracefs, os.ErrNotExist; on other systems,
// errors.ErrUnsupported.
func Open(opts Options) (*Tracer, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	t, err := openTracer(opts)
	if err != nil {
		return nil, err
	}
	return &Tracer{t: t}, nil
}

// Read blocks until drops are available or ctx is done, and returns the
// drops read from all CPUs (unordered across CPUs, in order within one).
// It returns what is available even if ctx is already done, so a canceled
// context drains the buffers; ctx.Err() only when nothing is. After Close
// it returns an error matching os.ErrClosed. Samples with reason
// SKB_CONSUMED are counted in Stats and not returned.
func (t *Tracer) Read(ctx context.Context) ([]Drop, error) { return t.t.read(ctx) }

// Stats returns the counters since Open.
func (t *Tracer) Stats() Stats { return t.t.stats() }

// Disable stops the events from taking samples, on every CPU, without
// releasing them: Read still returns what the buffers hold, then nothing
// more, and once it has emptied them Stats.Lost is exact. A session's end
// is Disable, Read until nothing is left, Stats, Close.
func (t *Tracer) Disable() error { return t.t.disable() }

// Format returns the tracepoint's parsed format.
func (t *Tracer) Format() *Format { return t.t.format }

// Filter returns the event filter set in the kernel: Options.Filter
// combined with the terms for Options.Reasons and Options.Protocols.
// Empty means none.
func (t *Tracer) Filter() string { return t.t.filter }

// TracefsDir returns the tracefs directory the format was read from.
func (t *Tracer) TracefsDir() string { return t.t.tracefs }

// MountedTracefs reports whether Open mounted tracefs itself.
func (t *Tracer) MountedTracefs() bool { return t.t.mounted }

// CPUs returns the CPUs traced.
func (t *Tracer) CPUs() []int { return append([]int(nil), t.t.cpus...) }

// Close disables and releases the perf events. A Read blocked in another
// goroutine returns an error matching os.ErrClosed. Close is idempotent.
func (t *Tracer) Close() error { return t.t.close() }

// parseCPUList parses a kernel CPU list such as "0-3,5,7-8"
// (/sys/devices/system/cpu/online).
func parseCPUList(s string) ([]int, error) {
	var cpus []int
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("empty CPU list")
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("bad CPU list %q", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a || b-a > 1<<16 {
				return nil, fmt.Errorf("bad CPU list %q", s)
			}
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}
