package pcapfilter_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"
)

// corpusPath is the capture of real packets shared with pkg/flow;
// testdata/packets/README.md says how it was made.
var corpusPath = filepath.Join("..", "..", "testdata", "packets", "corpus.pcap")

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
	var frames [][]byte
	for {
		data, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return frames
		}
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, data)
	}
}
