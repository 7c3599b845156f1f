package drops

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/kallsyms"
)

// Location is where packets were dropped.
type Location struct {
	// PC is the kernel address of the drop; 0 for a hardware trap, and
	// for a device whose rx_dropped counter grew during a NAPI poll
	// (trace_napi_poll_hit in net/core/drop_monitor.c).
	PC uint64
	// Symbol is the function PC lies in, demangled, when Resolved; the
	// trap name when Hardware.
	Symbol string
	// Offset is PC less the function's start, when Resolved.
	Offset uint64
	// Module is the module of the function, "" for the core kernel.
	Module string
	// Resolved: Symbol, Offset and Module are known, from kallsyms or from
	// the kernel's own text.
	Resolved bool
	// Text is the kernel's "%pS" text of PC as NET_DM's packet alerts
	// carry it ("__udp4_lib_rcv+0x9a2/0xc30", then " [module]" for a
	// module), "" elsewhere.
	Text string
	// Hardware: a devlink trap dropped the packet; Symbol is the trap's
	// name and TrapGroup its group (packet alerts only).
	Hardware  bool
	TrapGroup string
}

// Site is the location without its address, which a program that must
// never show kernel addresses (an exporter) can use: "symbol+0xoff", then
// " [module]" for a module, the trap name for a hardware drop, "" when
// unresolved.
func (l Location) Site() string {
	switch {
	case l.Hardware:
		return l.Symbol
	case !l.Resolved:
		return ""
	}
	return l.String()
}

// String is the resolved location as the kernel's %pS prints it without
// the function's size, "symbol+0xoff" then " [module]" for a module, as
// kallsyms.Symbol.String does; an unresolved one is its address in hex.
func (l Location) String() string {
	if l.Hardware {
		return l.Symbol
	}
	var buf [80]byte
	b := buf[:0]
	if !l.Resolved {
		return string(strconv.AppendUint(append(b, "0x"...), l.PC, 16))
	}
	b = append(b, l.Symbol...)
	b = strconv.AppendUint(append(b, "+0x"...), l.Offset, 16)
	if l.Module != "" {
		b = append(append(append(b, " ["...), l.Module...), ']')
	}
	return string(b)
}

// Locate is pc's location as r names it; r may be nil.
func Locate(r Resolver, pc uint64) Location {
	sym, found := lookupSymbol(r, pc)
	return symbolLocation(pc, sym, found)
}

// symbolLocation is pc's location from kallsyms (sym, found).
func symbolLocation(pc uint64, sym kallsyms.Symbol, found bool) Location {
	if !found {
		return Location{PC: pc}
	}
	return Location{PC: pc, Symbol: sym.DisplayName(), Offset: sym.Offset, Module: sym.Module, Resolved: true}
}

// textLocation is a NET_DM packet alert's location: its kernel text, which
// Linux's sprint_symbol writes as "name+0xoff/0xsize", then " [module]"
// for a module, or the trap of a hardware drop.
func textLocation(p *dropmon.PacketAlert) Location {
	if !p.HasPC && p.HWTrapName != "" {
		return Location{Symbol: p.HWTrapName, TrapGroup: p.HWTrapGroupName, Hardware: true}
	}
	l := Location{PC: p.PC, Text: p.Symbol}
	sym, mod, _ := strings.Cut(p.Symbol, " [")
	if i := strings.LastIndexByte(sym, '/'); i > 0 {
		sym = sym[:i]
	}
	name, off, ok := strings.Cut(sym, "+0x")
	if !ok || name == "" {
		return l
	}
	n, err := strconv.ParseUint(off, 16, 64)
	if err != nil {
		return l
	}
	l.Symbol, l.Offset, l.Module, l.Resolved = name, n, strings.TrimSuffix(mod, "]"), true
	return l
}

// Frame is one frame of a drop's kernel call chain.
type Frame struct {
	PC uint64
	// Symbol is the frame as kallsyms.Symbol.String prints it
	// ("name+0xoff [module]"), "" when there is no symbol for PC.
	Symbol string
}

// Record is one drop record: a drop location of a summary alert with its
// count, a hardware trap of a summary alert, or one dropped packet.
type Record struct {
	Location Location
	Origin   dropmon.Origin
	// Count is the number of drops: a summary alert's count, 1 for a
	// packet.
	Count uint64
	// Time is when a summary alert was received (summary alerts carry no
	// time); the kernel's time of a packet's drop when it sent one.
	Time time.Time
	// Reason, Proto (an EtherType) and HasProto are a packet's; Reason also
	// a tracepoint summary's.
	Reason   string
	Proto    uint16
	HasProto bool
	// Packet is the packet alert, nil in summary mode: input port, cookie,
	// payload, lengths. On the tracepoint its Symbol is "", and the
	// location is Location.
	Packet *dropmon.PacketAlert
	// Stack is the packet's kernel call chain, innermost frame first (the
	// tracepoint with Options.Stacks).
	Stack []Frame
	// Task is the task the packet was freed in; HasTask is set on the
	// tracepoint in packet mode (NET_DM does not say).
	Task    Task
	HasTask bool
}

// Task is the task that was running where a packet was freed: for
// locally generated traffic processed inline, the sender; for received
// traffic, whatever task the softirq interrupted, or ksoftirqd; the idle
// task (PID 0, "swapper/CPU") on an idle CPU.
type Task struct {
	CPU  uint32
	PID  int32  // the process (thread group) id
	TID  int32  // the thread id
	Comm string // the thread's name (/proc/TID/comm), "" if it was gone
}

// Message is one alert message of a Batch: its records are
// Records[First:End].
type Message struct {
	First, End int
	Mode       dropmon.AlertMode
	// Raw is the netlink message, header included (Options.KeepRaw).
	Raw []byte
}

// Batch is what the engine hands its Handler at once: the alert messages
// of the datagrams received together (at most HoldFor of them), resolved. A Batch and what it
// holds are valid only during Handler.Take.
type Batch struct {
	Records  []Record
	Messages []Message
	// Errs are the messages that could not be decoded; they came before
	// the batch's records.
	Errs []error

	err error // receiving failed
	// upTo is how many datagrams the receiver had resolved, this batch's
	// last among them, when it handed the batch over.
	upTo uint64
	// panicked is a panic of the receiving goroutine, re-raised by Run.
	panicked any
}

var batchPool = sync.Pool{New: func() any { return new(Batch) }}

func newBatch() *Batch { return batchPool.Get().(*Batch) }

// recycle empties b, dropping what it refers to, and returns it to the
// pool.
func (b *Batch) recycle() {
	clear(b.Records)
	clear(b.Messages)
	clear(b.Errs)
	*b = Batch{Records: b.Records[:0], Messages: b.Messages[:0], Errs: b.Errs[:0]}
	batchPool.Put(b)
}

// packets reports whether the batch holds packet alerts.
func (b *Batch) packets() bool {
	for _, m := range b.Messages {
		if m.Mode == dropmon.ModePacket {
			return true
		}
	}
	return false
}

// resolve appends the events of one datagram to b as records; stacks,
// when not nil, holds the kernel call chain of each.
func resolve(b *Batch, evs []dropmon.Event, r Resolver, stacks [][]uint64) {
	for i := range evs {
		ev := &evs[i]
		m := Message{First: len(b.Records), Raw: ev.Raw}
		switch {
		case ev.Alert != nil:
			// Summary alerts carry no time; packet alerts carry the
			// kernel's, so only these read the clock.
			m.Mode = dropmon.ModeSummary
			b.Records = appendSummary(b.Records, ev.Alert, r, time.Now())
		case ev.Packet != nil:
			var stack []uint64
			if i < len(stacks) {
				stack = stacks[i]
			}
			m.Mode = dropmon.ModePacket
			b.Records = append(b.Records, packetRecord(ev.Packet, r, stack))
		case ev.Err != nil:
			b.Errs = append(b.Errs, ev.Err)
			continue
		default:
			continue
		}
		m.End = len(b.Records)
		b.Messages = append(b.Messages, m)
	}
}

// appendSummary appends a summary alert's records, skipping the hardware
// entries that have no trap name. All the alert's new locations are
// looked up at once (Symbols.Prepare).
func appendSummary(recs []Record, a *dropmon.Alert, r Resolver, at time.Time) []Record {
	if p, ok := r.(preparer); ok && len(a.Points) > 1 {
		var buf [64]uint64
		pcs := buf[:0]
		for i := range a.Points {
			pcs = append(pcs, a.Points[i].PC)
		}
		p.Prepare(pcs)
	}
	for i := range a.Points {
		p := &a.Points[i]
		recs = append(recs, Record{Location: Locate(r, p.PC), Origin: dropmon.OriginSoftware, Count: uint64(p.Count), Time: at, Reason: p.Reason})
	}
	for i := range a.HWEntries {
		h := &a.HWEntries[i]
		if h.TrapName != "" {
			recs = append(recs, Record{
				Location: Location{Symbol: h.TrapName, Hardware: true}, Origin: dropmon.OriginHardware,
				Count: uint64(h.Count), Time: at,
			})
		}
	}
	return recs
}

// packetRecord is a packet alert's record. NET_DM sends the kernel's
// symbol text; the tracepoint has none, and its location is looked up as
// summary mode's.
func packetRecord(p *dropmon.PacketAlert, r Resolver, stack []uint64) Record {
	rec := Record{
		Origin: p.Origin, Count: 1, Reason: p.Reason,
		Proto: p.Proto, HasProto: p.HasProto, Packet: p,
	}
	if p.HasTimestamp {
		rec.Time = p.Timestamp
	}
	if p.HasPC && p.Symbol == "" {
		rec.Location = Locate(r, p.PC)
	} else {
		rec.Location = textLocation(p)
	}
	if len(stack) > 0 {
		rec.Stack = make([]Frame, len(stack))
		for i, pc := range stack {
			rec.Stack[i].PC = pc
			if sym, ok := lookupSymbol(r, pc); ok {
				rec.Stack[i].Symbol = sym.String()
			}
		}
	}
	return rec
}
