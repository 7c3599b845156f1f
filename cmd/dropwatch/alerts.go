package main

// What dropwatch makes of the engine's records: their C-format text
// (format.go), and where the drops happened as the top table, JSON lines
// and filters name it (internal/report).

import (
	"strings"
	"time"

	"github.com/dropwatch-go/dropwatch/internal/report"
	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
)

// location names a drop location as the table and JSON lines show it:
// "symbol+0xoff" when resolved, else the address alone.
func location(l drops.Location) report.Location {
	switch {
	case l.Hardware:
		return report.Location{Symbol: l.Symbol, Hardware: true}
	case !l.Resolved:
		return report.Location{PC: l.PC}
	}
	var b [64]byte
	sym := string(appendHex(append(append(b[:0], l.Symbol...), '+'), l.Offset))
	return report.Location{PC: l.PC, Symbol: sym, Module: l.Module}
}

// packetLocation is a packet alert's location: the kernel's own "%pS" text
// (NET_DM), which ends in " [module]" for a module, or the trap name of a
// hardware drop.
func packetLocation(p *dropmon.PacketAlert) report.Location {
	if !p.HasPC && p.HWTrapName != "" {
		return report.Location{Symbol: p.HWTrapName, Hardware: true}
	}
	sym, mod, _ := strings.Cut(p.Symbol, " [")
	// The kernel's "%pS" text ends in the function's size
	// ("__udp4_lib_rcv+0x9a2/0xc30"); without it the location is the one
	// summary mode and the tracepoint name, so one drop site is one row.
	if i := strings.LastIndexByte(sym, '/'); i > 0 && strings.HasPrefix(sym[i+1:], "0x") {
		sym = sym[:i]
	}
	return report.Location{PC: p.PC, Symbol: sym, Module: strings.TrimSuffix(mod, "]")}
}

// kernelText reports whether a packet alert carries the kernel's text of
// its location; the tracepoint's do not.
func kernelText(p *dropmon.PacketAlert) bool { return !p.HasPC || p.Symbol != "" }

// recordPacket is the packet alert of a record as dropwatch prints it:
// where the kernel sent no symbol text (the tracepoint), the location as
// summary mode names it, or the address, stands in for it.
func recordPacket(r *drops.Record) *dropmon.PacketAlert {
	if kernelText(r.Packet) {
		return r.Packet
	}
	p := *r.Packet
	p.Symbol = pointer(p.PC)
	if r.Location.Resolved {
		p.Symbol = r.Location.String()
	}
	return &p
}

// recordLocation is a record's location for the table, JSON and filters.
func recordLocation(r *drops.Record) report.Location {
	if r.Packet != nil && kernelText(r.Packet) {
		return packetLocation(r.Packet)
	}
	return location(r.Location)
}

// appendRecord appends a record's text in the C tool's format; p is its
// packet alert (recordPacket), nil for a summary record.
func appendRecord(b []byte, r *drops.Record, p *dropmon.PacketAlert, loc *time.Location) []byte {
	switch {
	case p != nil:
		b = appendPacketBlock(b, p, loc)
		if len(r.Stack) > 0 {
			// The call chain follows the fields, before the empty line.
			b = append(appendStack(b[:len(b)-1], r.Stack), '\n')
		}
		return b
	case r.Location.Hardware:
		return appendSummaryHW(b, r.Count, r.Location.Symbol)
	}
	return appendSummaryPoint(b, r.Count, r.Location)
}

// keep applies the filter to a record at where; p is its packet alert.
func keep(f *report.Filter, p *dropmon.PacketAlert, where report.Location) bool {
	switch {
	case f == nil || f.Empty():
		return true
	case p != nil:
		return f.MatchPacket(p, where)
	case f.NeedsPacketMode():
		// A summary alert has no reason, protocol or port to match.
		return false
	}
	return f.MatchLocation(where)
}
