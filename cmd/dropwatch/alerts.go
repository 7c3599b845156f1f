package main

// What dropwatch keeps of each alert besides its C-format text: where the
// drops happened, why, and how many, for the top table, JSON lines,
// filters and pcap records (internal/report).

import (
	"fmt"
	"strings"
	"time"

	"github.com/dropwatch-go/dropwatch/internal/report"
	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
)

// unit is one alert toward the alert limit: a summary alert's line per drop
// point or hardware trap, or a packet alert's block.
type unit struct {
	text     string // in the C tool's format (format.go)
	loc      report.Location
	reason   string
	proto    uint16
	hasProto bool
	count    uint64
	at       time.Time            // when dropwatch received a summary alert
	packet   *dropmon.PacketAlert // packet alerts only
	stack    []string             // --stack: the call chain, resolved
}

// rendered is one alert message.
type rendered struct {
	units []unit
	mode  dropmon.AlertMode
	// raw is the netlink message for -w, nil unless the monitor keeps raw
	// messages. It is written when at least one unit passed the filter.
	raw []byte
	// filtered counts the units the filter left out.
	filtered uint64
}

// location names a drop location as the table and JSON lines show it:
// the symbol and offset from kallsyms when there is a table, else the
// address alone.
func location(r resolver, pc uint64) report.Location {
	loc := report.Location{PC: pc}
	if r == nil {
		return loc
	}
	if sym, ok := r.Lookup(pc); ok {
		loc.Symbol = fmt.Sprintf("%s+%#x", sym.DisplayName(), sym.Offset)
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
	if p.HasPC && sym == pointer(p.PC) {
		// The tracepoint backend without a symbol table stands the address
		// in for the kernel's text in the "drop at:" line; the table and
		// JSON already carry the address as such.
		sym = ""
	}
	return report.Location{PC: p.PC, Symbol: sym, Module: strings.TrimSuffix(mod, "]")}
}

// summaryUnits pairs summaryLines' lines with their locations and counts,
// skipping the hardware entries that have no trap name as it does.
func summaryUnits(a *dropmon.Alert, r resolver, at time.Time) []unit {
	lines := summaryLines(a, r)
	units := make([]unit, 0, len(lines))
	for _, p := range a.Points {
		units = append(units, unit{loc: location(r, p.PC), count: uint64(p.Count), at: at})
	}
	for _, h := range a.HWEntries {
		if h.TrapName != "" {
			units = append(units, unit{loc: report.Location{Symbol: h.TrapName, Hardware: true}, count: uint64(h.Count), at: at})
		}
	}
	for i := range units {
		units[i].text = lines[i]
	}
	return units
}

// packetUnit is a packet alert's block, with its call chain when the
// tracepoint gave one (--stack), printed after its fields and before the
// empty line that ends it.
func packetUnit(p *dropmon.PacketAlert, r resolver, loc *time.Location, stack []uint64) unit {
	u := unit{
		text: packetBlock(p, loc), loc: packetLocation(p), reason: p.Reason,
		proto: p.Proto, hasProto: p.HasProto, count: 1, packet: p,
	}
	if len(stack) > 0 {
		u.text = strings.TrimSuffix(u.text, "\n") + stackText(r, stack) + "\n"
		for _, pc := range stack {
			u.stack = append(u.stack, frameName(r, pc))
		}
	}
	return u
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
