package skbtrace

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Layout of the 6.18 kfree_skb record, read off
// testdata/kfree_skb-6.18.44-fc-v782.format by hand (not from the parser):
// common_type at 0 (2 bytes), common_pid at 4 (4, signed), location at 16
// (8), protocol at 32 (2), reason at 36 (4); the record is 40 bytes.
const (
	id618       = 2310
	offType618  = 0
	offPID618   = 4
	offLoc618   = 16
	offProto618 = 32
	offReason   = 36
	size618     = 40
)

// Context markers from include/uapi/linux/perf_event.h (enum
// perf_callchain_context), as the kernel writes them.
const (
	ctxKernel = ^uint64(128) + 1 // (u64)-128
	ctxUser   = ^uint64(512) + 1 // (u64)-512
)

var ne = binary.NativeEndian

// raw618 builds a 6.18 kfree_skb raw record.
func raw618(loc uint64, proto uint16, reason uint32) []byte {
	b := make([]byte, size618)
	ne.PutUint16(b[offType618:], id618)
	ne.PutUint64(b[offLoc618:], loc)
	ne.PutUint16(b[offProto618:], proto)
	ne.PutUint32(b[offReason:], reason)
	return b
}

// withPID sets a raw record's common_pid.
func withPID(raw []byte, pid int32) []byte {
	ne.PutUint32(raw[offPID618:], uint32(pid))
	return raw
}

// sample is what goes into a PERF_RECORD_SAMPLE built by record.
type sample struct {
	time  uint64
	cpu   uint32
	chain []uint64 // written only if the sample type has SampleCallchain
	raw   []byte
}

// record builds a PERF_RECORD_SAMPLE for sample type TIME|CPU|RAW, plus
// CALLCHAIN if withChain, the way the kernel lays it out: the raw part
// padded so that u32 size + data is a multiple of 8 bytes.
func record(s sample, withChain bool) []byte {
	b := make([]byte, 8) // header, filled in last
	b = ne.AppendUint64(b, s.time)
	b = ne.AppendUint32(b, s.cpu)
	b = ne.AppendUint32(b, 0) // res
	if withChain {
		b = ne.AppendUint64(b, uint64(len(s.chain)))
		for _, ip := range s.chain {
			b = ne.AppendUint64(b, ip)
		}
	}
	padded := (4 + len(s.raw) + 7) / 8 * 8
	b = ne.AppendUint32(b, uint32(padded-4))
	b = append(b, s.raw...)
	b = append(b, make([]byte, padded-4-len(s.raw))...)
	return header(b, recordSample)
}

// header fills in a record's perf_event_header.
func header(b []byte, typ uint32) []byte {
	ne.PutUint32(b, typ)
	ne.PutUint16(b[4:], 1) // misc: PERF_RECORD_MISC_KERNEL
	ne.PutUint16(b[6:], uint16(len(b)))
	return b
}

func lostRecord(id, lost uint64) []byte {
	b := make([]byte, 8)
	b = ne.AppendUint64(b, id)
	b = ne.AppendUint64(b, lost)
	return header(b, recordLost)
}

func decoder618(t testing.TB, sampleType uint64) *Decoder {
	t.Helper()
	f, err := ParseFormat(strings.NewReader(string(readTestdata(t, formatCases[0].file))))
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDecoder(f, sampleType)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

const (
	plainType = SampleTime | SampleCPU | SampleRaw
	chainType = plainType | SampleCallchain
)

func TestDecodeComm(t *testing.T) {
	b := make([]byte, 8)
	b = ne.AppendUint32(b, 10)
	b = ne.AppendUint32(b, 11)
	b = append(b, "dropgen\x00"...)
	got, err := decoder618(t, plainType).Decode(header(b, 3))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Record{Kind: RecordComm, Comm: Comm{PID: 10, TID: 11, Name: "dropgen"}}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := decoder618(t, plainType).Decode(header(b[:16], 3)); !errors.Is(err, ErrMalformed) {
		t.Errorf("no name: %v, want ErrMalformed", err)
	}
}

// TestDecodeTID: PERF_SAMPLE_TID's u32 pid (the thread group) comes
// before the time; the raw record's common_pid is the thread.
func TestDecodeTID(t *testing.T) {
	const loc = 0xffffffff820a7c3e
	plain := record(sample{time: 5, cpu: 1, raw: raw618(loc, 0x0800, 3)}, false)
	// The header, then {u32 pid, u32 tid}, then the rest.
	rec := append(append(append([]byte{}, plain[:8]...), ne.AppendUint32(ne.AppendUint32(nil, 4242), 4243)...), plain[8:]...)
	rec = header(rec, recordSample)
	got, err := decoder618(t, plainType|SampleTID).Decode(rec)
	if err != nil {
		t.Fatal(err)
	}
	want := Record{Kind: RecordDrop, Drop: Drop{
		Location: loc, Protocol: 0x0800, HasReason: true, ReasonCode: 3, Reason: "NO_SOCKET", CPU: 1, Time: 5, TGID: 4242,
		PID: got.Drop.PID, // raw618's common_pid
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := decoder618(t, plainType|SampleTID).Decode(header(rec[:12], recordSample)); !errors.Is(err, ErrMalformed) {
		t.Errorf("cut in pid/tid: %v, want ErrMalformed", err)
	}
}

func TestDecode(t *testing.T) {
	const loc = 0xffffffff820a7c3e
	tests := []struct {
		name       string
		sampleType uint64
		rec        []byte
		want       Record
	}{
		{
			name:       "NO_SOCKET drop",
			sampleType: plainType,
			rec:        record(sample{time: 123456789, cpu: 1, raw: raw618(loc, 0x0800, 3)}, false),
			want: Record{Kind: RecordDrop, Drop: Drop{
				Location: loc, Protocol: 0x0800, HasReason: true, ReasonCode: 3, Reason: "NO_SOCKET", CPU: 1, Time: 123456789,
			}},
		},
		{
			name:       "callchain markers stripped",
			sampleType: chainType,
			rec: record(sample{time: 5, cpu: 0, raw: raw618(loc, 0x86dd, 2),
				chain: []uint64{ctxKernel, 0xffffffff81e94f80, loc, 0xffffffff820553f0, ctxUser}}, true),
			want: Record{Kind: RecordDrop, Drop: Drop{
				Location: loc, Protocol: 0x86dd, HasReason: true, ReasonCode: 2, Reason: "NOT_SPECIFIED", Time: 5,
				Stack: []uint64{0xffffffff81e94f80, loc, 0xffffffff820553f0},
			}},
		},
		{
			name:       "empty callchain",
			sampleType: chainType,
			rec:        record(sample{raw: raw618(loc, 0, 3), chain: []uint64{ctxKernel}}, true),
			want:       Record{Kind: RecordDrop, Drop: Drop{Location: loc, HasReason: true, ReasonCode: 3, Reason: "NO_SOCKET"}},
		},
		{
			name:       "task id",
			sampleType: plainType,
			rec:        record(sample{raw: withPID(raw618(loc, 0x0800, 3), 4242)}, false),
			want:       Record{Kind: RecordDrop, Drop: Drop{Location: loc, Protocol: 0x0800, PID: 4242, HasReason: true, ReasonCode: 3, Reason: "NO_SOCKET"}},
		},
		{
			name:       "unknown reason code",
			sampleType: plainType,
			rec:        record(sample{raw: raw618(loc, 0x0800, 200)}, false),
			want:       Record{Kind: RecordDrop, Drop: Drop{Location: loc, Protocol: 0x0800, HasReason: true, ReasonCode: 200}},
		},
		{
			name:       "subsystem reason code",
			sampleType: plainType,
			rec:        record(sample{raw: raw618(loc, 0, 0x00010002)}, false),
			want:       Record{Kind: RecordDrop, Drop: Drop{Location: loc, HasReason: true, ReasonCode: 0x00010002}},
		},
		{
			name:       "SKB_CONSUMED is not a drop",
			sampleType: plainType,
			rec:        record(sample{cpu: 1, raw: raw618(loc, 0x0800, 1)}, false),
			want:       Record{Kind: RecordConsumed, Drop: Drop{Location: loc, Protocol: 0x0800, HasReason: true, ReasonCode: 1, CPU: 1}},
		},
		{
			name:       "lost",
			sampleType: plainType,
			rec:        lostRecord(42, 7),
			want:       Record{Kind: RecordLost, Lost: 7},
		},
		{
			name:       "throttle",
			sampleType: plainType,
			rec:        header(make([]byte, 32), recordThrottle),
			want:       Record{Kind: RecordThrottle},
		},
		{
			name:       "other record type",
			sampleType: plainType,
			rec:        header(make([]byte, 16), 4), // PERF_RECORD_EXIT
			want:       Record{Kind: RecordOther},
		},
		{
			name:       "trailing bytes after the header's size are ignored",
			sampleType: plainType,
			rec:        append(record(sample{raw: raw618(loc, 0, 3)}, false), 0xff, 0xff),
			want:       Record{Kind: RecordDrop, Drop: Drop{Location: loc, HasReason: true, ReasonCode: 3, Reason: "NO_SOCKET"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decoder618(t, tc.sampleType).Decode(tc.rec)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeCopiesStack(t *testing.T) {
	rec := record(sample{raw: raw618(1, 0, 3), chain: []uint64{ctxKernel, 0xabc}}, true)
	got, err := decoder618(t, chainType).Decode(rec)
	if err != nil {
		t.Fatal(err)
	}
	clear(rec)
	if diff := cmp.Diff([]uint64{0xabc}, got.Drop.Stack); diff != "" {
		t.Errorf("stack after the record was cleared (-want +got):\n%s", diff)
	}
}

func TestDecodeWithoutReason(t *testing.T) {
	f, err := ParseFormat(strings.NewReader(withoutReason(t)))
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDecoder(f, plainType)
	if err != nil {
		t.Fatal(err)
	}
	if d.HasReason() {
		t.Error("HasReason() = true")
	}
	// Same offsets as 6.18 for the remaining fields; reason bytes ignored.
	got, err := d.Decode(record(sample{time: 9, raw: raw618(0x1234, 0x0806, 1)}, false))
	if err != nil {
		t.Fatal(err)
	}
	want := Record{Kind: RecordDrop, Drop: Drop{Location: 0x1234, Protocol: 0x0806, Time: 9}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Decode (-want +got):\n%s", diff)
	}
}

// TestDecodeTruncated cuts a valid sample at every length and with a header
// that claims every length: each must fail with ErrMalformed, not panic.
func TestDecodeTruncated(t *testing.T) {
	d := decoder618(t, chainType)
	full := record(sample{time: 1, cpu: 1, raw: raw618(1, 2, 3), chain: []uint64{ctxKernel, 4, 5}}, true)
	for n := 0; n < len(full); n++ {
		cut := append([]byte(nil), full[:n]...)
		if _, err := d.Decode(cut); !errors.Is(err, ErrMalformed) {
			t.Errorf("Decode(first %d of %d bytes) error = %v, want ErrMalformed", n, len(full), err)
		}
		if n < headerSize {
			continue
		}
		ne.PutUint16(cut[6:], uint16(n)) // header agrees with the cut
		if _, err := d.Decode(cut); !errors.Is(err, ErrMalformed) {
			t.Errorf("Decode(%d bytes, header size %d) error = %v, want ErrMalformed", n, n, err)
		}
	}
	if _, err := d.Decode(lostRecord(1, 2)[:16]); !errors.Is(err, ErrMalformed) {
		t.Errorf("Decode(cut PERF_RECORD_LOST) error = %v, want ErrMalformed", err)
	}
}

func TestDecodeInconsistent(t *testing.T) {
	d := decoder618(t, chainType)
	wrongEvent := raw618(1, 2, 3)
	ne.PutUint16(wrongEvent[offType618:], id618+1)
	hugeChain := record(sample{raw: raw618(1, 2, 3), chain: []uint64{1}}, true)
	ne.PutUint64(hugeChain[24:], 1<<60) // nr
	hugeRaw := record(sample{raw: raw618(1, 2, 3)}, true)
	ne.PutUint32(hugeRaw[32:], 1<<31) // raw size
	tests := []struct {
		name string
		rec  []byte
	}{
		{"record of another event", record(sample{raw: wrongEvent}, true)},
		{"callchain longer than the record", hugeChain},
		{"raw size beyond the record", hugeRaw},
		{"raw record too short for the fields", record(sample{raw: raw618(1, 2, 3)[:offReason]}, true)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := d.Decode(tc.rec); !errors.Is(err, ErrMalformed) {
				t.Errorf("Decode = %+v, %v, want ErrMalformed", got, err)
			}
		})
	}
}

func TestNewDecoderErrors(t *testing.T) {
	good := &Format{Name: "kfree_skb", Fields: []Field{{Name: "location", Offset: 8, Size: 8}}}
	tests := []struct {
		name       string
		f          *Format
		sampleType uint64
		wantErr    string
	}{
		{"no raw", good, SampleTime, "PERF_SAMPLE_RAW"},
		{"unsupported bits", good, SampleRaw | 1<<4, "unsupported sample type"},
		{"no location", &Format{Name: "x", Fields: []Field{{Name: "protocol", Size: 2}}}, SampleRaw, "no location field"},
		{"odd location size", &Format{Name: "x", Fields: []Field{{Name: "location", Size: 3}}}, SampleRaw, "size 3"},
		{"odd protocol size", &Format{Name: "x", Fields: []Field{{Name: "location", Size: 8}, {Name: "protocol", Offset: 8, Size: 4}}}, SampleRaw, "protocol field has size 4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDecoder(tc.f, tc.sampleType)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("NewDecoder = %v, %v, want error containing %q", d, err, tc.wantErr)
			}
		})
	}
}

// TestDecodeOtherSampleFields checks the walk over fields the tracer does
// not ask for but a Decoder accepts: ip, addr, id, stream_id, period and
// the leading identifier; and pid/tid, which it asks for.
func TestDecodeOtherSampleFields(t *testing.T) {
	st := SampleIdentifier | SampleIP | SampleTID | SampleTime | SampleAddr | SampleID |
		SampleStreamID | SampleCPU | SamplePeriod | SampleRaw
	d := decoder618(t, st)
	b := make([]byte, 8)
	for _, v := range []uint64{0x1d, 0x11, 0x7, 777, 0xadd, 0x1d, 0x5d} { // identifier, ip, pid/tid, time, addr, id, stream_id
		b = ne.AppendUint64(b, v)
	}
	b = ne.AppendUint32(b, 1)
	b = ne.AppendUint32(b, 0)
	b = ne.AppendUint64(b, 1) // period
	b = ne.AppendUint32(b, size618+4)
	b = append(b, raw618(0x99, 0x0800, 3)...)
	b = append(b, 0, 0, 0, 0)
	got, err := d.Decode(header(b, recordSample))
	if err != nil {
		t.Fatal(err)
	}
	want := Record{Kind: RecordDrop, Drop: Drop{Location: 0x99, Protocol: 0x0800, HasReason: true, ReasonCode: 3, Reason: "NO_SOCKET", CPU: 1, Time: 777, TGID: 7}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Decode (-want +got):\n%s", diff)
	}
}

func TestReasonNameLargeCode(t *testing.T) {
	f := &Format{
		Fields:  []Field{{Name: "location", Size: 8}, {Name: "reason", Offset: 8, Size: 4}},
		Reasons: map[uint32]string{3: "NO_SOCKET", 0x10001: "SUBSYS_ONE"},
	}
	d, err := NewDecoder(f, SampleRaw)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{d.ReasonName(3), d.ReasonName(0x10001), d.ReasonName(4), d.ReasonName(0x10002)}
	if diff := cmp.Diff([]string{"NO_SOCKET", "SUBSYS_ONE", "", ""}, got); diff != "" {
		t.Errorf("ReasonName (-want +got):\n%s", diff)
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, bc := range []struct {
		name       string
		sampleType uint64
		rec        []byte
	}{
		{"raw", plainType, record(sample{time: 1, cpu: 1, raw: raw618(0xffffffff820a7c3e, 0x0800, 3)}, false)},
		{"stack22", chainType, record(sample{time: 1, cpu: 1, raw: raw618(0xffffffff820a7c3e, 0x0800, 3),
			chain: append([]uint64{ctxKernel}, make([]uint64, 22)...)}, true)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			d := decoder618(b, bc.sampleType)
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.rec)))
			for b.Loop() {
				if _, err := d.Decode(bc.rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
