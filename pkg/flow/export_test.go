package flow

// RefDecode decodes with the gopacket reference (gopacket_ref_test.go).
// A panic of gopacket's is ok false, so that a fuzzer tells it from a
// difference.
func RefDecode(link Link, proto uint16, payload []byte) (f Flow, err error, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	var d refDecoder
	f, err = d.Decode(link, proto, payload)
	return f, err, true
}
