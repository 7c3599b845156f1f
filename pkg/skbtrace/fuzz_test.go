package skbtrace

import (
	"errors"
	"strings"
	"testing"
)

func FuzzParseFormat(f *testing.F) {
	for _, tc := range formatCases {
		f.Add(string(readTestdata(f, tc.file)))
	}
	f.Add(withoutReason(f))
	f.Add("\tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:1;\n")
	f.Add("\tfield:void * location;\toffset:0;\tsize:8;\nprint fmt: \"\", __print_symbolic(REC->reason, { 1, \"A\\\"\" }, { X, \"B\" }, { 2")
	f.Fuzz(func(t *testing.T, text string) {
		fm, err := ParseFormat(strings.NewReader(text))
		if err != nil {
			return
		}
		for _, fd := range fm.Fields {
			if fd.Name == "" || fd.Offset < 0 || fd.Size < 0 || fd.Offset+fd.Size > maxRecordOffset {
				t.Fatalf("ParseFormat accepted field %+v", fd)
			}
		}
		fm.ConsumedReason()
		d, err := NewDecoder(fm, chainType)
		if err != nil {
			return
		}
		// Whatever layout was accepted must decode any record safely.
		for _, raw := range [][]byte{nil, make([]byte, 7), make([]byte, 64), make([]byte, 4096)} {
			rec := record(sample{raw: raw, chain: []uint64{ctxKernel, 1}}, true)
			if _, err := d.Decode(rec); err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode error %v does not match ErrMalformed", err)
			}
		}
	})
}

// FuzzDecode feeds arbitrary bytes to the record decoder, for both sample
// types the tracer uses, and to the ring reader as a data area.
func FuzzDecode(f *testing.F) {
	f.Add(record(sample{time: 1, cpu: 1, raw: raw618(0xffffffff820a7c3e, 0x0800, 3)}, false))
	f.Add(record(sample{time: 1, cpu: 1, raw: raw618(0xffffffff820a7c3e, 0x0800, 3), chain: []uint64{ctxKernel, 1, 2}}, true))
	f.Add(lostRecord(1, 2))
	f.Add(append(lostRecord(1, 2), record(sample{raw: raw618(1, 2, 1)}, false)...))
	plain, chain := decoder618(f, plainType), decoder618(f, chainType)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, d := range []*Decoder{plain, chain} {
			rec, err := d.Decode(b)
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("Decode error %v does not match ErrMalformed", err)
				}
				continue
			}
			if rec.Kind == RecordDrop && rec.Drop.Reason != "" && rec.Drop.Reason != d.ReasonName(rec.Drop.ReasonCode) {
				t.Fatalf("reason %q for code %d", rec.Drop.Reason, rec.Drop.ReasonCode)
			}
		}
		// The same bytes as a ring's data area, read from a few places.
		size := 8
		for size < len(b) {
			size *= 2
		}
		r := &ringReader{data: append(b[:len(b):len(b)], make([]byte, size-len(b))...)}
		for _, tail := range []uint64{0, 8, uint64(size) - 8} {
			end, err := r.read(tail, tail+uint64(len(b)), func(rec []byte) { plain.Decode(rec) })
			if err == nil && end != tail+uint64(len(b)) {
				t.Fatalf("read(%d, %d) stopped at %d without error", tail, tail+uint64(len(b)), end)
			}
		}
	})
}
