package flow_test

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/dropwatch-go/dropwatch/pkg/flow"
)

// sameAsGopacket checks that the decoder gives the flow, and the kind of
// error, that the gopacket-based one it replaced gives.
func sameAsGopacket(t *testing.T, d *flow.Decoder, link flow.Link, proto uint16, payload []byte) {
	t.Helper()
	want, wantErr, ok := flow.RefDecode(link, proto, payload)
	if !ok {
		return // gopacket panics on this input; ours must merely not
	}
	got, err := d.Decode(link, proto, payload)
	if got != want {
		t.Errorf("link %v proto %#x payload % x:\n ours     %+v\n gopacket %+v", link, proto, payload, got, want)
	}
	if (err == nil) != (wantErr == nil) || (err != nil && !errors.Is(err, flow.ErrMalformed)) {
		t.Errorf("link %v proto %#x payload % x: error %v, gopacket's %v", link, proto, payload, err, wantErr)
	}
}

// TestSameAsGopacket: on every packet of the real corpus, whole and cut at
// every length, as Ethernet frames and from their network header, both
// decoders agree; and on constructed headers that are wrong in each way
// the decoder checks.
func TestSameAsGopacket(t *testing.T) {
	d := flow.NewDecoder()
	for _, frame := range readCorpus(t) {
		proto := binary.BigEndian.Uint16(frame[12:14])
		for n := 0; n <= len(frame); n++ {
			sameAsGopacket(t, d, flow.LinkEthernet, 0, frame[:n])
			sameAsGopacket(t, d, flow.LinkAuto, proto, frame[:n])
			if n >= 14 {
				sameAsGopacket(t, d, flow.LinkRaw, proto, frame[14:n])
			}
		}
	}
	ip4 := func(mod func(h []byte)) []byte {
		h := []byte{0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x30, 0x39, 0, 53, 0, 8, 0, 0}
		mod(h)
		return h
	}
	for _, p := range [][]byte{
		ip4(func(h []byte) {}),
		ip4(func(h []byte) { h[2], h[3] = 0, 0 }),                                       // TSO: no total length
		ip4(func(h []byte) { h[3] = 19 }),                                               // total length below 20
		ip4(func(h []byte) { h[0] = 0x46; h[3] = 22 }),                                  // header longer than the total
		ip4(func(h []byte) { h[0] = 0x46; h[20] = 1 }),                                  // a no-operation option
		ip4(func(h []byte) { h[0] = 0x46; h[20] = 0 }),                                  // end of options
		ip4(func(h []byte) { h[0] = 0x46; h[20] = 7; h[21] = 2 }),                       // an option of length 2
		ip4(func(h []byte) { h[0] = 0x46; h[20] = 7; h[21] = 9 }),                       // an option past the header
		ip4(func(h []byte) { h[0] = 0x46; h[20] = 1; h[21] = 1; h[22] = 1; h[23] = 7 }), // type without length
		ip4(func(h []byte) { h[3] = 60 }),                                               // total length beyond the payload
		ip4(func(h []byte) { h[6] = 0x20; h[7] = 1 }),                                   // a later fragment
	} {
		sameAsGopacket(t, d, flow.LinkRaw, flow.EtherTypeIPv4, p)
	}
	tcp := func(off byte, opts ...byte) []byte {
		h := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
			0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, off << 4, 0x12, 0xff, 0xff, 0, 0, 0, 0}
		return append(h, opts...)
	}
	for _, p := range [][]byte{
		tcp(5),
		tcp(4),                // data offset below 5
		tcp(6, 2, 4, 5, 0xb4), // MSS
		tcp(6, 1, 1, 1, 0),    // no-operations, end
		tcp(6, 2, 9, 0, 0),    // an option past the header
		tcp(6, 2, 1, 0, 0),    // an option of length 1
		tcp(6, 1, 1, 1, 8),    // kind without length
		tcp(7, 2, 4, 5, 0xb4), // options cut short
	} {
		sameAsGopacket(t, d, flow.LinkRaw, flow.EtherTypeIPv4, p)
	}
	arp := []byte{0, 1, 8, 0, 6, 4, 0, 1, 1, 2, 3, 4, 5, 6, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2}
	for n := range len(arp) + 1 {
		sameAsGopacket(t, d, flow.LinkRaw, flow.EtherTypeARP, arp[:n])
	}
}

// FuzzSameAsGopacket: any bytes, any link and EtherType, both decoders
// agree.
func FuzzSameAsGopacket(f *testing.F) {
	addCorpusSeeds(f)
	d := flow.NewDecoder()
	f.Fuzz(func(t *testing.T, link uint8, proto uint16, payload []byte) {
		sameAsGopacket(t, d, flow.Link(link%3), proto, payload)
	})
}
