package main

// Everything dropwatch prints that the C dropwatch 1.5.4 also prints lives
// in this file, so that a script written against the C tool's output parses
// ours. The strings and printf formats are those of nhorman/dropwatch
// src/main.c; only the texts dropwatch adds (hints, errors of its own) live
// elsewhere (explain.go).

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

const prompt = "dropwatch> "

// Messages of the C tool's state machine, printed on stdout.
const (
	msgNullLookup     = "Initializing null lookup method"
	msgKallsymsLookup = "Initializing kallsyms db"
	msgNoFamily       = "Unable to find NET_DM family, dropwatch can't work"
	msgSocketCleanup  = "Cleaning up on socket creation error"
	msgEnabling       = "Enabling monitoring..."
	msgActivated      = "Kernel monitoring activated."
	msgIssueCtrlC     = "Issue Ctrl-C to stop monitoring"
	msgDeactivating   = "Deactivation requested, turning off monitoring"
	msgGotStop        = "Got a stop message"
	msgLimitReached   = "Alert limit reached, deactivating!"
	msgSettingMode    = "Setting alert mode"
	msgModeSet        = "Alert mode successfully set"
	msgTruncSet       = "Truncation length successfully set"
	msgQueueSet       = "Queue length successfully set"
	msgGettingConfig  = "Getting existing configuration"
	msgGettingStats   = "Getting statistics"
	msgTerminating    = "Terminating dropwatch..."
	msgShuttingDown   = "Shutting down ..."
	fmtUnknownMethod  = "Unknown lookup method %s\n"
	fmtAlertLimit     = "setting alert capture limit to %d\n"
	fmtSettingTrunc   = "Setting truncation length to %d\n"
	fmtSettingQueue   = "Setting queue length to %d\n"
	fmtSettingSource  = "setting %s drops monitoring to %d\n"
	fmtStartFailed    = "Failed activation request, error: %s\n"
	fmtStopFailed     = "Stop request failed, error: %s\n"
	fmtConfigFailed   = "Failed config request, error: %s\n"
	lookupMethodsList = "Available lookup methods:\nkas - use /proc/kallsyms\nnone - print raw addresses (the default)\n"
	helpColumn        = 32 // the C help text tabs every description to column 32
	helpTabWidth      = 8
	helpHeader        = "Command Syntax:\n"
)

// Failures the C tool reports with perror(3), on stderr. The C tool's
// "show" and "stats" hang when the kernel answers with an error; dropwatch
// reports the error with the text of the corresponding send failure.
const (
	fmtGetConfigFailed = "Failed to get existing configuration: %s\n"
	fmtGetStatsFailed  = "Failed to get statistics: %s\n"
	fmtReceiveFailed   = "Receive operation failed:: %s\n"
)

// writeHelp prints the help text: byte for byte the C tool's, whose lines
// are tabbed so that every " - description" starts at column 32.
func writeHelp(b *strings.Builder, cmds []command) {
	b.WriteString(helpHeader)
	for _, c := range cmds {
		writeHelpEntry(b, c)
	}
}

func writeHelpEntry(b *strings.Builder, c command) {
	if len(c.subs) == 0 {
		b.WriteString(tabTo(c.usage, 0) + " - " + c.help + "\n")
		return
	}
	b.WriteString(c.name + ":\n")
	for _, s := range c.subs {
		b.WriteString("\t" + tabTo(s.usage, helpTabWidth) + " - " + s.help + "\n")
	}
}

// tabTo appends tabs to s, which starts at column col, up to helpColumn.
func tabTo(s string, col int) string {
	col += len(s)
	for col < helpColumn {
		s += "\t"
		col = (col/helpTabWidth + 1) * helpTabWidth
	}
	return s
}

// pointer formats an address as glibc's printf %p does.
func pointer(pc uint64) string {
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

// appendHex appends an unsigned number as Go's %#x prints it: 0x, then
// the digits, "0x0" for 0.
func appendHex(dst []byte, v uint64) []byte {
	return strconv.AppendUint(append(dst, "0x"...), v, 16)
}

// appendDecimal appends a number as printf's %d prints it.
func appendDecimal(dst []byte, v int64) []byte { return strconv.AppendInt(dst, v, 10) }

// appendSummaryPoint appends a software drop point's line, with its
// symbol when resolved. The C tool prints counts (u32) with %d, and drops
// the [module] tag, so that the line keeps its shape.
func appendSummaryPoint(b []byte, count uint64, l drops.Location) []byte {
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

// appendSummaryHW appends a hardware trap's line: "%d drops at %s
// [hardware]\n".
func appendSummaryHW(b []byte, count uint64, trap string) []byte {
	b = appendDecimal(b, int64(int32(count)))
	b = append(b, " drops at "...)
	b = append(b, trap...)
	return append(b, " [hardware]\n"...)
}

// appendPacketBlock appends a packet alert. Each line is printed only when
// the kernel sent its attribute, in the C tool's order, then an empty
// line. The location comes from the kernel's own SYMBOL text, never from
// kallsyms.
func appendPacketBlock(b []byte, p *dropmon.PacketAlert, loc *time.Location) []byte {
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
func appendZeroPadded(b []byte, v uint64, width int) []byte { return appendPadded(b, v, 10, width) }

// appendPadded appends v in base with at least width digits, zero-padded.
func appendPadded(b []byte, v uint64, base, width int) []byte {
	var digits [64]byte
	d := strconv.AppendUint(digits[:0], v, base)
	for i := len(d); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}

// configText is the reply to "show".
func configText(c *dropmon.Config) string {
	mode := "Invalid alert mode"
	switch c.Mode {
	case dropmon.ModeSummary:
		mode = "Summary"
	case dropmon.ModePacket:
		mode = "Packet"
	}
	return fmt.Sprintf("Alert mode: %s\nTruncation length: %d\nQueue length: %d\n", mode, c.TruncLen, c.QueueLen)
}

// statsText is the reply to "stats": a block per origin the kernel reported.
func statsText(s *dropmon.Stats) string {
	var b strings.Builder
	if s.Software != nil {
		fmt.Fprintf(&b, "Software statistics:\nTail dropped: %d\n", s.Software.Dropped)
	}
	if s.Hardware != nil {
		fmt.Fprintf(&b, "Hardware statistics:\nTail dropped: %d\n", s.Hardware.Dropped)
	}
	return b.String()
}

// strerror returns glibc's strerror(3) text for the errno inside err (Go's
// table holds the same texts with a lower-case first letter), or a
// description of a failure that has no errno.
func strerror(err error) string {
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
		b = appendPadded(b, f.PC, 16, 16)
		b = append(b, ' ')
		b = append(b, frameName(f)...)
		b = append(b, '\n')
	}
	return b
}

// frameName is a stack frame's symbol and offset, or [unknown].
func frameName(f drops.Frame) string {
	if f.Symbol != "" {
		return f.Symbol
	}
	return "[unknown]"
}
