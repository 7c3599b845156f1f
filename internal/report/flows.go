package report

import (
	"strconv"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/flow"
)

// Flows decodes the payloads of packet alerts into flows, reusing one
// decoder. The zero Flows guesses where payloads start; it is not safe for
// concurrent use.
type Flows struct {
	// Links says where payloads start; nil guesses from the bytes.
	Links *LinkTypes
	dec   flow.Decoder
}

// Of decodes p's payload. ok is false when the kernel sent none. A
// malformed header ends the decoding there: the flow holds what came
// before it.
func (fs *Flows) Of(p *dropmon.PacketAlert) (f flow.Flow, ok bool) {
	if p == nil || !p.HasPayload {
		return flow.Flow{}, false
	}
	f, _ = fs.dec.Decode(fs.Links.Of(p), p.Proto, p.Payload)
	return f, true
}

// AppendFlowLine appends the text block's "flow: ..." line (--flows).
func AppendFlowLine(b []byte, f *flow.Flow) []byte {
	b = append(b, "flow: "...)
	return append(f.AppendText(b), '\n')
}

// Task is the task a drop happened in, as the tracepoint backend reports
// it in packet mode (pkg/drops Task).
type Task struct {
	CPU      uint32
	PID, TID int32
	Comm     string // "" when unknown
}

// AppendTaskLine appends the text block's "task: ..." line (--flows on the
// tracepoint): "task: dropgen pid 1234 tid 1235 cpu 1".
func AppendTaskLine(b []byte, t *Task) []byte {
	b = append(b, "task: "...)
	if t.Comm == "" {
		b = append(b, '-')
	}
	b = append(b, t.Comm...)
	b = append(b, " pid "...)
	b = strconv.AppendInt(b, int64(t.PID), 10)
	b = append(b, " tid "...)
	b = strconv.AppendInt(b, int64(t.TID), 10)
	b = append(b, " cpu "...)
	b = strconv.AppendUint(b, uint64(t.CPU), 10)
	return append(b, '\n')
}
