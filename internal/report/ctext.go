package report

// The C dropwatch 1.5.4's alert texts: what a script written against the C
// tool's output parses. The strings and printf formats are those of
// nhorman/dropwatch src/main.c; cmd/dropwatch holds its state-machine
// messages (format.go) and calls these for every alert, "show" and "stats".

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
)

// Pointer formats an address as glibc's printf %p does.
func Pointer(pc uint64) string {
	if pc == 0 {
		return "(nil)"
	}
	var b [18]byte
	return string(appendPointer(b[:0], pc))
}

// appendPointer appends an address as glibc's printf %p does: "(nil)" for
// NULL, else 0x and the digits in lower case.
func appendPointer(dst []byte, pc uint64) []byte {
	if pc == 0 {
		return append(dst, "(nil)"...)
	}
	return appendHex(dst, pc)
}

// appendDecimal appends a number as printf's %d prints it.
func appendDecimal(dst []byte, v int64) []byte { return strconv.AppendInt(dst, v, 10) }

// AppendSummaryPoint appends a software drop point's line, with its
// symbol when resolved. The C tool prints counts (u32) with %d, and drops
// the [module] tag, so that the line keeps its shape.
func AppendSummaryPoint(b []byte, count uint64, l drops.Location) []byte {
	b = appendDecimal(b, int64(int32(count)))
	if !l.Resolved {
		b = append(b, " drops at location "...)
		b = appendPointer(b, l.PC)
		return append(b, " [software]\n"...)
	}
	// "%d drops at %s+%x (%p) [software]\n"
	b = append(b, " drops at "...)
	b = append(b, l.Symbol...)
	b = append(b, '+')
	b = strconv.AppendUint(b, l.Offset, 16)
	b = append(b, " ("...)
	b = appendPointer(b, l.PC)
	return append(b, ") [software]\n"...)
}

// AppendSummaryHW appends a hardware trap's line: "%d drops at %s
// [hardware]\n".
func AppendSummaryHW(b []byte, count uint64, trap string) []byte {
	b = appendDecimal(b, int64(int32(count)))
	b = append(b, " drops at "...)
	b = append(b, trap...)
	return append(b, " [hardware]\n"...)
}

// AppendPacketBlock appends a packet alert. Each line is printed only when
// the kernel sent its attribute, in the C tool's order, then an empty
// line. The location comes from the kernel's own SYMBOL text, never from
// kallsyms.
func AppendPacketBlock(b []byte, p *dropmon.PacketAlert, loc *time.Location) []byte {
	switch {
	case p.HasPC && p.Symbol != "":
		b = append(b, "drop at: "...)
		b = append(b, p.Symbol...)
		b = append(b, " ("...)
		b = appendHex(b, p.PC)
		b = append(b, ")\n"...)
	case p.HWTrapName != "" && p.HWTrapGroupName != "":
		b = append(b, "drop at: "...)
		b = append(b, p.HWTrapName...)
		b = append(b, " ("...)
		b = append(b, p.HWTrapGroupName...)
		b = append(b, ")\n"...)
	}
	if p.HasOrigin {
		b = append(b, "origin: "...)
		b = append(b, p.Origin.String()...)
		b = append(b, '\n')
	}
	if p.InPort != nil {
		if p.InPort.HasIfindex {
			b = append(b, "input port ifindex: "...)
			b = appendDecimal(b, int64(int32(p.InPort.Ifindex)))
			b = append(b, '\n')
		}
		if p.InPort.Name != "" {
			b = append(b, "input port name: "...)
			b = append(b, p.InPort.Name...)
			b = append(b, '\n')
		}
	}
	if len(p.Cookie) > 0 {
		b = append(b, "cookie: "...)
		b = hex.AppendEncode(b, p.Cookie)
		b = append(b, '\n')
	}
	if p.HasTimestamp {
		t := p.Timestamp.In(loc)
		b = append(b, "timestamp: "...)
		b = appendAsctime(b, t)
		b = append(b, ' ')
		b = appendZeroPadded(b, uint64(t.Nanosecond()), 9)
		b = append(b, " nsec\n"...)
	}
	if p.HasProto {
		b = append(b, "protocol: "...)
		b = appendHex(b, uint64(p.Proto))
		b = append(b, '\n')
	}
	if p.HasPayload {
		b = append(b, "length: "...)
		b = appendDecimal(b, int64(len(p.Payload)))
		b = append(b, '\n')
	}
	if p.HasOrigLen {
		b = append(b, "original length: "...)
		b = appendDecimal(b, int64(p.OrigLen))
		b = append(b, '\n')
	}
	if p.Reason != "" {
		b = append(b, "drop reason: "...)
		b = append(b, p.Reason...)
		b = append(b, '\n')
	}
	return append(b, '\n')
}

// asctimeNames are the day and month abbreviations of asctime(3).
const (
	asctimeDays   = "SunMonTueWedThuFriSat"
	asctimeMonths = "JanFebMarAprMayJunJulAugSepOctNovDec"
)

// appendAsctime appends t as asctime(3) without its newline: "%.3s
// %.3s%3d %.2d:%.2d:%.2d %d", e.g. "Fri Jul  5 00:05:09 2024" (the layout
// "Mon Jan _2 15:04:05 2006").
func appendAsctime(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	wd := int(t.Weekday())
	b = append(b, asctimeDays[3*wd:3*wd+3]...)
	b = append(b, ' ')
	b = append(b, asctimeMonths[3*(month-1):3*month]...)
	b = append(b, ' ')
	if day < 10 {
		b = append(b, ' ')
	}
	b = appendDecimal(b, int64(day))
	b = append(b, ' ')
	b = appendZeroPadded(b, uint64(hour), 2)
	b = append(b, ':')
	b = appendZeroPadded(b, uint64(minute), 2)
	b = append(b, ':')
	b = appendZeroPadded(b, uint64(sec), 2)
	b = append(b, ' ')
	return appendDecimal(b, int64(year))
}

// appendZeroPadded appends v in decimal with at least width digits, as
// printf's %0*d does.
func appendZeroPadded(b []byte, v uint64, width int) []byte { return appendDigits(b, v, 10, width) }

// appendDigits appends v in base with at least width digits, zero-padded.
func appendDigits(b []byte, v uint64, base, width int) []byte {
	var digits [64]byte
	d := strconv.AppendUint(digits[:0], v, base)
	for i := len(d); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}

// ConfigText is the reply to "show".
func ConfigText(c *dropmon.Config) string {
	mode := "Invalid alert mode"
	switch c.Mode {
	case dropmon.ModeSummary:
		mode = "Summary"
	case dropmon.ModePacket:
		mode = "Packet"
	}
	return fmt.Sprintf("Alert mode: %s\nTruncation length: %d\nQueue length: %d\n", mode, c.TruncLen, c.QueueLen)
}

// StatsText is the reply to "stats": a block per origin the kernel reported.
func StatsText(s *dropmon.Stats) string {
	var b strings.Builder
	if s.Software != nil {
		fmt.Fprintf(&b, "Software statistics:\nTail dropped: %d\n", s.Software.Dropped)
	}
	if s.Hardware != nil {
		fmt.Fprintf(&b, "Hardware statistics:\nTail dropped: %d\n", s.Hardware.Dropped)
	}
	return b.String()
}

// Strerror returns glibc's Strerror(3) text for the errno inside err (Go's
// table holds the same texts with a lower-case first letter), or a
// description of a failure that has no errno.
func Strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) && errno != 0 {
		return capitalize(errno.Error())
	}
	if errors.Is(err, dropmon.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
		return "Timed out waiting for the kernel's reply"
	}
	return err.Error()
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// appendStack appends a drop's kernel call chain (--stack), innermost
// frame first, as perf script prints one: a tab, the address in 16 hex
// digits, then the symbol with its offset, or [unknown] as perf says when
// kallsyms has none.
func appendStack(b []byte, stack []drops.Frame) []byte {
	for _, f := range stack {
		b = append(b, '\t')
		b = appendDigits(b, f.PC, 16, 16)
		b = append(b, ' ')
		b = append(b, FrameName(f)...)
		b = append(b, '\n')
	}
	return b
}

// FrameName is a stack frame's symbol and offset, or [unknown].
func FrameName(f drops.Frame) string {
	if f.Symbol != "" {
		return f.Symbol
	}
	return "[unknown]"
}

// SiteLocation names a drop location as the table and JSON lines show it:
// "symbol+0xoff" when resolved, else the address alone.
func SiteLocation(l drops.Location) Location {
	switch {
	case l.Hardware:
		return Location{Symbol: l.Symbol, Hardware: true}
	case !l.Resolved:
		return Location{PC: l.PC}
	}
	var b [64]byte
	sym := string(appendHex(append(append(b[:0], l.Symbol...), '+'), l.Offset))
	return Location{PC: l.PC, Symbol: sym, Module: l.Module}
}

// PacketLocation is a packet alert's location: the kernel's own "%pS" text
// (NET_DM), which ends in " [module]" for a module, or the trap name of a
// hardware drop.
func PacketLocation(p *dropmon.PacketAlert) Location {
	if !p.HasPC && p.HWTrapName != "" {
		return Location{Symbol: p.HWTrapName, Hardware: true}
	}
	sym, mod, _ := strings.Cut(p.Symbol, " [")
	// The kernel's "%pS" text ends in the function's size
	// ("__udp4_lib_rcv+0x9a2/0xc30"); without it the location is the one
	// summary mode and the tracepoint name, so one drop site is one row.
	if i := strings.LastIndexByte(sym, '/'); i > 0 && strings.HasPrefix(sym[i+1:], "0x") {
		sym = sym[:i]
	}
	return Location{PC: p.PC, Symbol: sym, Module: strings.TrimSuffix(mod, "]")}
}

// kernelText reports whether a packet alert carries the kernel's text of
// its location; the tracepoint's do not.
func kernelText(p *dropmon.PacketAlert) bool { return !p.HasPC || p.Symbol != "" }

// RecordPacket is the packet alert of a record as dropwatch prints it:
// where the kernel sent no symbol text (the tracepoint), the location as
// summary mode names it, or the address, stands in for it.
func RecordPacket(r *drops.Record) *dropmon.PacketAlert {
	if kernelText(r.Packet) {
		return r.Packet
	}
	p := *r.Packet
	p.Symbol = Pointer(p.PC)
	if r.Location.Resolved {
		p.Symbol = r.Location.String()
	}
	return &p
}

// RecordLocation is a record's location for the table, JSON and filters.
func RecordLocation(r *drops.Record) Location {
	if r.Packet != nil && kernelText(r.Packet) {
		return PacketLocation(r.Packet)
	}
	return SiteLocation(r.Location)
}

// AppendRecord appends a record's text in the C tool's format; p is its
// packet alert (RecordPacket), nil for a summary record.
func AppendRecord(b []byte, r *drops.Record, p *dropmon.PacketAlert, loc *time.Location) []byte {
	switch {
	case p != nil:
		b = AppendPacketBlock(b, p, loc)
		if len(r.Stack) > 0 {
			// The call chain follows the fields, before the empty line.
			b = append(appendStack(b[:len(b)-1], r.Stack), '\n')
		}
		return b
	case r.Location.Hardware:
		return AppendSummaryHW(b, r.Count, r.Location.Symbol)
	}
	return AppendSummaryPoint(b, r.Count, r.Location)
}

// Keep applies the filter (nil keeps everything) to a record at where; p is its packet alert.
func (f *Filter) Keep(p *dropmon.PacketAlert, where Location) bool {
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
