package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
	"github.com/dropwatch-go/dropwatch/pkg/flow"
	"github.com/dropwatch-go/dropwatch/pkg/nlpcap"
)

// ErrLimit ends monitoring at the alert limit: STOP at once, no drain.
var ErrLimit = errors.New("alert limit reached")

// ErrPcap ends monitoring when writing the -w file failed.
var ErrPcap = errors.New("writing the pcap failed")

// maxText bounds the text the printer gathers before it writes.
const maxText = 64 << 10

// Printer is dropwatch's drops.Handler: it prints the records of one
// monitoring session on the alert stream, in the C tool's formats, or as
// JSON lines, or not at all when a pcap owns standard output (-w -). It
// counts them toward the alert limit, adds them to the table and the
// groupings, and writes their messages to the pcap. The fields are set
// before the first Take.
type Printer struct {
	Filter *Filter    // nil keeps every record
	Table  *Table     // the top table
	Notes  *Annotator // flows and groupings
	JSON   bool       // --json
	Quiet  bool       // print nothing (-w -)
	Flows  bool       // a flow: and a task: line in packet alerts' text
	Loc    *time.Location
	Limit  uint64 // the alert limit, 0 for none; it counts per session
	// Pcap, when not nil, gets each message with a record the filter
	// keeps; a failure is said on Errs as a -w failure of PcapName.
	Pcap     *nlpcap.Writer
	PcapName string
	// Write writes on the alert stream; Failed is the first write error
	// of the alert or status stream.
	Write  func([]byte)
	Failed func() error
	Errs   io.Writer // malformed messages and pcap failures

	// text is what the printer has yet to write on the alert stream; json
	// writes there (--json).
	text  bytes.Buffer
	json  *JSONWriter
	count uint64 // alerts printed
	// pcapFailed: writing the pcap failed, in Run or in Stop's drain.
	pcapFailed bool
	filtered   uint64 // alerts the filter left out
	// The records of a message being printed: their packet alert as
	// printed, location and whether the filter keeps them.
	pkts  []*dropmon.PacketAlert
	where []Location
	kept  []bool
}

// Count is the number of alerts printed; Filtered, those the filter left
// out.
func (p *Printer) Count() uint64    { return p.count }
func (p *Printer) Filtered() uint64 { return p.filtered }

// PcapFailed says whether writing the pcap failed.
func (p *Printer) PcapFailed() bool { return p.pcapFailed }

// Losses are the engine's losses with the filtered-out count, as the loss
// line and the JSON summary show them.
func (p *Printer) Losses(l drops.Losses) Losses {
	return Losses{
		KernelTailDrops: l.KernelTailDrops, SocketOverruns: l.SocketOverruns, SocketDrops: l.SocketDrops,
		FullSummaries: l.FullSummaries, Malformed: l.Malformed, TracepointLost: l.TracepointLost,
		Filtered: p.filtered,
	}
}

// Take prints a batch into the printer's text. When the limit is reached
// in the middle of a message, the rest of that message is still printed,
// as the C tool does; later messages are not.
func (p *Printer) Take(b *drops.Batch) error {
	if p.JSON && p.json == nil {
		p.json = NewJSONWriter(&p.text)
	}
	if len(b.Errs) > 0 {
		// What stderr says comes after the alerts before it.
		if err := p.Flush(); err != nil {
			return err
		}
		for _, err := range b.Errs {
			fmt.Fprintf(p.Errs, "dropwatch: ignoring a message: %v\n", err)
		}
	}
	for _, m := range b.Messages {
		recs := b.Records[m.First:m.End]
		p.pkts, p.where, p.kept = p.pkts[:0], p.where[:0], p.kept[:0]
		anyKept := false
		for i := range recs {
			var pkt *dropmon.PacketAlert
			if recs[i].Packet != nil {
				pkt = RecordPacket(&recs[i])
			}
			where := RecordLocation(&recs[i])
			k := p.Filter.Keep(pkt, where)
			p.pkts, p.where, p.kept = append(p.pkts, pkt), append(p.where, where), append(p.kept, k)
			if !k {
				p.filtered++
			}
			anyKept = anyKept || k
		}
		if anyKept && m.Raw != nil && p.Pcap != nil {
			if err := p.Pcap.WriteDatagram(m.Raw); err != nil {
				fmt.Fprintf(p.Errs, "dropwatch: writing %s: %v\n", p.PcapName, err)
				p.pcapFailed = true
				return ErrPcap
			}
		}
		limited := false
		for i := range recs {
			if !p.kept[i] {
				continue
			}
			r := &recs[i]
			p.Table.Add(p.where[i], r.Reason, r.Proto, r.HasProto, r.Count)
			fl, task := p.Notes.Add(r, p.pkts[i])
			p.print(r, p.pkts[i], p.where[i], fl, task)
			p.count++
			limited = limited || p.count == p.Limit
		}
		clear(p.pkts)
		if limited {
			return ErrLimit
		}
	}
	if p.text.Len() >= maxText {
		return p.Flush()
	}
	return nil
}

// print appends a record to the text printed on the alert stream: its
// C-format text, or its JSON line, or nothing.
func (p *Printer) print(r *drops.Record, pkt *dropmon.PacketAlert, where Location, fl *flow.Flow, task *Task) {
	switch {
	case p.JSON && pkt != nil:
		var stack []string
		for _, f := range r.Stack {
			stack = append(stack, FrameName(f))
		}
		p.json.Packet(pkt, where, stack, fl, task)
	case p.JSON:
		p.json.Summary(r.Time, where, r.Count, r.Reason)
	case !p.Quiet:
		b := AppendRecord(p.text.AvailableBuffer(), r, pkt, p.Loc)
		if p.Flows && pkt != nil && fl != nil {
			b = append(AppendFlowLine(b[:len(b)-1], fl), '\n') // before the empty line
		}
		if p.Flows && pkt != nil && task != nil {
			b = append(AppendTaskLine(b[:len(b)-1], task), '\n')
		}
		p.text.Write(b)
	}
}

// Flush writes what Take gathered, and fails if the alert or the status
// stream failed.
func (p *Printer) Flush() error {
	if p.text.Len() > 0 {
		p.Write(p.text.Bytes())
		p.text.Reset()
	}
	return p.Failed()
}
