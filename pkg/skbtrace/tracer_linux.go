package skbtrace

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ring is one CPU's perf event and its mapped ring buffer.
type ring struct {
	cpu  int
	fd   int
	mem  []byte
	meta *unix.PerfEventMmapPage // the first page of mem
	rr   ringReader
	// samples counts the samples read from this ring (drops and
	// SKB_CONSUMED alike), to set against the event's count (exactLost).
	samples atomic.Uint64
}

type tracer struct {
	info
	dec     *Decoder
	timeout int   // epoll timeout in milliseconds
	clock   Clock // of Drop.Time

	mu sync.Mutex // held by read and by close's release
	// ringsMu guards rings against release while Stats and Disable, which
	// do not take mu (read holds it while it waits), use them.
	ringsMu sync.RWMutex
	rings   []*ring
	epfd    int
	events  []unix.EpollEvent
	closed  bool
	comms   commNames // by thread id, from the rings' PERF_RECORD_COMMs

	closing  atomic.Bool
	disabled atomic.Bool   // Disable or close disabled every event
	final    atomic.Uint64 // exactLost when close released the rings
	finalSet atomic.Bool
	wakeMu   sync.Mutex // guards wakefd against close while wake writes
	wakefd   int        // eventfd in the epoll set: wakes read for ctx and Close
}

var errClosed = &Error{Op: "read", Err: os.ErrClosed}

func openTracer(o Options) (_ *tracer, err error) {
	dir, mounted, err := findTracefs(o.TracefsDir)
	if err != nil {
		return nil, err
	}
	f, err := loadFormat(dir)
	if err != nil {
		return nil, err
	}
	cpus, err := onlineCPUs()
	if err != nil {
		return nil, err
	}
	expr, err := f.EventFilter(o.Reasons, o.Protocols)
	if err != nil {
		return nil, &Error{Op: "filter", Path: dir, Err: err}
	}
	if expr != "" && o.Filter != "" {
		expr = "(" + o.Filter + ") && (" + expr + ")"
	}
	if expr != "" {
		o.Filter = expr
	}
	st := SampleTID | SampleTime | SampleCPU | SampleRaw
	if o.Stacks {
		st |= SampleCallchain
	}
	dec, err := NewDecoder(f, st)
	if err != nil {
		return nil, &Error{Op: "read format", Path: dir, Err: err}
	}
	t := &tracer{
		info:    info{format: f, tracefs: dir, filter: o.Filter, mounted: mounted, cpus: cpus},
		dec:     dec,
		timeout: int(o.PollInterval / time.Millisecond),
		clock:   o.Clock,
		epfd:    -1,
		wakefd:  -1,
		events:  make([]unix.EpollEvent, len(cpus)+1),
	}
	defer func() {
		if err != nil {
			t.release()
		}
	}()
	if t.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return nil, &Error{Op: "epoll", Err: err}
	}
	if t.wakefd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return nil, &Error{Op: "epoll", Err: err}
	}
	if err = t.watch(t.wakefd); err != nil {
		return nil, err
	}
	for _, cpu := range cpus {
		r, err := openRing(f.ID, cpu, st, o)
		if err != nil {
			return nil, err
		}
		t.rings = append(t.rings, r)
		if err = t.watch(r.fd); err != nil {
			return nil, err
		}
	}
	for _, r := range t.rings {
		if err = unix.IoctlSetInt(r.fd, unix.PERF_EVENT_IOC_ENABLE, 0); err != nil {
			return nil, &Error{Op: "enable", Path: fmt.Sprintf("cpu %d", r.cpu), Err: err}
		}
	}
	return t, nil
}

func (t *tracer) watch(fd int) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
	if err := unix.EpollCtl(t.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return &Error{Op: "epoll", Err: err}
	}
	return nil
}

// clockOffset returns how far the clock is ahead of CLOCK_MONOTONIC, in
// nanoseconds, measured now. Perf stamps samples with CLOCK_MONOTONIC:
// perf_event_open refuses clocks that are not NMI-safe (CLOCK_REALTIME,
// CLOCK_BOOTTIME) for the tracepoint PMU with EINVAL.
func clockOffset(c Clock) int64 {
	var id int32
	switch c {
	case ClockRealtime:
		id = unix.CLOCK_REALTIME
	case ClockBoottime:
		id = unix.CLOCK_BOOTTIME
	default:
		return 0
	}
	var m1, other, m2 unix.Timespec
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &m1) != nil ||
		unix.ClockGettime(id, &other) != nil ||
		unix.ClockGettime(unix.CLOCK_MONOTONIC, &m2) != nil {
		return 0
	}
	return other.Nano() - (m1.Nano()+m2.Nano())/2
}

// openRing opens the tracepoint's perf event on one CPU, disabled, and maps
// its ring buffer: one metadata page and PerCPUPages data pages
// (include/uapi/linux/perf_event.h, struct perf_event_mmap_page).
func openRing(id uint32, cpu int, sampleType uint64, o Options) (*ring, error) {
	page := os.Getpagesize()
	dataSize := o.PerCPUPages * page
	attr := unix.PerfEventAttr{
		Type:        unix.PERF_TYPE_TRACEPOINT,
		Config:      uint64(id),
		Sample:      1, // sample_period: every hit
		Sample_type: sampleType,
		// Wake the reader when a quarter of the buffer is written
		// (watermark: wakeup_watermark bytes instead of wakeup_events);
		// read polls on its own every PollInterval for slow rates.
		// attr.comm: PERF_RECORD_COMMs name the tasks that exec or rename
		// themselves, as they do, for Drop.Comm.
		Bits:             unix.PerfBitDisabled | unix.PerfBitWatermark | unix.PerfBitUseClockID | unix.PerfBitComm,
		Wakeup:           uint32(max(dataSize/4, 1)),
		Clockid:          unix.CLOCK_MONOTONIC,
		Sample_max_stack: uint16(o.MaxStack),
	}
	if o.Stacks {
		attr.Bits |= unix.PerfBitExcludeCallchainUser
	}
	attr.Size = uint32(unsafe.Sizeof(attr))
	where := fmt.Sprintf("skb:kfree_skb (id %d) on cpu %d", id, cpu)
	fd, err := unix.PerfEventOpen(&attr, -1, cpu, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		e := &Error{Op: "perf_event_open", Path: where, Err: err}
		switch {
		case errors.Is(err, os.ErrPermission):
			e.Hint = permissionHint()
		case err == unix.ENOENT:
			e.Hint = "the kernel knows no tracepoint with this id"
		case err == unix.EOVERFLOW:
			e.Hint = "MaxStack is above kernel.perf_event_max_stack"
		case err == unix.ENOSYS:
			e.Hint = "the kernel has no perf events (CONFIG_PERF_EVENTS)"
		}
		return nil, e
	}
	if o.Filter != "" {
		// kernel/events/core.c perf_event_set_filter: EINVAL for a filter
		// the tracepoint's fields do not parse.
		if err := unix.IoctlSetString(fd, unix.PERF_EVENT_IOC_SET_FILTER, o.Filter); err != nil {
			unix.Close(fd)
			return nil, &Error{Op: "set filter", Path: where, Err: fmt.Errorf("%q: %w", o.Filter, err)}
		}
	}
	mem, err := unix.Mmap(fd, 0, page+dataSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		unix.Close(fd)
		e := &Error{Op: "mmap", Path: where, Err: err}
		if errors.Is(err, os.ErrPermission) {
			e.Hint = "the ring buffers exceed kernel.perf_event_mlock_kb: lower PerCPUPages or run as root"
		}
		return nil, e
	}
	r := &ring{cpu: cpu, fd: fd, mem: mem, meta: (*unix.PerfEventMmapPage)(unsafe.Pointer(&mem[0]))}
	off, size := r.meta.Data_offset, r.meta.Data_size
	if size == 0 { // before Linux 4.1: the data area follows the first page
		off, size = uint64(page), uint64(dataSize)
	}
	if off+size > uint64(len(mem)) || size&(size-1) != 0 {
		r.close()
		return nil, &Error{Op: "mmap", Path: where, Err: fmt.Errorf("data area at %d size %d in a %d byte mapping", off, size, len(mem))}
	}
	r.rr.data = mem[off : off+size]
	return r, nil
}

func (r *ring) close() error {
	err := unix.IoctlSetInt(r.fd, unix.PERF_EVENT_IOC_DISABLE, 0)
	err = errors.Join(err, unix.Munmap(r.mem), unix.Close(r.fd))
	r.mem, r.meta, r.rr.data = nil, nil, nil
	return err
}

// drain reads every ring buffer from data_tail to data_head.
func (t *tracer) drain() []Drop {
	var out []Drop
	for _, r := range t.rings {
		// perf_event.h: load data_head, then smp_rmb() before reading the
		// data; Go's atomic load orders the reads after it (acquire).
		head := atomic.LoadUint64(&r.meta.Data_head)
		tail := atomic.LoadUint64(&r.meta.Data_tail)
		if head == tail {
			continue
		}
		tail, err := r.rr.read(tail, head, func(rec []byte) {
			d, err := t.dec.Decode(rec)
			if err == nil && (d.Kind == RecordDrop || d.Kind == RecordConsumed) {
				r.samples.Add(1)
			}
			if err == nil && d.Kind == RecordComm {
				t.comms.add(d.Comm)
			}
			out = t.counters.account(out, d, err)
		})
		if err != nil {
			t.counters.malformed.Add(1)
		}
		// perf_event.h: smp_mb() between reading the data and writing
		// data_tail, so the kernel does not overwrite records still being
		// read; Go's atomic store orders it after those reads (release).
		atomic.StoreUint64(&r.meta.Data_tail, tail)
	}
	// Names from every ring's records, as a task may exec on one CPU and
	// drop on another. A thread created after the exec has no record of
	// its own: it inherited its creator's name (kernel/fork.c copies
	// task->comm), which is the process's unless a thread renamed itself.
	for i := range out {
		name, ok := t.comms.names[out[i].PID]
		if !ok {
			name = t.comms.names[out[i].TGID]
		}
		out[i].Comm = name
	}
	return out
}

func (t *tracer) read(ctx context.Context) ([]Drop, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, errClosed
	}
	stop := context.AfterFunc(ctx, t.wake)
	defer stop()
	for {
		if out := t.drain(); len(out) > 0 {
			if off := clockOffset(t.clock); off != 0 {
				for i := range out {
					out[i].Time = uint64(int64(out[i].Time) + off)
				}
			}
			return out, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if t.closing.Load() {
			return nil, errClosed
		}
		_, err := unix.EpollWait(t.epfd, t.events, t.timeout)
		if err != nil && err != unix.EINTR {
			return nil, &Error{Op: "wait", Err: err}
		}
		t.clearWake()
	}
}

// wake makes a blocked EpollWait return.
func (t *tracer) wake() {
	t.wakeMu.Lock()
	defer t.wakeMu.Unlock()
	if t.wakefd >= 0 {
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		unix.Write(t.wakefd, one[:]) // EAGAIN only if the counter is full: still awake
	}
}

func (t *tracer) clearWake() {
	var buf [8]byte
	unix.Read(t.wakefd, buf[:]) // EAGAIN when not woken
}

func (t *tracer) close() error {
	if !t.closing.CompareAndSwap(false, true) {
		return nil
	}
	t.wake()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	// Disabled, the rings take no more samples: what is left in them is
	// read (and counted, not returned), so that the losses are exact.
	err := t.disable()
	t.drain()
	if n, ok := t.exactLost(); ok {
		t.final.Store(n)
		t.finalSet.Store(true)
	}
	return errors.Join(err, t.release())
}

// stats is the counters, with the exact losses once they are known.
func (t *tracer) stats() Stats {
	s := t.counters.snapshot()
	if n, ok := t.exactLost(); ok && n > s.Lost {
		s.Lost = n
	}
	return s
}

// disable stops every event from taking samples. PERF_EVENT_IOC_DISABLE
// runs on the event's CPU (perf_event_disable -> event_function_call in
// kernel/events/core.c), so when it returns no sample is half-written.
func (t *tracer) disable() error {
	t.ringsMu.RLock()
	defer t.ringsMu.RUnlock()
	var err error
	for _, r := range t.rings {
		if e := unix.IoctlSetInt(r.fd, unix.PERF_EVENT_IOC_DISABLE, 0); e != nil {
			err = errors.Join(err, &Error{Op: "disable", Path: fmt.Sprintf("cpu %d", r.cpu), Err: e})
		}
	}
	t.disabled.Store(true)
	return err
}

// exactLost counts the samples the rings could not hold, from the events'
// own counts: with sample_period 1 every hit adds one to the count
// (perf_swevent_event), written to the ring or not, throttled or not,
// and a filtered-out hit adds nothing (perf_tp_event_match). It is exact
// only once the events are disabled and every ring has been read to its
// head; ok is false before. PERF_RECORD_LOST alone lags: the kernel writes
// it only before the next sample that fits, which may never come.
func (t *tracer) exactLost() (n uint64, ok bool) {
	if !t.disabled.Load() {
		return 0, false
	}
	t.ringsMu.RLock()
	defer t.ringsMu.RUnlock()
	if t.rings == nil {
		return t.final.Load(), t.finalSet.Load()
	}
	for _, r := range t.rings {
		if atomic.LoadUint64(&r.meta.Data_head) != atomic.LoadUint64(&r.meta.Data_tail) {
			return 0, false
		}
		// read(2) of an event without read_format is its u64 count
		// (perf_read_one in kernel/events/core.c).
		var buf [8]byte
		if k, err := unix.Read(r.fd, buf[:]); err != nil || k != len(buf) {
			return 0, false
		}
		hits, seen := binary.NativeEndian.Uint64(buf[:]), r.samples.Load()
		n += hits - min(hits, seen)
	}
	return n, true
}

// release closes every descriptor and unmaps every ring.
func (t *tracer) release() error {
	var err error
	t.ringsMu.Lock()
	for _, r := range t.rings {
		err = errors.Join(err, r.close())
	}
	t.rings = nil
	t.ringsMu.Unlock()
	if t.epfd >= 0 {
		err = errors.Join(err, unix.Close(t.epfd))
		t.epfd = -1
	}
	t.wakeMu.Lock()
	if t.wakefd >= 0 {
		err = errors.Join(err, unix.Close(t.wakefd))
		t.wakefd = -1
	}
	t.wakeMu.Unlock()
	if err != nil {
		return &Error{Op: "close", Err: err}
	}
	return nil
}
