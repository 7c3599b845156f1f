package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/pkg/drops"
)

// TestJSON: with --json, stdout holds one JSON object per alert and a
// final one, nothing else; status lines go to stderr.
func TestJSON(t *testing.T) {
	h := newHarness("")
	h.app.stdin = blockingReader{}
	h.start("--once", "5s", "--json", "-l", "kas")
	h.be.waitCall(t, "start -")
	h.be.send(t, summary(point(0xffffffff878bcae2, 5), point(0x1111, 2)))
	h.be.send(t, packetAlert(1))
	h.fire(t, 5*time.Second)
	h.fire(t, drops.DefaultTiming.Drain)
	h.fire(t, drops.DefaultTiming.FlushQuiet)
	checkCode(t, h.wait(t), 0)
	var got []map[string]any
	for i, line := range strings.Split(strings.TrimSuffix(h.stdout.String(), "\n"), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("stdout line %d is not a JSON object: %v: %q", i+1, err, line)
		}
		got = append(got, v)
	}
	type line struct {
		Type, Symbol string
		Count        float64
	}
	var lines []line
	for _, v := range got {
		l := line{Type: v["type"].(string)}
		l.Symbol, _ = v["symbol"].(string)
		l.Count, _ = v["count"].(float64)
		lines = append(lines, l)
	}
	want := []line{
		{Type: "summary", Symbol: "__udp4_lib_rcv+0x9a2", Count: 5},
		{Type: "summary", Count: 2},
		{Type: "packet", Symbol: "__udp4_lib_rcv+0x9a2/0xc30"},
		{Type: "final"},
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("JSON lines (-want +got):\n%s\nstdout:\n%s", diff, h.stdout)
	}
	if n := len(got); n > 0 {
		if total, _ := got[n-1]["total"].(float64); total != 8 {
			t.Errorf("final total = %v, want 8", got[n-1]["total"])
		}
		if _, ok := got[n-1]["losses"].(map[string]any); !ok {
			t.Errorf("final object has no losses: %v", got[n-1])
		}
	}
	if !strings.Contains(h.stderr.String(), "Kernel monitoring activated.\n") {
		t.Errorf("status not on stderr:\n%s", h.stderr)
	}
}
