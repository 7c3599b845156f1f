package report

import (
	"strconv"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
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

// Annotator decodes the flows of records' packets and counts the records
// by flow, reason, interface and comm, as far as the output needs. It is
// not safe for concurrent use.
type Annotator struct {
	Flows  Flows
	Groups Groups
	// Decode: decode payloads (JSON, --flows); Group: count Groups (and
	// decode, for the grouping by flow).
	Decode, Group bool
	flow          flow.Flow
	task          Task
}

// Add annotates record r, whose packet alert as printed is p (nil in
// summary mode). It returns the packet's flow and task, nil when unknown
// or not needed; they are valid until the next Add.
func (a *Annotator) Add(r *drops.Record, p *dropmon.PacketAlert) (*flow.Flow, *Task) {
	var fl *flow.Flow
	if a.Decode || a.Group {
		if f, ok := a.Flows.Of(p); ok {
			a.flow, fl = f, &a.flow
		}
	}
	var task *Task
	if r.HasTask {
		a.task, task = Task(r.Task), &a.task
	}
	if a.Group {
		k := KeysOf(r.Reason, p, fl, task)
		a.Groups.Add(&k, r.Count)
	}
	return fl, task
}
