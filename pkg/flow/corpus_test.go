package flow_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// corpusPath is the capture of real packets shared with pkg/pcapfilter;
// testdata/packets/README.md says how it was made.
var corpusPath = filepath.Join("..", "..", "testdata", "packets", "corpus.pcap")

// readCorpus returns the corpus's frames, in order (tcpdump's packet 1 is
// index 0).
func readCorpus(t testing.TB) [][]byte {
	t.Helper()
	f, err := os.Open(corpusPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != layers.LinkTypeEthernet {
		t.Fatalf("corpus link type %v, want Ethernet", r.LinkType())
	}
	var frames [][]byte
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ci.CaptureLength != ci.Length {
			t.Fatalf("corpus packet %d truncated by the capture", len(frames)+1)
		}
		frames = append(frames, data)
	}
	return frames
}
