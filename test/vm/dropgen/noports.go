package dropgen

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// NoPorts reads the "Udp: NoPorts" counter of this network namespace
// (/proc/net/snmp): the kernel bumps it once for every datagram
// __udp4_lib_rcv drops for want of a socket, which is exactly the drop
// dropgen makes, whether or not anything monitors drops.
func NoPorts() (uint64, error) {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return 0, err
	}
	// A header line of names, then a line of values, per protocol.
	var names []string
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) == 0 || fields[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = fields
			continue
		}
		for i, name := range names {
			if name == "NoPorts" && i < len(fields) {
				v, err := strconv.ParseUint(fields[i], 10, 64)
				if err != nil {
					return 0, fmt.Errorf("Udp NoPorts %q: %w", fields[i], err)
				}
				return v, nil
			}
		}
	}
	return 0, fmt.Errorf("no Udp NoPorts counter in /proc/net/snmp")
}

// CountedSince returns how far NoPorts has grown since before, waiting up
// to timeout for it to reach want. A write on loopback returns once
// netif_rx has queued the datagram on the CPU's backlog
// (net/core/dev.c); UDP counts it when the NET_RX softirq runs, which a
// busy emulated guest may leave to ksoftirqd, so the count can lag the
// writes for a moment.
func CountedSince(before, want uint64, timeout time.Duration) (uint64, error) {
	deadline := time.Now().Add(timeout)
	for {
		now, err := NoPorts()
		if err != nil {
			return 0, err
		}
		if got := now - before; got >= want || time.Now().After(deadline) {
			return got, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
}
