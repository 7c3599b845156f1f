package report

import (
	"io"
	"strconv"
)

// Losses are what was not reported, each counted exactly where possible.
// The json tags are the field names of the "losses" object of the final
// JSON line.
type Losses struct {
	KernelTailDrops uint64 `json:"kernel_tail_drops"` // packet alerts the kernel discarded (NET_DM STATS_GET "Tail dropped", sw+hw, during the session)
	SocketOverruns  uint64 `json:"socket_overruns"`   // ENOBUFS episodes on our socket
	SocketDrops     uint64 `json:"socket_drops"`      // exact alerts lost on our socket (/proc/net/netlink Drops)
	FullSummaries   uint64 `json:"full_summaries"`    // summary alerts that held the kernel's 64-location maximum
	Malformed       uint64 `json:"malformed"`         // messages we could not decode
	Filtered        uint64 `json:"filtered"`          // alerts the user's filters left out (not a loss, but reported alongside)
	TracepointLost  uint64 `json:"tracepoint_lost"`   // perf ring-buffer samples lost (tracepoint backend)
}

// String returns the loss line of WriteTable, without its newline:
// "losses: kernel tail drops 0, socket overruns 0 (0 alerts lost), …".
func (l Losses) String() string {
	b := appendLosses(make([]byte, 0, 160), &l)
	return string(b[:len(b)-1])
}

// The columns of the text table. Counts, ranks and shares are right-aligned
// so that their magnitudes line up; text is left-aligned.
var tableHeader = [...]string{"#", "DROPS", "SHARE", "LOCATION", "REASON", "PROTO"}

const (
	colRank = iota
	colDrops
	colShare
	colLocation
	colReason
	colProto
	numCols
)

// columnGap separates the columns.
const columnGap = "  "

// WriteTable writes the human "top" view of rows: a header, one line per
// row, biggest first as given, then a totals line and one line of loss
// counters that always names every counter, zeros included, so that "no
// loss" is stated rather than implied. maxRows <= 0 writes all rows.
//
//	#  DROPS  SHARE  LOCATION                        REASON          PROTO
//	1   1500  75.0%  __udp4_lib_rcv+0x9a2            NO_SOCKET       0x0800
//	2    400  20.0%  nft_do_chain+0x3c1 [nf_tables]  NETFILTER_DROP  0x86dd
//	total: 2000 drops in 4 rows (top 2 shown)
//	losses: kernel tail drops 0, socket overruns 0 (0 alerts lost), full summaries 0, malformed 0, tracepoint samples lost 0; filtered out 0
//
// A share below 0.05% is written "<0.1%" rather than "0.0%", and one that
// would round up to 100% without being all of the total ">99.9%". The
// reason and the protocol are "-" when unknown (summary mode). Nothing is
// written to w until the whole text is ready; then it is written at once.
func WriteTable(w io.Writer, rows []Row, total uint64, l Losses, maxRows int) error {
	shown := rows
	if maxRows > 0 && len(rows) > maxRows {
		shown = rows[:maxRows]
	}

	var widths [numCols]int
	for i, h := range tableHeader {
		widths[i] = len(h)
	}
	var scratch []byte
	for i, r := range shown {
		for c := range numCols - 1 { // the last column is not padded
			scratch = appendCell(scratch[:0], c, i, &r)
			widths[c] = max(widths[c], len(scratch))
		}
	}

	b := make([]byte, 0, 128*(len(shown)+3))
	for c, h := range tableHeader {
		b = appendPadded(b, c, []byte(h), widths[c])
	}
	b = append(b, '\n')
	for i, r := range shown {
		for c := range numCols {
			scratch = appendCell(scratch[:0], c, i, &r)
			b = appendPadded(b, c, scratch, widths[c])
		}
		b = append(b, '\n')
	}
	b = appendTotals(b, total, len(rows), len(shown))
	b = appendLosses(b, &l)
	_, err := w.Write(b)
	return err
}

// appendCell appends the text of column c of r, the i-th row shown.
func appendCell(b []byte, c, i int, r *Row) []byte {
	switch c {
	case colRank:
		return strconv.AppendInt(b, int64(i+1), 10)
	case colDrops:
		return strconv.AppendUint(b, r.Count, 10)
	case colShare:
		return appendShare(b, r.Share)
	case colLocation:
		return r.Location.appendText(b)
	case colReason:
		if r.Reason == "" {
			return append(b, '-')
		}
		return append(b, r.Reason...)
	default:
		if !r.HasProto {
			return append(b, '-')
		}
		return appendProto(b, r.Proto)
	}
}

// appendPadded appends column c's cell to a line, aligned to width, with
// the gap before it; the last column gets no trailing spaces.
func appendPadded(b []byte, c int, cell []byte, width int) []byte {
	if c > 0 {
		b = append(b, columnGap...)
	}
	pad := width - len(cell)
	if c <= colShare {
		b = appendSpaces(b, pad)
		return append(b, cell...)
	}
	b = append(b, cell...)
	if c < numCols-1 {
		b = appendSpaces(b, pad)
	}
	return b
}

func appendSpaces(b []byte, n int) []byte {
	for range n {
		b = append(b, ' ')
	}
	return b
}

// appendShare appends a share of 0..1 as a percentage with one decimal.
func appendShare(b []byte, share float64) []byte {
	switch pct := share * 100; {
	case pct > 0 && pct < 0.05:
		return append(b, "<0.1%"...)
	case pct >= 99.95 && pct < 100:
		return append(b, ">99.9%"...)
	default:
		b = strconv.AppendFloat(b, pct, 'f', 1, 64)
		return append(b, '%')
	}
}

// appendProto appends an EtherType as "0x0800": four hex digits, as
// EtherTypes are written in the standards and in tcpdump's output.
func appendProto(b []byte, proto uint16) []byte {
	const digits = "0123456789abcdef"
	return append(b, '0', 'x',
		digits[proto>>12], digits[proto>>8&0xf], digits[proto>>4&0xf], digits[proto&0xf])
}

// appendTotals appends "total: 2000 drops in 3 rows (top 2 shown)".
func appendTotals(b []byte, total uint64, rows, shown int) []byte {
	b = append(b, "total: "...)
	b = appendCount(b, total, "drop", "drops")
	b = append(b, " in "...)
	b = appendCount(b, uint64(rows), "row", "rows")
	if shown < rows {
		b = append(b, " (top "...)
		b = strconv.AppendInt(b, int64(shown), 10)
		b = append(b, " shown)"...)
	}
	return append(b, '\n')
}

func appendCount(b []byte, n uint64, one, many string) []byte {
	b = strconv.AppendUint(b, n, 10)
	b = append(b, ' ')
	if n == 1 {
		return append(b, one...)
	}
	return append(b, many...)
}

// appendLosses appends the loss line. Every counter is always written: a
// reader must be able to tell "nothing lost" from "not counted".
func appendLosses(b []byte, l *Losses) []byte {
	parts := [...]struct {
		before string
		n      uint64
	}{
		{"losses: kernel tail drops ", l.KernelTailDrops},
		{", socket overruns ", l.SocketOverruns},
		{" (", l.SocketDrops},
		{" alerts lost), full summaries ", l.FullSummaries},
		{", malformed ", l.Malformed},
		{", tracepoint samples lost ", l.TracepointLost},
		{"; filtered out ", l.Filtered},
	}
	for _, p := range parts {
		b = append(b, p.before...)
		b = strconv.AppendUint(b, p.n, 10)
	}
	return append(b, '\n')
}
