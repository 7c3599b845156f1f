package report

import "testing"

// TestProtoNamesParse checks that every name offered for completion is one
// that ParseProto takes.
func TestProtoNamesParse(t *testing.T) {
	names := ProtoNames()
	if len(names) == 0 {
		t.Fatal("no protocol names")
	}
	for _, n := range names {
		if _, err := ParseProto(n); err != nil {
			t.Errorf("ParseProto(%q): %v", n, err)
		}
	}
}
