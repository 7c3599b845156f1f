// Package hostcheck checks on the host what the test VMs leave in their
// /out, with tools the guests lack: tshark decodes the pcap files that
// dropwatch -w and dwdump -w wrote there (test/e2e TestPcap).
//
// test/vm/run.sh runs its tests after the guests, with the build tag
// hostcheck:
//
//	DROPWATCH_VM_OUT=/tmp/dropwatch-vm DROPWATCH_VM_LABELS="6.1.0-56-amd64 …" \
//		go test -tags hostcheck ./test/vm/hostcheck
package hostcheck

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
)

// UDPFilter selects the packet alerts of dropgen's datagrams, as the
// kernel's selftest (tools/testing/selftests/net/drop_monitor_tests.sh)
// does; the first record, the NET_DM family's description, has no IP.
const UDPFilter = "ip.dst == 127.0.0.1"

// Symbols has tshark decode file and returns the net_dm.symbol field of
// each record that filter selects, one a line.
func Symbols(file, filter string) (string, error) {
	cmd := exec.Command("tshark", "-r", file, "-Y", filter, "-T", "fields", "-e", "net_dm.symbol")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// CheckSymbols checks tshark's fields output: want records, each naming
// the function fn as the kernel's %pS does ("fn+0xoff/0xsize").
func CheckSymbols(out string, want int, fn string) error {
	var lines []string
	if out != "" {
		lines = strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	}
	var bad []string
	for i, l := range lines {
		if !strings.HasPrefix(l, fn+"+0x") {
			bad = append(bad, fmt.Sprintf("record %d: %q", i+1, l))
		}
	}
	switch {
	case len(lines) != want:
		return fmt.Errorf("%d records decoded as NET_DM alerts with a symbol, want %d", len(lines), want)
	case len(bad) > 0:
		return fmt.Errorf("records not at %s: %s", fn, strings.Join(bad, ", "))
	}
	return nil
}
