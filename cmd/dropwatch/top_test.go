package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// replyFields returns the words of each line a command printed: the lines
// after "dropwatch> cmd" up to the next prompt.
func replyFields(t *testing.T, out, cmd string, nth int) [][]string {
	t.Helper()
	parts := strings.Split(out, prompt+cmd+"\n")
	if len(parts) <= nth {
		t.Fatalf("no %d-th %q in:\n%s", nth, cmd, out)
	}
	reply, _, _ := strings.Cut(parts[nth], prompt)
	var lines [][]string
	for _, l := range strings.Split(strings.TrimSuffix(reply, "\n"), "\n") {
		lines = append(lines, strings.Fields(l))
	}
	return lines
}

// TestTop: top shows the drops since the last start, most first; summary
// rows are drop points (resolved with -l kas), packet rows carry the reason
// and protocol; top N shows N rows.
func TestTop(t *testing.T) {
	h := newHarness("top\nstart\ntop\ntop 1\ntop 0\nset alertmode packet\nstart\ntop\ntop --by reason\ntop 1 --by=interface\ntop --by flow\ntop --by nothing\n").start("-l", "kas")
	h.be.waitCall(t, "start -")
	h.be.send(t, summary(point(0x1111, 2), point(0xffffffff878bcae2, 5)))
	h.be.send(t, summary(point(0xffffffff878bcae2, 1)))
	h.stdout.waitFor(t, "1 drops at __udp4_lib_rcv+9a2")
	h.interruptTwice()
	h.be.waitCall(t, "start -")
	h.be.send(t, packetAlert(1))
	h.be.send(t, packetAlert(2))
	h.stdout.waitFor(t, "drop reason: NO_SOCKET\n\ndrop at")
	h.interruptTwice()
	checkCode(t, h.wait(t), 0)
	out := h.stdout.String()
	header := strings.Fields("# DROPS SHARE LOCATION REASON PROTO")
	losses := strings.Fields(zeroLosses)
	tests := []struct {
		cmd  string
		nth  int
		want [][]string
	}{
		{"top", 1, [][]string{header, strings.Fields("total: 0 drops in 0 rows"), losses}},
		{"top", 2, [][]string{
			header,
			{"1", "6", "75.0%", "__udp4_lib_rcv+0x9a2", "-", "-"},
			{"2", "2", "25.0%", "0x1111", "-", "-"},
			strings.Fields("total: 8 drops in 2 rows"),
			losses,
		}},
		{"top 1", 1, [][]string{
			header,
			{"1", "6", "75.0%", "__udp4_lib_rcv+0x9a2", "-", "-"},
			strings.Fields("total: 8 drops in 2 rows (top 1 shown)"),
			losses,
		}},
		{"top 0", 1, [][]string{{}}}, // an error, on stderr
		{"top", 3, [][]string{
			header,
			{"1", "2", "100.0%", "__udp4_lib_rcv+0x9a2", "NO_SOCKET", "0x0800"},
			strings.Fields("total: 2 drops in 1 row"),
			losses,
		}},
		{"top --by reason", 1, [][]string{
			strings.Fields("# DROPS SHARE REASON"),
			{"1", "2", "100.0%", "NO_SOCKET"},
			strings.Fields("total: 2 drops in 1 row"),
			losses,
		}},
		{"top 1 --by=interface", 1, [][]string{
			strings.Fields("# DROPS SHARE INTERFACE"),
			{"1", "2", "100.0%", "-"}, // the fake alerts name no interface
			strings.Fields("total: 2 drops in 1 row"),
			losses,
		}},
		{"top --by flow", 1, [][]string{
			strings.Fields("# DROPS SHARE FLOW"),
			{"1", "2", "100.0%", "unknown"}, // 74 zero bytes: EtherType 0, which a flow.Key shows as no payload
			strings.Fields("total: 2 drops in 1 row"),
			losses,
		}},
		{"top --by nothing", 1, [][]string{{}}}, // an error, on stderr
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, replyFields(t, out, tt.cmd, tt.nth)); diff != "" {
			t.Errorf("%s #%d (-want +got):\n%s", tt.cmd, tt.nth, diff)
		}
	}
	if want := `invalid grouping "nothing": want site, flow, reason, interface, comm: usage: top`; !strings.Contains(h.stderr.String(), want) {
		t.Errorf("stderr = %q, want it to contain %q", h.stderr, want)
	}
	if want := "invalid number of rows \"0\": usage: top [N] [--by site|flow|reason|interface|comm], N the number of rows to show, from 1\n"; !strings.Contains(h.stderr.String(), want) {
		t.Errorf("stderr = %q, want it to contain %q", h.stderr, want)
	}
}
