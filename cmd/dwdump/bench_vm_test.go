//go:build vmtest

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// burstDrops is what BenchmarkVMCaptureBurst makes as fast as dropgen can.
const burstDrops = 20000

// BenchmarkVMCaptureBurst runs dwdump's capture in this process, so that
// a CPU profile of it shows where our receive and write path spends its
// time, while a dropgen process makes a burst of drops. Each case's
// profile goes to DROPWATCH_VM_OUT_DIR as dwdump-<case>.cpu.pprof, for
// go tool pprof on the host (with this test binary, from
// /tmp/dropwatch-vm/build/common/tests).
func BenchmarkVMCaptureBurst(b *testing.B) {
	if os.Getenv("DROPWATCH_VM") != "1" {
		b.Skip("needs the test VM (test/vm/run.sh)")
	}
	gen := os.Getenv("DROPGEN_BIN")
	for _, bc := range []struct {
		name string
		args []string
	}{
		{"default", nil},
		{"b1M", []string{"-b", "1048576"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for range b.N {
				captureBurst(b, gen, bc.name, bc.args)
			}
		})
	}
}

func captureBurst(b *testing.B, gen, name string, args []string) {
	path := filepath.Join(b.TempDir(), "burst.pcap")
	sigs := make(chan chan<- os.Signal, 1)
	a := newApp()
	a.notify = func(c chan<- os.Signal) { sigs <- c }
	a.stopNotify = func(chan<- os.Signal) {}
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- a.run(append([]string{"dwdump", "-o", "sw", "-w", path}, args...), nil, &bytes.Buffer{}, &stderr)
	}()
	sig := <-sigs
	// The family record is written once START has succeeded.
	for fileSize(path) == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	var prof bytes.Buffer
	if err := pprof.StartCPUProfile(&prof); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	out, err := exec.Command(gen, "-n", strconv.Itoa(burstDrops)).Output()
	if err != nil {
		b.Fatalf("dropgen: %v", err)
	}
	made, _ := strconv.Atoi(string(bytes.TrimSpace(out)))
	rate := float64(made) / time.Since(start).Seconds()
	// Done when the file has stopped growing for a second.
	for last := int64(-1); fileSize(path) != last; time.Sleep(time.Second) {
		last = fileSize(path)
	}
	pprof.StopCPUProfile()
	sig <- syscall.SIGINT
	if code := <-done; code != 0 {
		b.Errorf("exit status %d; stderr %q", code, stderr.String())
	}
	if dir := os.Getenv("DROPWATCH_VM_OUT_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "dwdump-"+name+".cpu.pprof"), prof.Bytes(), 0o644)
	}
	alerts := len(readCapture(b, path).records) - 1
	b.ReportMetric(float64(alerts), "alerts")
	b.ReportMetric(100*float64(alerts)/float64(made), "%received")
	b.ReportMetric(rate, "drops/s")
	b.Logf("stderr: %s", stderr.String())
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
