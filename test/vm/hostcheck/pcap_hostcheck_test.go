//go:build hostcheck

package hostcheck

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPcaps: every guest's dropwatch -w and dwdump -w captures (test/e2e
// TestPcap) decode in tshark as one NET_DM packet alert at __udp4_lib_rcv
// per drop made. A missing capture fails: the guest's test did not write
// it.
func TestPcaps(t *testing.T) {
	out, labels := os.Getenv("DROPWATCH_VM_OUT"), strings.Fields(os.Getenv("DROPWATCH_VM_LABELS"))
	if out == "" || len(labels) == 0 {
		t.Fatal("DROPWATCH_VM_OUT and DROPWATCH_VM_LABELS must name the VMs' results (test/vm/run.sh sets them)")
	}
	for _, label := range labels {
		for _, tool := range []string{"dropwatch", "dwdump"} {
			t.Run(label+"/"+tool, func(t *testing.T) {
				file := filepath.Join(out, label, "out", label+"-"+tool+".pcap")
				b, err := os.ReadFile(file + ".drops")
				if err != nil {
					t.Fatalf("the drops the guest made for %s: %v", file, err)
				}
				want, err := strconv.Atoi(strings.TrimSpace(string(b)))
				if err != nil {
					t.Fatalf("%s.drops: %v", file, err)
				}
				got, err := Symbols(file, UDPFilter)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("tshark -r %s -Y '%s' -T fields -e net_dm.symbol:\n%s", file, UDPFilter, got)
				if err := CheckSymbols(got, want, "__udp4_lib_rcv"); err != nil {
					t.Errorf("%s: %v", file, err)
				}
			})
		}
	}
}
