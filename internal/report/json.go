package report

import (
	"encoding/hex"
	"encoding/json"
	"io"
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/flow"
)

// The JSON objects. Their field names are part of dropwatch's interface:
// they are documented in doc.go and JSON.md, and must not change. Struct
// types (rather than maps) keep the fields in the documented order.

// Object types, the "type" field of every line.
const (
	typeSummary = "summary"
	typePacket  = "packet"
	typeFinal   = "final"
)

// timeLayout is RFC 3339 with exactly nine fractional digits. Unlike
// time.RFC3339Nano it keeps trailing zeros, so that every time has the same
// width and times in UTC sort as strings.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// formatTime formats t in UTC with timeLayout.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// formatAddr formats a kernel address as a "0x…" hex string. Addresses are
// strings because JSON numbers are IEEE 754 doubles in most parsers, exact
// only up to 2^53, and kernel text addresses lie above 2^63
// (0xffffffff81000000 on x86-64): as numbers they would be rounded.
func formatAddr(pc uint64) string {
	var buf [len("0x") + 16]byte
	return string(appendHex(buf[:0], pc))
}

// origin names the origin of a location as dropmon.Origin does.
func origin(loc Location) string {
	if loc.Hardware {
		return dropmon.OriginHardware.String()
	}
	return dropmon.OriginSoftware.String()
}

type jsonSummary struct {
	Type   string `json:"type"`
	Time   string `json:"time"`
	PC     string `json:"pc"`
	Symbol string `json:"symbol"`
	Module string `json:"module"`
	Count  uint64 `json:"count"`
	Origin string `json:"origin"`
	Reason string `json:"reason,omitempty"`
}

// jsonLocation is a resolved location, as in summary objects.
type jsonLocation struct {
	PC     string `json:"pc"`
	Symbol string `json:"symbol"`
	Module string `json:"module"`
	Origin string `json:"origin"`
}

func newJSONLocation(loc Location) jsonLocation {
	return jsonLocation{PC: formatAddr(loc.PC), Symbol: loc.Symbol, Module: loc.Module, Origin: origin(loc)}
}

type jsonPort struct {
	Ifindex *uint32 `json:"ifindex,omitempty"`
	Name    string  `json:"name,omitempty"`
}

// jsonPacket holds the attributes of a packet alert; those the kernel did
// not send are left out.
type jsonPacket struct {
	Type        string       `json:"type"`
	Timestamp   string       `json:"timestamp,omitempty"`
	Origin      string       `json:"origin"`
	PC          string       `json:"pc,omitempty"`
	Symbol      string       `json:"symbol,omitempty"`
	HWTrapGroup string       `json:"hw_trap_group,omitempty"`
	HWTrap      string       `json:"hw_trap,omitempty"`
	Reason      string       `json:"reason,omitempty"`
	Location    jsonLocation `json:"location"`
	Stack       []string     `json:"stack,omitempty"`
	InPort      *jsonPort    `json:"in_port,omitempty"`
	Protocol    *uint16      `json:"protocol,omitempty"`
	Length      *int         `json:"length,omitempty"`
	OrigLen     *uint32      `json:"orig_len,omitempty"`
	Cookie      string       `json:"cookie,omitempty"`
	// Payload is nil when the kernel sent none, and encoding/json writes a
	// []byte in standard base64 with padding (RFC 4648, section 4).
	Payload []byte `json:"payload,omitzero"`
	// Flow is the payload decoded (jsonflow.go), nil without payload.
	Flow *jsonFlow `json:"flow,omitempty"`
	// The task the packet was freed in (the tracepoint).
	CPU  *uint32 `json:"cpu,omitempty"`
	PID  *int32  `json:"pid,omitempty"`
	TID  *int32  `json:"tid,omitempty"`
	Comm string  `json:"comm,omitempty"`
}

type jsonRow struct {
	PC       string  `json:"pc"`
	Symbol   string  `json:"symbol"`
	Module   string  `json:"module"`
	Origin   string  `json:"origin"`
	Reason   string  `json:"reason,omitempty"`
	Protocol *uint16 `json:"protocol,omitempty"`
	Count    uint64  `json:"count"`
	Share    float64 `json:"share"`
}

type jsonFinal struct {
	Type            string    `json:"type"`
	DurationSeconds float64   `json:"duration_seconds"`
	Total           uint64    `json:"total"`
	Rows            []jsonRow `json:"rows"`
	Losses          Losses    `json:"losses"`
}

// JSONWriter writes JSON lines: one object per line, each with a "type" of
// "summary", "packet" or "final". The objects are documented in the package
// documentation. A JSONWriter is not safe for concurrent use.
type JSONWriter struct {
	enc *json.Encoder

	// The objects being written, kept here so that encoding them does not
	// allocate them anew for every alert.
	summary jsonSummary
	packet  jsonPacket
	port    jsonPort
	length  int
	flow    jsonFlow
	// flowOf is the flow being written, copied so that the caller's does
	// not escape to the heap.
	flowOf flow.Flow
	task   Task
}

// NewJSONWriter returns a JSONWriter that writes to w, one Write per line.
func NewJSONWriter(w io.Writer) *JSONWriter {
	enc := json.NewEncoder(w)
	// Symbols and interface names are shown as they are: "<" and "&" are
	// not escaped for HTML.
	enc.SetEscapeHTML(false)
	return &JSONWriter{enc: enc}
}

// Summary writes one entry of a summary alert received at at: the count of
// drops at loc, for reason when it is known (the tracepoint backend).
//
//	{"type":"summary","time":"2025-11-25T12:38:38.730595860Z","pc":"0xffffffff878bcae2","symbol":"__udp4_lib_rcv+0x9a2","module":"","count":3,"origin":"software"}
func (j *JSONWriter) Summary(at time.Time, loc Location, count uint64, reason string) error {
	j.summary = jsonSummary{
		Type:   typeSummary,
		Time:   formatTime(at),
		PC:     formatAddr(loc.PC),
		Symbol: loc.Symbol,
		Module: loc.Module,
		Count:  count,
		Origin: origin(loc),
		Reason: reason,
	}
	return j.enc.Encode(&j.summary)
}

// Packet writes one packet alert: every attribute p holds, loc (its
// resolved location), when it is not empty, stack, the call chain as
// "symbol+0xoff" strings, innermost first, and, when not nil, fl, the
// payload's flow, and task, the task the packet was freed in.
//
//	{"type":"packet","timestamp":"2025-11-25T12:38:38.730595860Z","origin":"software","pc":"0xffffffff878bcae2","symbol":"__udp4_lib_rcv+0x9a2/0xc30","reason":"NO_SOCKET","location":{"pc":"0xffffffff878bcae2","symbol":"__udp4_lib_rcv+0x9a2","module":"","origin":"software"},"in_port":{"ifindex":1},"protocol":2048,"length":4,"orig_len":74,"payload":"RQAASg==","flow":{"ethertype":2048,"depth":"link","truncated":true}}
func (j *JSONWriter) Packet(p *dropmon.PacketAlert, loc Location, stack []string, fl *flow.Flow, task *Task) error {
	j.packet = jsonPacket{
		Type:        typePacket,
		Origin:      origin(loc),
		Symbol:      p.Symbol,
		HWTrapGroup: p.HWTrapGroupName,
		HWTrap:      p.HWTrapName,
		Reason:      p.Reason,
		Location:    newJSONLocation(loc),
		Stack:       stack,
	}
	pk := &j.packet
	if p.HasTimestamp {
		pk.Timestamp = formatTime(p.Timestamp)
	}
	if p.HasOrigin {
		pk.Origin = p.Origin.String()
	}
	if p.HasPC {
		pk.PC = pk.Location.PC
		if p.PC != loc.PC {
			pk.PC = formatAddr(p.PC)
		}
	}
	if p.InPort != nil {
		j.port = jsonPort{Name: p.InPort.Name}
		if p.InPort.HasIfindex {
			j.port.Ifindex = &p.InPort.Ifindex
		}
		pk.InPort = &j.port
	}
	if p.HasProto {
		pk.Protocol = &p.Proto
	}
	if p.HasPayload {
		j.length = len(p.Payload)
		pk.Length = &j.length
		pk.Payload = p.Payload
		if pk.Payload == nil {
			pk.Payload = []byte{} // an empty payload is "", not left out
		}
	}
	if p.HasOrigLen {
		pk.OrigLen = &p.OrigLen
	}
	if len(p.Cookie) > 0 {
		pk.Cookie = hex.EncodeToString(p.Cookie)
	}
	if fl != nil {
		j.flowOf = *fl
		j.flow.set(&j.flowOf)
		pk.Flow = &j.flow
	}
	if task != nil {
		j.task = *task
		pk.CPU, pk.PID, pk.TID, pk.Comm = &j.task.CPU, &j.task.PID, &j.task.TID, j.task.Comm
	}
	return j.enc.Encode(pk)
}

// Final writes the session's outcome: its duration, the total count, every
// row (as Table.Rows orders them) and the losses.
//
//	{"type":"final","duration_seconds":10.5,"total":4,"rows":[{"pc":"0xffffffff878bcae2","symbol":"__udp4_lib_rcv+0x9a2","module":"","origin":"software","reason":"NO_SOCKET","protocol":2048,"count":4,"share":1}],"losses":{"kernel_tail_drops":0,"socket_overruns":0,"socket_drops":0,"full_summaries":0,"malformed":0,"filtered":0,"tracepoint_lost":0}}
func (j *JSONWriter) Final(d time.Duration, rows []Row, total uint64, l Losses) error {
	f := jsonFinal{
		Type:            typeFinal,
		DurationSeconds: d.Seconds(),
		Total:           total,
		Rows:            make([]jsonRow, len(rows)), // [] rather than null when empty
		Losses:          l,
	}
	for i := range rows {
		r := &rows[i]
		loc := newJSONLocation(r.Location)
		f.Rows[i] = jsonRow{
			PC: loc.PC, Symbol: loc.Symbol, Module: loc.Module, Origin: loc.Origin,
			Reason: r.Reason, Count: r.Count, Share: r.Share,
		}
		if r.HasProto {
			f.Rows[i].Protocol = &r.Proto
		}
	}
	return j.enc.Encode(&f)
}
