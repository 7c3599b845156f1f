package dropgen

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// noPorts reads the "Udp: NoPorts" counter of this network namespace: the
// kernel bumps it once for every datagram __udp4_lib_rcv drops for want of
// a socket, which is exactly the drop dropgen makes.
func noPorts(t *testing.T) uint64 {
	t.Helper()
	f, err := os.Open("/proc/net/snmp")
	if err != nil {
		t.Skipf("no /proc/net/snmp: %v", err)
	}
	defer f.Close()
	var names []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) == 0 || fields[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = fields // the header line comes first
			continue
		}
		for i, name := range names {
			if name == "NoPorts" && i < len(fields) {
				v, err := strconv.ParseUint(fields[i], 10, 64)
				if err != nil {
					t.Fatalf("Udp NoPorts %q: %v", fields[i], err)
				}
				return v
			}
		}
	}
	t.Fatalf("no Udp NoPorts counter in /proc/net/snmp (err %v)", s.Err())
	return 0
}

func TestMakeCountsKernelDrops(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			before := noPorts(t)
			made, err := Make(n)
			if err != nil {
				t.Fatalf("Make(%d): %v", n, err)
			}
			if made != n {
				t.Errorf("Make(%d) made %d", n, made)
			}
			// Another program on this machine sending to closed UDP
			// ports at the same moment would show up here too; none of
			// ours does.
			// The kernel counts a datagram when its NET_RX softirq runs,
			// which may come after the write returned (see netif_rx in
			// net/core/dev.c): wait briefly for the count to settle.
			got := noPorts(t) - before
			for deadline := time.Now().Add(5 * time.Second); got < uint64(n) && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
				got = noPorts(t) - before
			}
			if got != uint64(n) {
				t.Errorf("Udp NoPorts grew by %d after Make(%d), want %d", got, n, n)
			}
		})
	}
}

func TestMakeRatePaces(t *testing.T) {
	const n, rate = 300, 1000
	start := time.Now()
	made, err := MakeRate(context.Background(), n, rate)
	if err != nil || made != n {
		t.Fatalf("MakeRate(%d, %d) = %d, %v", n, rate, made, err)
	}
	// 300 drops at 1000/s take 0.3 s; the first batch goes out at once.
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("MakeRate(%d, %d/s) took %v, want at least 250ms", n, rate, d)
	}
}

func TestMakeRateStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	made, err := MakeRate(ctx, 1_000_000, 1000)
	if err == nil {
		t.Fatalf("MakeRate with a cancelled context made %d and no error", made)
	}
	if made <= 0 || made >= 1_000_000 {
		t.Errorf("MakeRate made %d before the deadline, want a few", made)
	}
}

func TestMakeRejectsNegative(t *testing.T) {
	if made, err := Make(-1); err == nil {
		t.Errorf("Make(-1) = %d, nil; want an error", made)
	}
}
