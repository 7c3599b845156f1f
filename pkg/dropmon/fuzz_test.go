package dropmon

import (
	"os"
	"path/filepath"
	"testing"
)

// seedCaptures adds every message captured from a real kernel (testdata/
// captures, see testdata/README.md) to the corpus; the decoders must take
// any mutation of them without panicking.
func seedCaptures(f *testing.F, body bool) {
	files, _ := filepath.Glob(filepath.Join("testdata", "captures", "*", "*.bin"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if body && len(b) >= nlmsgHeaderLen+genlHeaderLen {
			b = b[nlmsgHeaderLen+genlHeaderLen:]
		}
		f.Add(b)
	}
}

func FuzzDecodeEvent(f *testing.F) {
	seedCaptures(f, false)
	f.Add(nlmsg(f, 0x1c, cmdAlert, alertMsg(1, DropPoint{PC: 1, Count: 1})))
	f.Fuzz(func(t *testing.T, b []byte) {
		for len(b) > 0 {
			msg, _, rest, err := splitMessage(b)
			if err != nil {
				return
			}
			ev, ok := DecodeEvent(msg)
			if ok && (ev.Alert == nil) == (ev.Packet == nil) == (ev.Err == nil) {
				t.Fatalf("event with not exactly one of Alert, Packet, Err: %+v", ev)
			}
			if ev.Alert != nil && len(ev.Alert.Points) > len(msg)/dropPointLen {
				t.Fatalf("%d points decoded from %d bytes", len(ev.Alert.Points), len(msg))
			}
			b = rest
		}
	})
}

func FuzzDecodeAlert(f *testing.F) {
	seedCaptures(f, true)
	f.Add([]byte{16, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = DecodeAlert(b) })
}

func FuzzDecodePacketAlert(f *testing.F) {
	seedCaptures(f, true)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePacketAlert(b)
		if err == nil && p.HasPayload && len(p.Payload) > len(b) {
			t.Fatalf("payload of %d bytes from %d", len(p.Payload), len(b))
		}
	})
}

func FuzzDecodeConfig(f *testing.F) {
	seedCaptures(f, true)
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = DecodeConfig(b) })
}

func FuzzDecodeStats(f *testing.F) {
	seedCaptures(f, true)
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = DecodeStats(b) })
}
