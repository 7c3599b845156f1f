package main

// Everything dropwatch prints that the C dropwatch 1.5.4 also prints lives
// in this file, so that a script written against the C tool's output parses
// ours. The strings and printf formats are those of nhorman/dropwatch
// src/main.c; only the texts dropwatch adds (hints, errors of its own) live
// elsewhere (explain.go).

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
)

const prompt = "dropwatch> "

// Messages of the C tool's state machine, printed on stdout.
const (
	msgNullLookup      = "Initializing null lookup method"
	msgKallsymsLookup  = "Initializing kallsyms db"
	msgNoFamily        = "Unable to find NET_DM family, dropwatch can't work"
	msgSocketCleanup   = "Cleaning up on socket creation error"
	msgEnabling        = "Enabling monitoring..."
	msgActivated       = "Kernel monitoring activated."
	msgIssueCtrlC      = "Issue Ctrl-C to stop monitoring"
	msgDeactivating    = "Deactivation requested, turning off monitoring"
	msgGotStop         = "Got a stop message"
	msgLimitReached    = "Alert limit reached, deactivating!"
	msgSettingMode     = "Setting alert mode"
	msgModeSet         = "Alert mode successfully set"
	msgTruncSet        = "Truncation length successfully set"
	msgQueueSet        = "Queue length successfully set"
	msgGettingConfig   = "Getting existing configuration"
	msgGettingStats    = "Getting statistics"
	msgTerminating     = "Terminating dropwatch..."
	msgShuttingDown    = "Shutting down ..."
	fmtUnknownMethod   = "Unknown lookup method %s\n"
	fmtAlertLimit      = "setting alert capture limit to %d\n"
	fmtSettingTrunc    = "Setting truncation length to %d\n"
	fmtSettingQueue    = "Setting queue length to %d\n"
	fmtSettingSource   = "setting %s drops monitoring to %d\n"
	fmtStartFailed     = "Failed activation request, error: %s\n"
	fmtStopFailed      = "Stop request failed, error: %s\n"
	fmtConfigFailed    = "Failed config request, error: %s\n"
	lookupMethodsList  = "Available lookup methods:\nkas - use /proc/kallsyms\nnone - print raw addresses (the default)\n"
	helpColumn         = 32 // the C help text tabs every description to column 32
	helpTabWidth       = 8
	helpHeader         = "Command Syntax:\n"
	asctimeLayout      = "Mon Jan _2 15:04:05 2006" // asctime(3) without its "\n"
	summaryFoundFormat = "%d drops at %s+%x (%s) [software]\n"
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
	return fmt.Sprintf("%#x", pc)
}

// summaryLines renders a summary alert: one line per software drop point,
// then one per hardware trap that has a name. Each line counts as one alert
// toward the alert limit, as in the C tool. The C tool prints counts (u32)
// with %d.
func summaryLines(a *dropmon.Alert, r resolver) []string {
	lines := make([]string, 0, len(a.Points)+len(a.HWEntries))
	for _, p := range a.Points {
		if name, off, ok := resolve(r, p.PC); ok {
			lines = append(lines, fmt.Sprintf(summaryFoundFormat, int32(p.Count), name, off, pointer(p.PC)))
			continue
		}
		lines = append(lines, fmt.Sprintf("%d drops at location %s [software]\n", int32(p.Count), pointer(p.PC)))
	}
	for _, h := range a.HWEntries {
		if h.TrapName == "" {
			continue
		}
		lines = append(lines, fmt.Sprintf("%d drops at %s [hardware]\n", int32(h.Count), h.TrapName))
	}
	return lines
}

// packetBlock renders a packet alert. Each line is printed only when the
// kernel sent its attribute, in the C tool's order, then an empty line. The
// location comes from the kernel's own SYMBOL text, never from kallsyms.
func packetBlock(p *dropmon.PacketAlert, loc *time.Location) string {
	var b strings.Builder
	switch {
	case p.HasPC && p.Symbol != "":
		fmt.Fprintf(&b, "drop at: %s (%#x)\n", p.Symbol, p.PC)
	case p.HWTrapName != "" && p.HWTrapGroupName != "":
		fmt.Fprintf(&b, "drop at: %s (%s)\n", p.HWTrapName, p.HWTrapGroupName)
	}
	if p.HasOrigin {
		fmt.Fprintf(&b, "origin: %s\n", p.Origin)
	}
	if p.InPort != nil {
		if p.InPort.HasIfindex {
			fmt.Fprintf(&b, "input port ifindex: %d\n", int32(p.InPort.Ifindex))
		}
		if p.InPort.Name != "" {
			fmt.Fprintf(&b, "input port name: %s\n", p.InPort.Name)
		}
	}
	if len(p.Cookie) > 0 {
		fmt.Fprintf(&b, "cookie: %x\n", p.Cookie)
	}
	if p.HasTimestamp {
		t := p.Timestamp.In(loc)
		fmt.Fprintf(&b, "timestamp: %s %09d nsec\n", t.Format(asctimeLayout), t.Nanosecond())
	}
	if p.HasProto {
		fmt.Fprintf(&b, "protocol: %#x\n", p.Proto)
	}
	if p.HasPayload {
		fmt.Fprintf(&b, "length: %d\n", len(p.Payload))
	}
	if p.HasOrigLen {
		fmt.Fprintf(&b, "original length: %d\n", p.OrigLen)
	}
	if p.Reason != "" {
		fmt.Fprintf(&b, "drop reason: %s\n", p.Reason)
	}
	b.WriteString("\n")
	return b.String()
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
