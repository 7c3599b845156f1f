// Package skbtrace reports packet drops from the kernel's skb:kfree_skb
// tracepoint, read through perf_event_open(2). It needs no drop monitor
// (CONFIG_NET_DROP_MONITOR), no BTF, no eBPF and no compiler: only perf
// events (CONFIG_PERF_EVENTS), the tracepoint, and tracefs to learn the
// tracepoint's id and record layout. It is the fallback for kernels that
// lack NET_DM (see package dropmon), the same data `perf record -g -a -e
// skb:kfree_skb` collects.
//
// # The tracepoint
//
// skb:kfree_skb is defined in include/trace/events/skb.h. It fires when a
// socket buffer is freed as a drop (kfree_skb, kfree_skb_reason,
// sk_skb_reason_drop); consume_skb fires the separate skb:consume_skb. Its
// record carries:
//
//   - location: the caller's address (__builtin_return_address(0) of the
//     freeing function), the same program counter NET_DM reports;
//   - protocol: skb->protocol in host order (0x0800 for IPv4, 0x86dd IPv6);
//   - reason (Linux 5.17+): enum skb_drop_reason, whose values are listed in
//     include/net/dropreason-core.h (include/net/dropreason.h in 6.0-6.3,
//     include/linux/skbuff.h before); values with bits in
//     SKB_DROP_REASON_SUBSYS_MASK (0xffff0000) belong to subsystems
//     (mac80211, openvswitch, ...) and have no name in the tracepoint;
//   - the common fields of every trace event, of which common_pid (the
//     running task) is reported as Drop.PID;
//   - skbaddr and, on recent kernels, rx_sk, which this package ignores.
//
// The field offsets and the reason numbers change between kernel versions
// and configurations, so nothing here hard-codes them: Open reads the
// tracepoint's format file (events/skb/kfree_skb/format under tracefs) and
// ParseFormat takes the field layout from its "field:" lines and the reason
// names from the __print_symbolic(REC->reason, { 2, "NOT_SPECIFIED" }, ...)
// table in its "print fmt:" line. Kernels before 5.17 have no reason field;
// drops then have HasReason false.
//
// Some kernels report packets that were consumed, not dropped, through the
// same tracepoint with the reason SKB_CONSUMED. Those are counted in
// Stats.Consumed and never returned as drops. The consumed code is the table
// entry named CONSUMED or SKB_CONSUMED if there is one, else 1 when the table
// puts NOT_SPECIFIED at 2: the enum starts SKB_NOT_DROPPED_YET (0),
// SKB_CONSUMED (1), SKB_DROP_REASON_NOT_SPECIFIED (2) on every kernel that
// has SKB_CONSUMED. Recent kernels (6.18 at least) route
// kfree_skb_reason(skb, SKB_CONSUMED) to skb:consume_skb instead, so there the
// count stays zero.
//
// # perf events
//
// Open opens one perf event per online CPU (perf_event_open with
// PERF_TYPE_TRACEPOINT, config = the tracepoint id, pid -1, cpu N), each
// sampling every hit (sample_period 1) with PERF_SAMPLE_TID (the process
// of the task that freed the packet), PERF_SAMPLE_TIME,
// PERF_SAMPLE_CPU, PERF_SAMPLE_RAW and, if asked for stacks,
// PERF_SAMPLE_CALLCHAIN (kernel frames only: exclude_callchain_user). Time
// stamps are CLOCK_MONOTONIC (use_clockid; perf refuses clocks that are not
// NMI-safe for tracepoints, so wall time is computed in Read). It maps each
// event's ring buffer and waits for them with epoll: the kernel wakes the
// reader when a buffer is a quarter full (watermark), and Read also looks
// every Options.PollInterval; an eventfd in the epoll set wakes it for
// context cancellation and Close. The layout of
// the records and the ring buffer protocol are those of
// include/uapi/linux/perf_event.h:
//
//   - the mapping is one metadata page (struct perf_event_mmap_page) followed
//     by a data area of 2^n pages, at data_offset with size data_size;
//   - the kernel writes records at data_head and the reader consumes them up
//     to data_tail, both free-running byte counters taken modulo data_size;
//     a record may wrap around the end of the data area;
//   - the reader loads data_head with acquire semantics (smp_rmb after the
//     load) before reading the records, and stores data_tail with release
//     semantics (smp_mb before the store) once it no longer needs them; the
//     kernel does not overwrite unread data and instead counts what it could
//     not write, then emits a PERF_RECORD_LOST record;
//   - every record starts with struct perf_event_header {u32 type; u16 misc;
//     u16 size}; a PERF_RECORD_SAMPLE holds the fields selected by
//     sample_type in the order the header file lists them, the raw
//     tracepoint record last as {u32 size; char data[size]};
//   - a callchain {u64 nr; u64 ips[nr]} interleaves context markers
//     (PERF_CONTEXT_KERNEL, PERF_CONTEXT_USER, ...; every value at or above
//     PERF_CONTEXT_MAX, (u64)-4095) with the addresses; they are removed.
//
// The format parser, the record decoder, the ring reader and the per
// location aggregation are pure Go and work on any OS (tests feed them
// bytes); opening the tracer needs Linux, root or CAP_PERFMON (5.8+) or
// CAP_SYS_ADMIN, or kernel.perf_event_paranoid -1. Other systems get an
// error matching errors.ErrUnsupported.
//
// The package never prints. Errors are *Error values that match
// os.ErrPermission, os.ErrNotExist and errors.ErrUnsupported with errors.Is.
package skbtrace
