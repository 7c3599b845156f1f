//go:build vmtest

package e2e

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var (
	// "%d drops at %s+%llx (%p) [software]", "%d drops at location %p
	// [software]" and "%d drops at %s [hardware]" in the C tool's
	// main.c; the count is per summary message, so the same location is
	// split over several lines, one per CPU and second.
	summaryRe = regexp.MustCompile(`^(\d+) drops at (.+) \[(software|hardware)\]$`)
	// "timestamp: %s %09" PRId64 " nsec": asctime() without its newline,
	// local time, day padded with a space.
	timestampRe = regexp.MustCompile(`^timestamp: [A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [0-9]{4} [0-9]{9} nsec$`)
)

const checkedTimestamp = "timestamp: (format checked)"

// normalize turns a transcript into what two correct runs of the same
// workload always share: consecutive summary lines are merged into one
// total per location (sorted), and packet timestamps, once their format
// is checked, are replaced by a placeholder.
func normalize(t testing.TB, out string) []string {
	t.Helper()
	var norm []string
	totals := map[string]int{}
	flush := func() {
		locs := make([]string, 0, len(totals))
		for loc := range totals {
			locs = append(locs, loc)
		}
		sort.Strings(locs)
		for _, loc := range locs {
			norm = append(norm, fmt.Sprintf("%d drops at %s", totals[loc], loc))
		}
		clear(totals)
	}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if m := summaryRe.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			totals[m[2]+" ["+m[3]+"]"] += n
			continue
		}
		flush()
		if strings.HasPrefix(line, "timestamp: ") {
			if !timestampRe.MatchString(line) {
				t.Errorf("bad timestamp line %q", line)
			}
			line = checkedTimestamp
		}
		norm = append(norm, line)
	}
	flush()
	return norm
}

// summaryDrops sums the summary lines about drops inside sym.
func summaryDrops(out string, sym symRange) int {
	n := 0
	for _, line := range strings.Split(out, "\n") {
		m := summaryRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		i := strings.LastIndex(m[2], "0x")
		pc, err := strconv.ParseUint(strings.TrimRight(m[2][i+2:], ")"), 16, 64)
		if i < 0 || err != nil || !sym.contains(pc) {
			continue
		}
		c, _ := strconv.Atoi(m[1])
		n += c
	}
	return n
}

// The lines the C dropwatch 1.5.4 prints, as c-dropwatch-transcripts.md
// recorded them on these kernels.
var (
	helpText = []string{
		"Command Syntax:",
		"exit\t\t\t\t - Quit dropwatch",
		"help\t\t\t\t - Display this message",
		"set:",
		"\talertlimit <number>\t - capture only this many alert packets",
		"\talertmode <mode>\t - set mode to \"summary\" or \"packet\"",
		"\ttrunc <len>\t\t - truncate packets to this length. Only applicable when \"alertmode\" is set to \"packet\"",
		"\tqueue <len>\t\t - queue up to this many packets in the kernel. Only applicable when \"alertmode\" is set to \"packet\"",
		"\tsw <true | false>\t - monitor software drops",
		"\thw <true | false>\t - monitor hardware drops",
		"start\t\t\t\t - start capture",
		"stop\t\t\t\t - stop capture",
		"show\t\t\t\t - show existing configuration",
		"stats\t\t\t\t - show statistics",
	}
	kasInit        = []string{"Initializing kallsyms db"}
	setPacketLines = []string{
		"dropwatch> set alertmode packet",
		"Setting alert mode",
		"Alert mode successfully set",
	}
	startLines = []string{
		"dropwatch> start",
		"Enabling monitoring...",
		"Kernel monitoring activated.",
		"Issue Ctrl-C to stop monitoring",
	}
	// At EOF readline prints the prompt without a newline, and the C tool
	// says it is terminating on the same line.
	eofLines = []string{"dropwatch> Terminating dropwatch...", "Shutting down ..."}
)

// What ours adds to the C tool's output, and nothing else may differ.
var (
	// ourHelp follows the C tool's help text (helpText) in ours: the
	// commands the C tool does not have.
	ourHelp = []string{
		"top [N] [--by GROUP]\t\t - show the drops of the last capture, most first (N rows at most)",
		"counters [all]\t\t\t - show the drop and error counters that grew since the last start (all: every counter)",
		"explain NAME\t\t\t - explain a counter or a drop reason, and its usual remedy",
	}
	// noLosses is the loss line ours prints on stderr each time
	// monitoring stops, when nothing was lost.
	noLosses = "dropwatch: losses: kernel tail drops 0, socket overruns 0 (0 alerts lost), full summaries 0, malformed 0, tracepoint samples lost 0; filtered out 0"
)

// ourPrefix starts every stderr line ours adds to the C tool's output.
const ourPrefix = "dropwatch: "

// withOurHelp returns the C tool's transcript as ours prints it: ourHelp
// right after every complete helpText block.
func withOurHelp(c []string) []string {
	var out []string
	for i := 0; i < len(c); i++ {
		out = append(out, c[i])
		if c[i] == helpText[0] && i+len(helpText) <= len(c) && slices.Equal(c[i:i+len(helpText)], helpText) {
			out = append(out, c[i+1:i+len(helpText)]...)
			out = append(out, ourHelp...)
			i += len(helpText) - 1
		}
	}
	return out
}

// splitOurLines separates the stderr lines ours adds (ourPrefix) from the
// rest, which must be the C tool's.
func splitOurLines(stderr string) (ours []string, rest string) {
	var b strings.Builder
	for _, line := range strings.SplitAfter(stderr, "\n") {
		if strings.HasPrefix(line, ourPrefix) {
			ours = append(ours, strings.TrimSuffix(line, "\n"))
		} else {
			b.WriteString(line)
		}
	}
	return ours, b.String()
}

// showLines is the answer to "show" (NET_DM_CMD_CONFIG_GET).
func showLines(mode string, trunc, queue int) []string {
	return []string{
		"dropwatch> show",
		"Getting existing configuration",
		"Alert mode: " + mode,
		fmt.Sprintf("Truncation length: %d", trunc),
		fmt.Sprintf("Queue length: %d", queue),
	}
}

// lines concatenates groups of lines.
func lines(groups ...[]string) []string {
	var all []string
	for _, g := range groups {
		all = append(all, g...)
	}
	return all
}

// kasLocation is how -l kas prints a pc inside sym: "%s+%llx (%p)".
func kasLocation(sym symRange, pc uint64) string {
	return fmt.Sprintf("%s+%x (%#x)", sym.name, pc-sym.lo, pc)
}

// packetBlock is one packet alert for a datagram from dropgen, with the
// symbol text the kernel itself formats with %pS: "fn+0xoff/0xsize".
func packetBlock(sym symRange, pc uint64) []string {
	return []string{
		fmt.Sprintf("drop at: %s+%#x/%#x (%#x)", sym.name, pc-sym.lo, sym.hi-sym.lo, pc),
		"origin: software",
		"input port ifindex: 1", // lo
		checkedTimestamp,
		"protocol: 0x800",
		"length: 74", // 14 + 20 + 8 + dropgen's 32 bytes
		"original length: 74",
		"drop reason: NO_SOCKET",
		"",
	}
}

func repeat(block []string, n int) []string {
	var all []string
	for range n {
		all = append(all, block...)
	}
	return all
}
