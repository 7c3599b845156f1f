package nlpcaptest

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// TShark decodes the pcap file at path with the installed tshark and
// returns one row per record that matches the display filter (all records
// if filter is ""), holding the values of the given display fields
// ("net_dm.symbol", "ip.dst", ...); a field missing from a record is "". The test is skipped when tshark is not installed or lacks the net_dm
// dissector (Wireshark before 3.2), as the kernel's drop_monitor selftest
// does.
func TShark(tb testing.TB, path, filter string, fields ...string) [][]string {
	tb.Helper()
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		tb.Skip("tshark is not installed (apt-get install tshark): cannot check that Wireshark decodes the capture")
	}
	out, err := exec.Command(tshark, "-G", "protocols").Output()
	if err != nil {
		tb.Fatalf("tshark -G protocols: %v", err)
	}
	if !bytes.Contains(out, []byte("\tnet_dm\t")) {
		tb.Skip("tshark is too old: it has no net_dm dissector (Wireshark 3.2+)")
	}

	args := []string{"-r", path, "-T", "fields", "-E", "separator=/t"}
	if filter != "" {
		args = append(args, "-Y", filter)
	}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	cmd := exec.Command(tshark, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	if err != nil {
		tb.Fatalf("tshark %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	if len(out) == 0 {
		return nil // no records
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if line == "" && len(fields) > 1 {
			line = strings.Repeat("\t", len(fields)-1)
		}
		rows = append(rows, strings.Split(line, "\t"))
	}
	return rows
}
