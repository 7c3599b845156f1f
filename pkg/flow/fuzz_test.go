package flow_test

import (
	"testing"

	"github.com/dropwatch-go/dropwatch/pkg/flow"
)

// FuzzDecode: any bytes, any link and EtherType, decode without a panic
// and format.
func FuzzDecode(f *testing.F) {
	addCorpusSeeds(f)
	d := flow.NewDecoder()
	f.Fuzz(func(t *testing.T, link uint8, proto uint16, payload []byte) {
		fl, err := d.Decode(flow.Link(link%3), proto, payload)
		if err != nil && fl.Depth > flow.DepthNetwork {
			t.Errorf("error %v with depth %v", err, fl.Depth)
		}
		_ = fl.String()
	})
}

// addCorpusSeeds seeds a fuzzer of (link, EtherType, payload) with each
// corpus frame, as an Ethernet frame and from its network header.
func addCorpusSeeds(f *testing.F) {
	for _, frame := range readCorpus(f) {
		f.Add(uint8(flow.LinkEthernet), uint16(0), frame)
		f.Add(uint8(flow.LinkRaw), uint16(frame[12])<<8|uint16(frame[13]), frame[14:])
	}
}
