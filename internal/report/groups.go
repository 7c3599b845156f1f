package report

import (
	"cmp"
	"io"
	"slices"
	"strconv"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/flow"
)

// maxGroupRows bounds the distinct values each grouping remembers (a SYN
// flood from random ports is one flow per packet); drops of new values
// past it are counted in one "(other)" row.
const maxGroupRows = 1 << 16

// GroupKeys are what one record is grouped by, beside its site.
type GroupKeys struct {
	Flow      flow.Key // the zero Key when the alert had no payload
	Reason    string   // "" when unknown
	Interface string   // the input interface's name, "" when unknown
	Comm      string   // the process's comm, "" when unknown
}

// KeysOf returns the keys of a record with reason and packet alert p (nil
// in summary mode) whose payload decoded to f (nil without payload), in
// task (nil when unknown).
func KeysOf(reason string, p *dropmon.PacketAlert, f *flow.Flow, task *Task) GroupKeys {
	k := GroupKeys{Reason: reason}
	if task != nil {
		k.Comm = task.Comm
	}
	if p != nil && p.InPort != nil {
		k.Interface = p.InPort.Name
	}
	if f != nil {
		k.Flow = f.Key()
	}
	return k
}

// Groups counts drops by flow, reason, interface and comm (the table by
// site is Table). The zero Groups is empty and ready to use; it is not
// safe for concurrent use.
type Groups struct {
	flows  map[flow.Key]uint64
	names  [numNameGroups]map[string]uint64
	others [numGroups]uint64
	total  uint64
}

// The groups keyed by a name, in Groups.names.
const (
	nameReason = iota
	nameInterface
	nameComm
	numNameGroups
)

const numGroups = int(ByComm) + 1

func nameIndex(g Group) int {
	switch g {
	case ByReason:
		return nameReason
	case ByInterface:
		return nameInterface
	}
	return nameComm
}

// Add counts count drops with keys k. Adding to a known value allocates
// nothing.
func (g *Groups) Add(k *GroupKeys, count uint64) {
	if count == 0 {
		return
	}
	g.total += count
	if g.flows == nil {
		g.flows = make(map[flow.Key]uint64)
		for i := range g.names {
			g.names[i] = make(map[string]uint64)
		}
	}
	// One map operation while there is room, two past the bound.
	if len(g.flows) < maxGroupRows {
		g.flows[k.Flow] += count
	} else if _, ok := g.flows[k.Flow]; ok {
		g.flows[k.Flow] += count
	} else {
		g.others[ByFlow] += count
	}
	g.addName(nameReason, ByReason, k.Reason, count)
	g.addName(nameInterface, ByInterface, k.Interface, count)
	g.addName(nameComm, ByComm, k.Comm, count)
}

func (g *Groups) addName(i int, by Group, name string, count uint64) {
	m := g.names[i]
	if len(m) < maxGroupRows {
		m[name] += count
	} else if _, ok := m[name]; ok {
		m[name] += count
	} else {
		g.others[by] += count
	}
}

// Reset empties the groups, keeping their memory.
func (g *Groups) Reset() {
	clear(g.flows)
	for _, m := range g.names {
		clear(m)
	}
	g.others = [numGroups]uint64{}
	g.total = 0
}

// Total returns the sum of every count added since the last Reset.
func (g *Groups) Total() uint64 { return g.total }

// GroupRow is one line of a table grouped by flow, reason, interface or
// comm.
type GroupRow struct {
	Flow  flow.Key // ByFlow
	Name  string   // ByReason, ByInterface, ByComm; "" when unknown
	Other bool     // the drops of the values past maxGroupRows
	Count uint64
	Share float64 // Count / Total, 0..1
}

// Rows returns the rows of grouping by (not BySite), by Count descending,
// ties broken by their text.
func (g *Groups) Rows(by Group) []GroupRow {
	var rows []GroupRow
	if by == ByFlow {
		for k, n := range g.flows {
			rows = append(rows, GroupRow{Flow: k, Count: n})
		}
	} else {
		for name, n := range g.names[nameIndex(by)] {
			rows = append(rows, GroupRow{Name: name, Count: n})
		}
	}
	if n := g.others[by]; n > 0 {
		rows = append(rows, GroupRow{Other: true, Count: n})
	}
	var ta, tb []byte
	slices.SortFunc(rows, func(a, b GroupRow) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		ta, tb = a.appendText(ta[:0], by), b.appendText(tb[:0], by)
		return cmp.Compare(string(ta), string(tb))
	})
	for i := range rows {
		if g.total > 0 {
			rows[i].Share = float64(rows[i].Count) / float64(g.total)
		}
	}
	return rows
}

// appendText appends the row's value as the table shows it.
func (r *GroupRow) appendText(b []byte, by Group) []byte {
	switch {
	case r.Other:
		return append(b, "(other)"...)
	case by == ByFlow:
		return r.Flow.AppendText(b)
	case r.Name == "":
		return append(b, '-')
	}
	return append(b, r.Name...)
}

// groupHeaders are the value column's header of each grouping.
var groupHeaders = [numGroups]string{BySite: "LOCATION", ByFlow: "FLOW", ByReason: "REASON", ByInterface: "INTERFACE", ByComm: "COMM"}

// WriteGroupTable writes the top view of rows grouped by by, as WriteTable
// writes the table by site: a header, one line per row, then the totals
// and the loss line.
//
//	#  DROPS  SHARE  FLOW
//	1     30  60.0%  udp 192.0.2.1:40000 > 192.0.2.2:53
//	2     20  40.0%  tcp 192.0.2.1:40001 > 192.0.2.2:9
//	total: 50 drops in 2 rows
//	losses: kernel tail drops 0, socket overruns 0 (0 alerts lost), full summaries 0, malformed 0, tracepoint samples lost 0; filtered out 0
//
// A value is "-" when unknown (no reason in summary mode, no interface),
// a flow "unknown" for alerts without payload.
func WriteGroupTable(w io.Writer, by Group, rows []GroupRow, total uint64, l Losses, maxRows int) error {
	shown := rows
	if maxRows > 0 && len(rows) > maxRows {
		shown = rows[:maxRows]
	}
	header := [...]string{tableHeader[colRank], tableHeader[colDrops], tableHeader[colShare], groupHeaders[by]}
	var widths [len(header)]int
	var cells [][len(header)][]byte
	for i := range header {
		widths[i] = len(header[i])
	}
	for i := range shown {
		r := &shown[i]
		c := [len(header)][]byte{
			strconv.AppendInt(nil, int64(i+1), 10),
			strconv.AppendUint(nil, r.Count, 10),
			appendShare(nil, r.Share),
			r.appendText(nil, by),
		}
		for j := range c {
			widths[j] = max(widths[j], len(c[j]))
		}
		cells = append(cells, c)
	}
	b := make([]byte, 0, 96*(len(shown)+3))
	line := func(c [len(header)][]byte) {
		for j := range c {
			if j > 0 {
				b = append(b, columnGap...)
			}
			if j < len(c)-1 { // counts right-aligned, the value unpadded
				b = appendSpaces(b, widths[j]-len(c[j]))
			}
			b = append(b, c[j]...)
		}
		b = append(b, '\n')
	}
	line([len(header)][]byte{[]byte(header[0]), []byte(header[1]), []byte(header[2]), []byte(header[3])})
	for _, c := range cells {
		line(c)
	}
	b = appendTotals(b, total, len(rows), len(shown))
	b = appendLosses(b, &l)
	_, err := w.Write(b)
	return err
}
