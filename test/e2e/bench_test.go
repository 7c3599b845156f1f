//go:build vmtest

package e2e

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dropwatch-go/dropwatch/test/vm/dropgen"
)

// burstDrops is about what the C dropwatch was seen to lose half of in
// packet mode (its 32 KiB libnl socket buffer overflows; ENOBUFS).
const burstDrops = 20000

var cDwdump = tool{"C", "C_DWDUMP_BIN"}
var goDwdump = tool{"Go", "DWDUMP_BIN"}

// burst makes burstDrops drops as fast as the guest can, then waits until
// the tool has read everything that reached it. Unlike makeDrops it does
// not wait for the watcher: under a burst the watcher loses alerts too.
func burst(b *testing.B, k *kernel, p *proc) (made int, rate float64) {
	b.Helper()
	k.dm.waitMonitoring(b, true, stateTimeout)
	start := time.Now()
	made, err := dropgen.Make(burstDrops)
	if err != nil {
		b.Fatalf("making drops: %d made: %v", made, err)
	}
	rate = float64(made) / time.Since(start).Seconds()
	// Packet alerts leave the kernel from a per-CPU work item right after
	// the drop; give the last ones a moment to be queued.
	time.Sleep(500 * time.Millisecond)
	p.waitQuiet(b, 5*time.Minute)
	return made, rate
}

// compareBurst runs one burst per b.N and tool and reports how many of the
// drops made reached the tool's output.
func compareBurst(b *testing.B, tools []tool, once func(b *testing.B, k *kernel, bin string) (made int, rate float64, alerts int)) {
	for _, tl := range tools {
		b.Run(tl.name, func(b *testing.B) {
			bin := tl.path(b)
			for range b.N {
				made, rate, alerts := once(b, newKernel(b), bin)
				b.ReportMetric(float64(alerts), "alerts")
				b.ReportMetric(100*float64(alerts)/float64(made), "%received")
				b.ReportMetric(rate, "drops/s")
			}
		})
	}
}

// BenchmarkPacketBurst compares how many packet alerts of a burst each
// dropwatch prints.
func BenchmarkPacketBurst(b *testing.B) {
	compareBurst(b, []tool{cDropwatch, goDropwatch}, func(b *testing.B, k *kernel, bin string) (int, float64, int) {
		p := startProc(b, bin, "-l", "kas")
		p.send(b, "set alertmode packet")
		p.send(b, "start")
		made, rate := burst(b, k, p)
		p.signal(b, syscall.SIGINT)
		k.dm.waitMonitoring(b, false, stateTimeout)
		p.finish(b)
		saveTranscript(b, "dropwatch", p)
		b.ReportMetric(float64(strings.Count(p.stderr.String(), "Receive operation failed")), "recv-errors")
		return made, rate, strings.Count(p.stdout.String(), "\ndrop at: ")
	})
}

// BenchmarkDwdumpBurst compares how many packet alerts of a burst each
// dwdump writes to its pcap file. The files come back to the host in /out
// for tshark.
func BenchmarkDwdumpBurst(b *testing.B) {
	compareBurst(b, []tool{cDwdump, goDwdump}, func(b *testing.B, k *kernel, bin string) (int, float64, int) {
		file := filepath.Join(b.TempDir(), "burst.pcap")
		p := startProc(b, bin, "-w", file)
		made, rate := burst(b, k, p)
		p.signal(b, syscall.SIGINT)
		if code := p.wait(b, time.Minute); code != 0 {
			b.Errorf("dwdump exited %d; stderr:\n%s", code, p.stderr.String())
		}
		k.dm.waitMonitoring(b, false, stateTimeout)
		saveTranscript(b, "dwdump", p)
		keepFile(b, file, strings.ReplaceAll(b.Name(), "/", "_")+".pcap")
		// The first record is the CTRL_CMD_GETFAMILY dump that lets
		// Wireshark name the NET_DM family.
		return made, rate, pcapRecords(b, file) - 1
	})
}

// pcapRecords counts the records of a classic pcap file in host byte order
// (both dwdumps write it with libpcap's layout on this machine).
func pcapRecords(tb testing.TB, path string) int {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	const fileHeader, recordHeader = 24, 16
	if len(data) < fileHeader || binary.NativeEndian.Uint32(data) != 0xa1b2c3d4 {
		tb.Fatalf("%s is not a pcap file in host byte order (%d bytes)", path, len(data))
	}
	n := 0
	for off := fileHeader; off < len(data); n++ {
		if off+recordHeader > len(data) {
			tb.Fatalf("%s: truncated record header at %d", path, off)
		}
		off += recordHeader + int(binary.NativeEndian.Uint32(data[off+8:]))
		if off > len(data) {
			tb.Fatalf("%s: truncated record %d", path, n)
		}
	}
	return n
}

// keepFile copies a file into the guest's /out, which run.sh brings back.
func keepFile(tb testing.TB, path, name string) {
	dir := os.Getenv("DROPWATCH_VM_OUT_DIR")
	if dir == "" {
		return
	}
	data, err := os.ReadFile(path)
	if err == nil {
		dir = filepath.Join(dir, "bench")
		err = os.MkdirAll(dir, 0o755)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	if err != nil {
		tb.Logf("keeping %s: %v", path, err)
	}
}
