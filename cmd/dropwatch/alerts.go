package main

// What dropwatch keeps of each alert besides its C-format text: where the
// drops happened, why, and how many, for the top table, JSON lines,
// filters and pcap records (internal/report).

import (
	"strings"
	"time"

	"github.com/dropwatch-go/dropwatch/internal/report"
	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/kallsyms"
)

// unit is one alert toward the alert limit: a summary alert's line per drop
// point or hardware trap, or a packet alert's block.
type unit struct {
	// text is where the unit's text in the C tool's format (format.go)
	// lies in its batch's text: text[0]:text[1].
	text     [2]int
	loc      report.Location
	reason   string
	proto    uint16
	hasProto bool
	count    uint64
	at       time.Time            // when dropwatch received a summary alert
	packet   *dropmon.PacketAlert // packet alerts only
	stack    []string             // --stack: the call chain, resolved
}

// rendered is one alert message: its units are units[first:end] of its
// batch.
type rendered struct {
	first, end int
	mode       dropmon.AlertMode
	// raw is the netlink message for -w, nil unless the monitor keeps raw
	// messages. It is written when at least one unit passed the filter.
	raw []byte
	// filtered counts the units the filter left out.
	filtered uint64
}

// location names a drop location as the table and JSON lines show it:
// the symbol and offset from kallsyms when there is a table (sym, found),
// else the address alone.
func location(pc uint64, sym kallsyms.Symbol, found bool) report.Location {
	loc := report.Location{PC: pc}
	if found {
		var b [64]byte
		loc.Symbol = string(appendHex(append(append(b[:0], sym.DisplayName()...), '+'), sym.Offset))
		loc.Module = sym.Module
	}
	return loc
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

// appendSummaryUnits appends a summary alert's units to units and their
// lines (summaryLines) to text, skipping the hardware entries that have no
// trap name.
func appendSummaryUnits(units []unit, text []byte, a *dropmon.Alert, r resolver, at time.Time) ([]unit, []byte) {
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
		sym, found := lookupSymbol(r, p.PC)
		start := len(text)
		text = appendSummaryPoint(text, p, sym, found)
		units = append(units, unit{text: [2]int{start, len(text)}, loc: location(p.PC, sym, found), count: uint64(p.Count), at: at})
	}
	for i := range a.HWEntries {
		h := &a.HWEntries[i]
		if h.TrapName == "" {
			continue
		}
		start := len(text)
		text = appendSummaryHW(text, h)
		units = append(units, unit{
			text: [2]int{start, len(text)}, loc: report.Location{Symbol: h.TrapName, Hardware: true},
			count: uint64(h.Count), at: at,
		})
	}
	return units, text
}

// appendPacketUnit appends a packet alert's block to text and returns its
// unit, with its call chain when the tracepoint gave one (--stack),
// printed after its fields and before the empty line that ends it.
func appendPacketUnit(text []byte, p *dropmon.PacketAlert, where report.Location, r resolver, loc *time.Location, stack []uint64) (unit, []byte) {
	start := len(text)
	text = appendPacketBlock(text, p, loc)
	u := unit{
		loc: where, reason: p.Reason,
		proto: p.Proto, hasProto: p.HasProto, count: 1, packet: p,
	}
	if len(stack) > 0 {
		text = append(appendStack(text[:len(text)-1], r, stack), '\n')
		for _, pc := range stack {
			u.stack = append(u.stack, frameName(r, pc))
		}
	}
	u.text = [2]int{start, len(text)}
	return u, text
}

// keep applies the filter to a unit.
func keep(f *report.Filter, u *unit) bool {
	switch {
	case f == nil || f.Empty():
		return true
	case u.packet != nil:
		return f.MatchPacket(u.packet, u.loc)
	case f.NeedsPacketMode():
		// A summary alert has no reason, protocol or port to match.
		return false
	}
	return f.MatchLocation(u.loc)
}
