package counters

import (
	"bytes"
	"strconv"
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
// parseSoftnet reads the columns up to 13 and how many columns each line
// had (width); we report only the columns that line had. The values are
// the kernel's unsigned int fields, so they wrap at 2^32.
func softnetCounters(stats []softnetStat, dst []Counter) []Counter {
	for _, s := range stats {
		obj := cpuName(s.index)
		add := func(name string, v uint32) {
			dst = append(dst, Counter{Source: Softnet, Object: obj, Name: name, Value: uint64(v), Bits: 32})
		}
		add("processed", s.processed)
		add("dropped", s.dropped)
		add("time_squeeze", s.timeSqueeze)
		if s.width >= 10 {
			add("received_rps", s.receivedRPS)
		}
		if s.width >= 11 {
			add("flow_limit_count", s.flowLimit)
		}
		if s.width >= 13 {
			dst = append(dst, Counter{Source: Softnet, Object: obj, Name: "backlog_len", Value: uint64(s.backlogLen), Bits: 32, Gauge: true})
		}
	}
	return dst
}

// softnetStat is one line of /proc/net/softnet_stat.
type softnetStat struct {
	// index is the line's CPU: column 13, or before Linux 5.10 the
	// line's number.
	index uint32
	// width is how many columns the line had.
	width                                                               int
	processed, dropped, timeSqueeze, receivedRPS, flowLimit, backlogLen uint32
}

// softnetMinColumns is the oldest layout's width (Linux 2.6.23).
const softnetMinColumns = 9

// parseSoftnet appends the lines of a softnet_stat file to dst. Every
// column up to 13 must be 32-bit hex, and a line must have at least
// softnetMinColumns; else the error matches ErrMalformed. (This is
// prometheus/procfs's FS.NetSoftnetStat, whose package compiled 22
// regular expressions at every start of dropwatch for this one file:
// docs/benchmarks.md.)
func parseSoftnet(b []byte, dst []softnetStat) ([]softnetStat, error) {
	var cols [13]uint32
	line := 0
	for text := range bytes.Lines(b) {
		fields := bytes.Fields(text)
		if len(fields) < softnetMinColumns {
			return dst, malformed("softnet_stat line %d has %d columns, want at least %d", line+1, len(fields), softnetMinColumns)
		}
		for i := range min(len(fields), len(cols)) {
			v, err := strconv.ParseUint(string(fields[i]), 16, 32)
			if err != nil {
				return dst, malformed("softnet_stat line %d column %d: %v", line+1, i+1, err)
			}
			cols[i] = uint32(v)
		}
		st := softnetStat{
			index: uint32(line), width: len(fields),
			processed: cols[0], dropped: cols[1], timeSqueeze: cols[2],
		}
		if st.width >= 10 {
			st.receivedRPS = cols[9]
		}
		if st.width >= 11 {
			st.flowLimit = cols[10]
		}
		if st.width >= 13 {
			st.backlogLen, st.index = cols[11], cols[12]
		}
		dst = append(dst, st)
		line++
	}
	return dst, nil
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
