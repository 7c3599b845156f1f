package skbtrace

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// putRing writes rec into a ring data area at the free-running position
// pos, wrapping around the end as the kernel does.
func putRing(data []byte, pos uint64, rec []byte) uint64 {
	for i, c := range rec {
		data[(pos+uint64(i))%uint64(len(data))] = c
	}
	return pos + uint64(len(rec))
}

// readAll runs the ring reader and returns copies of the records it gave.
func readAll(t *testing.T, r *ringReader, tail, head uint64) ([][]byte, uint64, error) {
	t.Helper()
	var recs [][]byte
	end, err := r.read(tail, head, func(rec []byte) { recs = append(recs, append([]byte(nil), rec...)) })
	return recs, end, err
}

func TestRingRead(t *testing.T) {
	d := decoder618(t, plainType)
	a := record(sample{time: 1, raw: raw618(0xa, 0x0800, 3)}, false) // 72 bytes
	b := record(sample{time: 2, raw: raw618(0xb, 0x0800, 3)}, false)
	c := lostRecord(0, 5) // 24 bytes

	// A 256-byte area; the counters start past several laps, as they do
	// after long use. a sits at offsets 160 through 232; b starts at 232
	// and wraps: 24 bytes at the end, 48 at the start; c follows at 48.
	r := &ringReader{data: make([]byte, 256)}
	start := uint64(10*256 + 160)
	pos := putRing(r.data, start, a)
	pos = putRing(r.data, pos, b)
	head := putRing(r.data, pos, c)

	recs, end, err := readAll(t, r, start, head)
	if err != nil {
		t.Fatal(err)
	}
	if end != head {
		t.Errorf("read returned %d, want head %d", end, head)
	}
	if off := (start + uint64(len(a))) % 256; off+uint64(len(b)) <= 256 {
		t.Fatalf("test setup: b at %d does not wrap", off)
	}
	if diff := cmp.Diff([][]byte{a, b, c}, recs); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	// The wrapped record decodes like any other.
	got, err := d.Decode(recs[1])
	if err != nil {
		t.Fatal(err)
	}
	want := Record{Kind: RecordDrop, Drop: Drop{Location: 0xb, Protocol: 0x0800, HasReason: true, ReasonCode: 3, Reason: "NO_SOCKET", Time: 2}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrapped record (-want +got):\n%s", diff)
	}
}

func TestRingReadEmpty(t *testing.T) {
	r := &ringReader{data: make([]byte, 64)}
	recs, end, err := readAll(t, r, 640, 640)
	if err != nil || end != 640 || len(recs) != 0 {
		t.Errorf("read(640, 640) = %d records, %d, %v; want 0, 640, nil", len(recs), end, err)
	}
}

func TestRingReadMalformed(t *testing.T) {
	good := lostRecord(0, 1) // 24 bytes
	tests := []struct {
		name       string
		recs       [][]byte
		tail, head uint64
		wantRecs   int
	}{
		{"zero size after a good record", [][]byte{good, make([]byte, 8)}, 0, 32, 1},
		{"size past head", [][]byte{good}, 0, 16, 0},
		{"head too far ahead", [][]byte{good}, 0, 65, 0},
		{"header cut by head", [][]byte{good}, 0, 28, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &ringReader{data: make([]byte, 64)}
			pos := tc.tail
			for _, rec := range tc.recs {
				pos = putRing(r.data, pos, rec)
			}
			recs, end, err := readAll(t, r, tc.tail, tc.head)
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error = %v, want ErrMalformed", err)
			}
			if end != tc.head {
				t.Errorf("read returned %d, want head %d (skip what cannot be parsed)", end, tc.head)
			}
			if len(recs) != tc.wantRecs {
				t.Errorf("%d records before the error, want %d", len(recs), tc.wantRecs)
			}
		})
	}
}
