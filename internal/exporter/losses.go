package exporter

// Losses are what a drop monitor failed to report, as counts since the
// source was opened. Each field is one counter of the exporter; a source
// leaves at zero what its backend cannot lose.
type Losses struct {
	// KernelTailDrops: NET_DM packet mode, alerts the kernel's per-CPU
	// queue discarded because it was full (net_dm_packet_trace_kfree_skb_hit
	// in net/core/drop_monitor.c; NET_DM_ATTR_STATS_DROPPED).
	KernelTailDrops uint64
	// SocketOverruns: reads of the NET_DM socket that failed with ENOBUFS,
	// the kernel's way to say the receive buffer overflowed.
	SocketOverruns uint64
	// AlertsLost: alerts the kernel could not queue to the socket (the
	// socket's Drops in /proc/net/netlink).
	AlertsLost uint64
	// FullSummaries: NET_DM summary alerts that reached the kernel's limit
	// of 64 locations (dm_hit_limit): drops at further locations in that
	// interval were not reported.
	FullSummaries uint64
	// Malformed: messages or ring buffer records that could not be decoded.
	Malformed uint64
	// TracepointLost: skb:kfree_skb samples the kernel could not write
	// because a perf ring buffer was full (PERF_RECORD_LOST).
	TracepointLost uint64
}

func (l Losses) values() [numLosses]uint64 {
	return [numLosses]uint64{l.KernelTailDrops, l.SocketOverruns, l.AlertsLost, l.FullSummaries, l.Malformed, l.TracepointLost}
}

const numLosses = 6

// lossCounters turns the absolute counts of successive sources into
// counters that only grow: a new source starts from zero (rebase), and a
// count that goes down is taken as a reset of the source's counters.
type lossCounters struct {
	base, last [numLosses]uint64
}

func (c *lossCounters) observe(l Losses) {
	for i, v := range l.values() {
		if v < c.last[i] {
			c.base[i] += c.last[i]
		}
		c.last[i] = v
	}
}

// rebase starts counting a new source's losses from zero.
func (c *lossCounters) rebase() {
	for i := range c.last {
		c.base[i] += c.last[i]
		c.last[i] = 0
	}
}

func (c *lossCounters) totals() (t [numLosses]uint64) {
	for i := range t {
		t[i] = c.base[i] + c.last[i]
	}
	return t
}
