package skbtrace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Sample type bits (enum perf_event_sample_format in
// include/uapi/linux/perf_event.h) that Decoder understands. A
// PERF_RECORD_SAMPLE holds the selected fields in this bit order, except
// SampleIdentifier, which comes first.
const (
	SampleIP         uint64 = 1 << 0
	SampleTID        uint64 = 1 << 1
	SampleTime       uint64 = 1 << 2
	SampleAddr       uint64 = 1 << 3
	SampleCallchain  uint64 = 1 << 5
	SampleID         uint64 = 1 << 6
	SampleCPU        uint64 = 1 << 7
	SamplePeriod     uint64 = 1 << 8
	SampleStreamID   uint64 = 1 << 9
	SampleRaw        uint64 = 1 << 10
	SampleIdentifier uint64 = 1 << 16

	supportedSampleTypes = SampleIP | SampleTID | SampleTime | SampleAddr |
		SampleCallchain | SampleID | SampleCPU | SamplePeriod |
		SampleStreamID | SampleRaw | SampleIdentifier
)

// Record types (enum perf_event_type in include/uapi/linux/perf_event.h).
const (
	recordLost       = 2
	recordComm       = 3
	recordThrottle   = 5
	recordUnthrottle = 6
	recordSample     = 9
)

// contextMax is PERF_CONTEXT_MAX, (u64)-4095: callchain entries at or above
// it are context markers (PERF_CONTEXT_HV -32, _KERNEL -128, _USER -512,
// _GUEST -2048, _GUEST_KERNEL -2176, _GUEST_USER -2560), not addresses.
const contextMax uint64 = 1<<64 - 4095

// headerSize is sizeof(struct perf_event_header): u32 type, u16 misc, u16
// size.
const headerSize = 8

// ErrMalformed is matched (errors.Is) by the errors the decoders return for
// records that are too short or inconsistent.
var ErrMalformed = errors.New("skbtrace: malformed record")

// Drop is one packet drop reported by skb:kfree_skb.
type Drop struct {
	// Location is the address of the code that freed the packet (the
	// tracepoint's location field), as NET_DM reports it.
	Location uint64
	// Protocol is skb->protocol in host order (0x0800 IPv4, 0x86dd IPv6,
	// 0x0806 ARP, 0 when unset).
	Protocol uint16
	// HasReason is false on kernels whose tracepoint has no reason field
	// (before 5.17).
	HasReason bool
	// ReasonCode is the enum skb_drop_reason value.
	ReasonCode uint32
	// Reason is the name of ReasonCode in the tracepoint's table
	// ("NO_SOCKET"); empty if the code is not in it (subsystem reasons such
	// as mac80211's, or no reason field).
	Reason string
	// CPU is the CPU the drop happened on (PERF_SAMPLE_CPU).
	CPU uint32
	// PID is the kernel task (thread) id that was running when the packet
	// was freed (the tracepoint's common_pid): the sending thread for
	// locally generated traffic processed inline, whatever task the
	// softirq interrupted or ksoftirqd for received traffic, 0 for idle.
	PID int32
	// Comm is that thread's name as the last PERF_RECORD_COMM the tracer
	// read for it said (a task that exec'd or renamed itself since Open),
	// else for its process (threads inherit their creator's name); ""
	// when none did.
	Comm string
	// TGID is that task's process (thread group) id, from PERF_SAMPLE_TID
	// ({u32 pid, tid}: pid is task_tgid_nr, kernel/events/core.c
	// perf_prepare_sample); 0 without it.
	TGID int32
	// Time is when the tracepoint fired, in nanoseconds: CLOCK_MONOTONIC
	// as the kernel stamped it (PERF_SAMPLE_TIME; 0 without it), converted
	// by Tracer.Read to the clock in Options.Clock.
	Time uint64
	// Stack is the kernel call chain, innermost first, context markers
	// removed; nil unless stacks were requested.
	Stack []uint64
}

// RecordKind says what a perf ring buffer record was.
type RecordKind int

// Record kinds.
const (
	// RecordOther is a record type the decoder ignores.
	RecordOther RecordKind = iota
	// RecordDrop is a sample of a dropped packet.
	RecordDrop
	// RecordConsumed is a sample whose reason is SKB_CONSUMED: not a drop.
	RecordConsumed
	// RecordLost is PERF_RECORD_LOST: the kernel could not write Lost
	// samples because the ring buffer was full.
	RecordLost
	// RecordComm is PERF_RECORD_COMM: a task took a new name (exec,
	// prctl PR_SET_NAME), with the tracer's perf events opened with
	// attr.comm.
	RecordComm
	// RecordThrottle is PERF_RECORD_THROTTLE or PERF_RECORD_UNTHROTTLE:
	// the kernel stopped or restarted sampling because of
	// kernel.perf_event_max_sample_rate.
	RecordThrottle
)

// Record is a decoded perf ring buffer record.
type Record struct {
	Kind RecordKind
	// Drop is set for RecordDrop and RecordConsumed.
	Drop Drop
	// Lost is set for RecordLost.
	Lost uint64
	// Comm is set for RecordComm.
	Comm Comm
}

// Comm is a task's new name.
type Comm struct {
	PID, TID int32 // process and thread
	Name     string
}

// Decoder decodes perf ring buffer records of skb:kfree_skb samples. It is
// pure (no system calls) and safe for concurrent use.
type Decoder struct {
	sampleType uint64
	id         uint32
	typ        field
	pid        field
	loc        field
	proto      field
	reason     field
	need       int // bytes of raw record the fields above need
	names      []string
	more       map[uint32]string // codes >= len(names)
	consumed   uint32
	hasConsume bool
}

// field is where a field sits in the raw record; size 0 means absent.
type field struct{ off, size int }

func (f field) read(b []byte) uint64 {
	b = b[f.off:]
	switch f.size {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.NativeEndian.Uint16(b))
	case 4:
		return uint64(binary.NativeEndian.Uint32(b))
	case 8:
		return binary.NativeEndian.Uint64(b)
	}
	return 0
}

// maxDenseReason bounds the slice the decoder uses for reason names; codes
// above it (none in the core enum) go through a map.
const maxDenseReason = 1024

// NewDecoder returns a decoder for records of the event described by f,
// sampled with the given sample type (Sample* bits; SampleRaw is
// required). The format must have a location field of 4 or 8 bytes;
// protocol (2 bytes), reason (up to 8 bytes), common_type and common_pid
// (4 bytes) are used when present.
func NewDecoder(f *Format, sampleType uint64) (*Decoder, error) {
	if sampleType&SampleRaw == 0 {
		return nil, errors.New("skbtrace: sample type lacks PERF_SAMPLE_RAW")
	}
	if bad := sampleType &^ supportedSampleTypes; bad != 0 {
		return nil, fmt.Errorf("skbtrace: unsupported sample type bits %#x", bad)
	}
	d := &Decoder{sampleType: sampleType, id: f.ID, more: map[uint32]string{}}
	var err error
	if d.loc, err = layoutField(f, "location", true, 4, 8); err != nil {
		return nil, err
	}
	if d.proto, err = layoutField(f, "protocol", false, 2); err != nil {
		return nil, err
	}
	if d.reason, err = layoutField(f, "reason", false, 1, 2, 4, 8); err != nil {
		return nil, err
	}
	if d.typ, err = layoutField(f, "common_type", false, 1, 2, 4); err != nil {
		return nil, err
	}
	if d.pid, err = layoutField(f, "common_pid", false, 4); err != nil {
		return nil, err
	}
	for _, fl := range []field{d.loc, d.proto, d.reason, d.typ, d.pid} {
		d.need = max(d.need, fl.off+fl.size)
	}
	for code, name := range f.Reasons {
		if code < maxDenseReason {
			for int(code) >= len(d.names) {
				d.names = append(d.names, "")
			}
			d.names[code] = name
		} else {
			d.more[code] = name
		}
	}
	d.consumed, d.hasConsume = f.ConsumedReason()
	return d, nil
}

func layoutField(f *Format, name string, required bool, sizes ...int) (field, error) {
	fd, ok := f.Field(name)
	if !ok {
		if required {
			return field{}, fmt.Errorf("skbtrace: format of %q has no %s field", f.Name, name)
		}
		return field{}, nil
	}
	for _, s := range sizes {
		if fd.Size == s {
			return field{off: fd.Offset, size: fd.Size}, nil
		}
	}
	return field{}, fmt.Errorf("skbtrace: format of %q: %s field has size %d, want one of %v", f.Name, name, fd.Size, sizes)
}

// HasReason reports whether the format has a reason field.
func (d *Decoder) HasReason() bool { return d.reason.size != 0 }

// ReasonName returns the name of a reason code, "" if the table lacks it.
func (d *Decoder) ReasonName(code uint32) string {
	if int(code) < len(d.names) {
		return d.names[code]
	}
	return d.more[code]
}

// DecodeRaw decodes the tracepoint's own record (the PERF_SAMPLE_RAW data)
// into the Location, Protocol, PID and reason fields of a Drop.
func (d *Decoder) DecodeRaw(raw []byte) (Drop, error) {
	var dr Drop
	if len(raw) < d.need {
		return dr, fmt.Errorf("%w: raw record of %d bytes, want %d", ErrMalformed, len(raw), d.need)
	}
	if d.typ.size != 0 && d.id != 0 && uint32(d.typ.read(raw)) != d.id {
		return dr, fmt.Errorf("%w: raw record of event %d, want %d", ErrMalformed, d.typ.read(raw), d.id)
	}
	dr.Location = d.loc.read(raw)
	dr.Protocol = uint16(d.proto.read(raw))
	dr.PID = int32(uint32(d.pid.read(raw)))
	if d.reason.size != 0 {
		dr.HasReason = true
		dr.ReasonCode = uint32(d.reason.read(raw))
		dr.Reason = d.ReasonName(dr.ReasonCode)
	}
	return dr, nil
}

// Decode decodes one whole perf ring buffer record, header included. It
// copies what it keeps: rec may be reused afterwards.
func (d *Decoder) Decode(rec []byte) (Record, error) {
	if len(rec) < headerSize {
		return Record{}, fmt.Errorf("%w: %d bytes, shorter than a header", ErrMalformed, len(rec))
	}
	typ := binary.NativeEndian.Uint32(rec)
	size := int(binary.NativeEndian.Uint16(rec[6:]))
	if size < headerSize || size > len(rec) {
		return Record{}, fmt.Errorf("%w: header size %d, have %d bytes", ErrMalformed, size, len(rec))
	}
	body := rec[headerSize:size]
	switch typ {
	case recordSample:
		return d.decodeSample(body)
	case recordLost:
		// struct { header; u64 id; u64 lost; sample_id }
		if len(body) < 16 {
			return Record{}, fmt.Errorf("%w: PERF_RECORD_LOST of %d bytes", ErrMalformed, size)
		}
		return Record{Kind: RecordLost, Lost: binary.NativeEndian.Uint64(body[8:])}, nil
	case recordComm:
		// struct { header; u32 pid, tid; char comm[]; sample_id }: comm
		// NUL-terminated, padded to 8 bytes (kernel/events/core.c
		// perf_event_comm_event).
		if len(body) < 9 {
			return Record{}, fmt.Errorf("%w: PERF_RECORD_COMM of %d bytes", ErrMalformed, size)
		}
		name := body[8:]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		return Record{Kind: RecordComm, Comm: Comm{
			PID: int32(binary.NativeEndian.Uint32(body)), TID: int32(binary.NativeEndian.Uint32(body[4:])), Name: string(name),
		}}, nil
	case recordThrottle, recordUnthrottle:
		return Record{Kind: RecordThrottle}, nil
	}
	return Record{Kind: RecordOther}, nil
}

// decodeSample walks a PERF_RECORD_SAMPLE body in the order of
// include/uapi/linux/perf_event.h: identifier, ip, pid/tid, time, addr, id,
// stream_id, cpu/res, period, (read), callchain, raw.
func (d *Decoder) decodeSample(b []byte) (Record, error) {
	var dr Drop
	p := 0
	u64 := func() (uint64, bool) {
		if len(b)-p < 8 {
			return 0, false
		}
		v := binary.NativeEndian.Uint64(b[p:])
		p += 8
		return v, true
	}
	short := func(what string) (Record, error) {
		return Record{}, fmt.Errorf("%w: sample of %d bytes ends in %s", ErrMalformed, len(b)+headerSize, what)
	}
	st := d.sampleType
	for _, skip := range []uint64{SampleIdentifier, SampleIP} {
		if st&skip != 0 {
			if _, ok := u64(); !ok {
				return short("identifier/ip")
			}
		}
	}
	if st&SampleTID != 0 {
		if len(b)-p < 8 {
			return short("pid/tid")
		}
		dr.TGID = int32(binary.NativeEndian.Uint32(b[p:]))
		p += 8 // u32 pid, u32 tid (the raw record's common_pid is tid)
	}
	if st&SampleTime != 0 {
		t, ok := u64()
		if !ok {
			return short("time")
		}
		dr.Time = t
	}
	for _, skip := range []uint64{SampleAddr, SampleID, SampleStreamID} {
		if st&skip != 0 {
			if _, ok := u64(); !ok {
				return short("addr/id/stream_id")
			}
		}
	}
	if st&SampleCPU != 0 {
		if len(b)-p < 8 {
			return short("cpu")
		}
		dr.CPU = binary.NativeEndian.Uint32(b[p:])
		p += 8 // u32 cpu, u32 res
	}
	if st&SamplePeriod != 0 {
		if _, ok := u64(); !ok {
			return short("period")
		}
	}
	if st&SampleCallchain != 0 {
		nr, ok := u64()
		if !ok || nr > uint64(len(b)-p)/8 {
			return short("callchain")
		}
		dr.Stack = kernelStack(b[p : p+int(nr)*8])
		p += int(nr) * 8
	}
	// SampleRaw is always set: struct { u32 size; char data[size]; }.
	if len(b)-p < 4 {
		return short("raw size")
	}
	n := int(binary.NativeEndian.Uint32(b[p:]))
	p += 4
	if n > len(b)-p {
		return short("raw data")
	}
	raw, err := d.DecodeRaw(b[p : p+n])
	if err != nil {
		return Record{}, err
	}
	raw.CPU, raw.Time, raw.Stack, raw.TGID = dr.CPU, dr.Time, dr.Stack, dr.TGID
	kind := RecordDrop
	if d.hasConsume && raw.HasReason && raw.ReasonCode == d.consumed {
		kind = RecordConsumed
	}
	return Record{Kind: kind, Drop: raw}, nil
}

// kernelStack copies the addresses of a callchain, skipping context
// markers. It returns nil for a chain without addresses.
func kernelStack(ips []byte) []uint64 {
	n := 0
	for i := 0; i+8 <= len(ips); i += 8 {
		if binary.NativeEndian.Uint64(ips[i:]) < contextMax {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	st := make([]uint64, 0, n)
	for i := 0; i+8 <= len(ips); i += 8 {
		if v := binary.NativeEndian.Uint64(ips[i:]); v < contextMax {
			st = append(st, v)
		}
	}
	return st
}
