package report

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Location is where packets were dropped.
type Location struct {
	PC       uint64 // 0 for hardware traps or a device's rx_dropped
	Symbol   string // "__udp4_lib_rcv+0x9a2" (resolved), kernel text "__udp4_lib_rcv+0x9a2/0xc30" (packet mode), or "" (unresolved)
	Module   string // "" for the core kernel
	Hardware bool   // Symbol is a devlink trap name
}

// rxDropped is how a software location without an address or a symbol is
// shown. Only summary alerts carry one: the kernel reports a device whose
// rx_dropped counter grew during a NAPI poll as a drop at a NULL location
// (trace_napi_poll_hit in net/core/drop_monitor.c).
const rxDropped = "device rx_dropped"

// String returns the location as the text table shows it:
// "symbol+0xoff [module]", the symbol alone for the core kernel, the address
// as "0xffffffff81234567" when it is unresolved, "trap_name [hardware]" for a
// devlink trap (the C dropwatch's marker), and "device rx_dropped" for the
// address 0.
func (l Location) String() string {
	var buf [64]byte
	return string(l.appendText(buf[:0]))
}

// appendText appends l.String() to b.
func (l Location) appendText(b []byte) []byte {
	switch {
	case l.Hardware:
		b = append(b, l.Symbol...)
		return append(b, " [hardware]"...)
	case l.Symbol != "":
		b = append(b, l.Symbol...)
	case l.PC == 0:
		return append(b, rxDropped...)
	default:
		b = appendHex(b, l.PC)
	}
	if l.Module != "" {
		b = append(b, " ["...)
		b = append(b, l.Module...)
		b = append(b, ']')
	}
	return b
}

// Name returns the symbol without its offset: "__udp4_lib_rcv" for
// "__udp4_lib_rcv+0x9a2" or "__udp4_lib_rcv+0x9a2/0xc30", the trap name of
// a hardware location, and "" when the location is unresolved.
func (l Location) Name() string {
	if l.Hardware {
		return l.Symbol
	}
	if i := strings.IndexByte(l.Symbol, '+'); i >= 0 {
		return l.Symbol[:i]
	}
	return l.Symbol
}

// appendHex appends v as "0x" and lower-case hex digits.
func appendHex(b []byte, v uint64) []byte {
	return strconv.AppendUint(append(b, "0x"...), v, 16)
}

// key is what the Table aggregates on. Every field is comparable, so the
// map hashes it directly; adding to an existing key allocates nothing.
type key struct {
	loc      Location
	reason   string
	proto    uint16
	hasProto bool
}

// Table aggregates drops per location, reason and protocol. The zero Table
// is empty and ready to use. A Table is not safe for concurrent use.
type Table struct {
	counts map[key]uint64
	total  uint64
}

// NewTable returns an empty Table.
func NewTable() *Table {
	return &Table{counts: make(map[key]uint64)}
}

// Add counts drops at loc. reason is "" when unknown (summary mode, or a
// kernel older than 5.18); hasProto is false in summary mode, and proto is
// then ignored. A count of 0 adds nothing, not even an empty row.
func (t *Table) Add(loc Location, reason string, proto uint16, hasProto bool, count uint64) {
	if count == 0 {
		return
	}
	if !hasProto {
		proto = 0
	}
	if t.counts == nil {
		t.counts = make(map[key]uint64)
	}
	t.counts[key{loc: loc, reason: reason, proto: proto, hasProto: hasProto}] += count
	t.total += count
}

// Total returns the sum of every count added since the last Reset.
func (t *Table) Total() uint64 { return t.total }

// Len returns the number of distinct rows.
func (t *Table) Len() int { return len(t.counts) }

// Reset empties the table. It keeps the map's memory, so that a table
// refreshed every interval does not allocate it again.
func (t *Table) Reset() {
	clear(t.counts)
	t.total = 0
}

// Row is one line of a Table: the drops at one location for one reason and
// protocol.
type Row struct {
	Location Location
	Reason   string
	Proto    uint16
	HasProto bool
	Count    uint64
	Share    float64 // Count / Total, 0..1
}

// Rows returns the rows sorted by Count descending; ties are broken by
// Symbol, then PC, then Reason (then module, origin and protocol, so that the
// order is always the same).
func (t *Table) Rows() []Row {
	rows := make([]Row, 0, len(t.counts))
	for k, n := range t.counts {
		r := Row{Location: k.loc, Reason: k.reason, Proto: k.proto, HasProto: k.hasProto, Count: n}
		if t.total > 0 {
			r.Share = float64(n) / float64(t.total)
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, compareRows)
	return rows
}

func compareRows(a, b Row) int {
	if c := cmp.Compare(b.Count, a.Count); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Location.Symbol, b.Location.Symbol); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Location.PC, b.Location.PC); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Reason, b.Reason); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Location.Module, b.Location.Module); c != 0 {
		return c
	}
	if a.Location.Hardware != b.Location.Hardware {
		return boolOrder(a.Location.Hardware)
	}
	if a.HasProto != b.HasProto {
		return boolOrder(a.HasProto)
	}
	return cmp.Compare(a.Proto, b.Proto)
}

// boolOrder orders false before true for two different booleans, given the
// first.
func boolOrder(first bool) int {
	if first {
		return 1
	}
	return -1
}
