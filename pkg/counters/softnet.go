package counters

import (
	"strconv"

	"github.com/prometheus/procfs"
)

// /proc/net/softnet_stat has one line per online CPU of %08x columns
// (net/core/net-procfs.c softnet_seq_show). The columns a kernel prints:
//
//	1  processed        packets taken off this CPU's backlog queues
//	2  dropped          packets dropped because the backlog was full
//	                    (net.core.netdev_max_backlog) or by the flow limit
//	3  time_squeeze     net_rx_action ended with work left, out of
//	                    net.core.netdev_budget or netdev_budget_usecs
//	4-9                 always 0 (fastroute and cpu_collision are gone)
//	10 received_rps     RPS inter-processor interrupts received
//	11 flow_limit_count packets dropped by the RPS flow limit (added with
//	                    flow limits, commit 99bbc7074190, Linux 3.11)
//	12 backlog_len      packets waiting in input_pkt_queue + process_queue
//	13 cpu index        the CPU of the line, since offline CPUs have none
//	                    (12 and 13 came with commit 7d58e6555870d,
//	                    "net-sysfs: add backlog len and CPU id to softnet
//	                    data", Linux 5.10)
//	14 input_qlen, 15 process_qlen: the two parts of column 12 (posted to
//	                    netdev in March 2023; this machine's 6.18 has them)
//
// The file is parsed by prometheus/procfs (FS.NetSoftnetStat), which keeps
// the columns up to 13 and tells how many columns the line had (Width); we
// report only the columns that line had. The values are the kernel's
// unsigned int fields, so they wrap at 2^32.
func softnetCounters(stats []procfs.SoftnetStat, dst []Counter) []Counter {
	for _, s := range stats {
		obj := cpuName(s.Index)
		add := func(name string, v uint32) {
			dst = append(dst, Counter{Source: Softnet, Object: obj, Name: name, Value: uint64(v), Bits: 32})
		}
		add("processed", s.Processed)
		add("dropped", s.Dropped)
		add("time_squeeze", s.TimeSqueezed)
		if s.Width >= 10 {
			add("received_rps", s.ReceivedRps)
		}
		if s.Width >= 11 {
			add("flow_limit_count", s.FlowLimitCount)
		}
		if s.Width >= 13 {
			dst = append(dst, Counter{Source: Softnet, Object: obj, Name: "backlog_len", Value: uint64(s.SoftnetBacklogLen), Bits: 32, Gauge: true})
		}
	}
	return dst
}

var cpuNames [64]string

func init() {
	for i := range cpuNames {
		cpuNames[i] = "cpu" + strconv.Itoa(i)
	}
}

func cpuName(i uint32) string {
	if int(i) < len(cpuNames) {
		return cpuNames[i]
	}
	return "cpu" + strconv.FormatUint(uint64(i), 10)
}
