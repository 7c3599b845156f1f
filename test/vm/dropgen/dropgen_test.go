package dropgen

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// noPorts is NoPorts, skipping where /proc/net/snmp is missing.
func noPorts(t *testing.T) uint64 {
	t.Helper()
	if _, err := os.Stat("/proc/net/snmp"); err != nil {
		t.Skipf("no /proc/net/snmp: %v", err)
	}
	n, err := NoPorts()
	if err != nil {
		t.Fatal(err)
	}
	return n
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
			got, err := CountedSince(before, uint64(n), 5*time.Second)
			if err != nil {
				t.Fatal(err)
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
