package report

// The texts of dropwatch --counters, --explain and of the "counters that
// grew" section that --once and the REPL's top add after the top table.

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/counters"
)

var counterHeader = [...]string{"SOURCE", "COUNTER", "DELTA", "RATE/S", "OBJECT"}

// CounterName is a counter's name as --explain takes it: qualified by its
// source ("snmp/UdpNoPorts", "qdisc/drops").
func CounterName(c counters.Counter) string { return c.Source.String() + "/" + c.Name }

// counterDelta is the DELTA cell: the growth of a counter, or a gauge's
// new value after "=" (gauges have no growth).
func counterDelta(c *counters.Change) string {
	if c.Gauge {
		return "=" + strconv.FormatUint(c.Value, 10)
	}
	return strconv.FormatUint(c.Delta, 10)
}

// WriteCounterTable writes changes one per line, with a header: source,
// counter name, delta, rate per second and the object (interface, CPU or
// qdisc) the counter belongs to, "-" for the MIB counters, which have none.
//
//	SOURCE  COUNTER     DELTA  RATE/S  OBJECT
//	snmp    UdpNoPorts     20    6.66  -
//	qdisc   drops          20    6.66  tbf 1: dev va root
func WriteCounterTable(w io.Writer, changes []counters.Change) error {
	rows := make([][5]string, 0, len(changes)+1)
	rows = append(rows, counterHeader)
	for i := range changes {
		c := &changes[i]
		obj := c.Object
		if obj == "" {
			obj = "-"
		}
		rows = append(rows, [5]string{c.Source.String(), c.Name, counterDelta(c), strconv.FormatFloat(c.Rate, 'f', 2, 64), obj})
	}
	var widths [5]int
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], len(cell))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, cell := range r {
			switch {
			case i == 2 || i == 3: // numbers: right-aligned
				b.WriteString(strings.Repeat(" ", widths[i]-len(cell)))
				b.WriteString(cell)
			case i == len(r)-1:
				b.WriteString(cell)
			default:
				b.WriteString(cell)
				b.WriteString(strings.Repeat(" ", widths[i]-len(cell)))
			}
			if i < len(r)-1 {
				b.WriteString(columnGap)
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// shown is the changes --counters shows: with all every counter that
// moved, else those of drops and errors.
func shown(d *counters.Delta, all bool) []counters.Change {
	if all {
		return d.Changes
	}
	return counters.DropsAndErrors(d.Changes)
}

// WriteCounterInterval writes what moved in one interval of --counters,
// after a line with the interval's end in loc and its length; nothing when
// nothing it shows moved.
//
//	17:20:01 counters that moved in 1.00 s:
func WriteCounterInterval(w io.Writer, d counters.Delta, all bool, loc *time.Location) error {
	ch := shown(&d, all)
	if len(ch) == 0 {
		return nil
	}
	if _, err := fmt.Fprintf(w, "%s counters that moved in %.2f s:\n", d.To.In(loc).Format(time.TimeOnly), d.Interval.Seconds()); err != nil {
		return err
	}
	return WriteCounterTable(w, ch)
}

// WriteCounterTotals writes the totals over a whole window, one line per
// counter, or says that none grew.
//
//	Counters that grew in 10.00 s:
func WriteCounterTotals(w io.Writer, d counters.Delta, all bool) error {
	ch := shown(&d, all)
	what := "drop and error counters"
	if all {
		what = "counters"
	}
	if len(ch) == 0 {
		_, err := fmt.Fprintf(w, "No %s grew in %.2f s.\n", what, d.Interval.Seconds())
		return err
	}
	if _, err := fmt.Fprintf(w, "Counters that grew in %.2f s:\n", d.Interval.Seconds()); err != nil {
		return err
	}
	return WriteCounterTable(w, ch)
}

// WriteCountersGrew writes the section that follows the top table: the
// drop and error counters that grew over the same window (whether), then
// the meaning of each of them and of each drop reason of the table
// (why), with where to find the remedies.
//
//	Counters that grew in 3.01 s:
//	SOURCE  COUNTER     DELTA  RATE/S  OBJECT
//	snmp    UdpNoPorts     20    6.64  -
//	(41 traffic and other counters moved too: dropwatch --counters --all)
//	What they mean (dropwatch --explain NAME for the usual remedy):
//	  snmp/UdpNoPorts: ...
//	  reason/NO_SOCKET: ...
func WriteCountersGrew(w io.Writer, d counters.Delta, rows []Row) error {
	var b strings.Builder
	ch := counters.DropsAndErrors(d.Changes)
	WriteCounterTotals(&b, d, false)
	if n := len(d.Changes) - len(ch); n > 0 {
		fmt.Fprintf(&b, "(%d traffic and other counters moved too: dropwatch --counters --all)\n", n)
	}
	var lines []string
	seen := map[string]bool{}
	add := func(name string, e counters.Entry) {
		if !seen[name] {
			seen[name] = true
			lines = append(lines, "  "+name+": "+e.Meaning+"\n")
		}
	}
	for _, c := range ch {
		if e, ok := counters.ExplainCounter(c.Counter); ok {
			add(CounterName(c.Counter), e)
		}
	}
	for _, r := range rows {
		if r.Reason == "" {
			continue
		}
		if es := counters.Explain("reason/" + r.Reason); len(es) > 0 {
			add("reason/"+r.Reason, es[0])
		}
	}
	if len(lines) > 0 {
		b.WriteString("What they mean (dropwatch --explain NAME for the usual remedy):\n")
		for _, l := range lines {
			b.WriteString(l)
		}
	}
	if note := PrivilegeNote(d.Errors); note != "" {
		b.WriteString(note + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// PrivilegeNote is the line that names the sources that could not be read
// for lack of privileges, or "" when there are none.
//
//	counters not read without privileges: ethtool eth0, snmp /proc/net/snmp
func PrivilegeNote(errs []*counters.SourceError) string {
	need := counters.NeedPrivileges(errs)
	if len(need) == 0 {
		return ""
	}
	names := make([]string, len(need))
	for i, e := range need {
		names[i] = strings.TrimSpace(e.Source.String() + " " + e.Object + " " + e.Path)
	}
	return "counters not read without privileges (run as root): " + strings.Join(names, ", ")
}

// WriteExplain writes entries, each as its qualified name, its class, what
// it means and the usual remedy.
//
//	snmp/UdpNoPorts (drop)
//	  meaning: ...
//	  remedy:  ...
func WriteExplain(w io.Writer, entries []counters.Entry) error {
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "%s/%s (%s)\n  meaning: %s\n", e.Source, e.Name, e.Class, e.Meaning)
		if e.Remedy != "" {
			fmt.Fprintf(&b, "  remedy:  %s\n", e.Remedy)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// The JSON lines of --counters --json (JSON.md).
const (
	typeCounters      = "counters"
	typeCountersTotal = "counters_total"
)

type jsonCounters struct {
	Type            string          `json:"type"`
	From            string          `json:"from"`
	To              string          `json:"to"`
	IntervalSeconds float64         `json:"interval_seconds"`
	Changes         []jsonChange    `json:"changes"`
	Unreadable      []jsonSourceErr `json:"unreadable,omitempty"`
}

type jsonChange struct {
	Source string  `json:"source"`
	Object string  `json:"object"`
	Name   string  `json:"name"`
	Class  string  `json:"class"`
	Delta  uint64  `json:"delta"`
	Rate   float64 `json:"rate"`
	Value  uint64  `json:"value"`
	Gauge  bool    `json:"gauge,omitempty"`
	Reset  bool    `json:"reset,omitempty"`
	New    bool    `json:"new,omitempty"`
}

type jsonSourceErr struct {
	Source     string `json:"source"`
	Object     string `json:"object,omitempty"`
	Path       string `json:"path,omitempty"`
	Error      string `json:"error"`
	Permission bool   `json:"permission"`
}

// WriteCountersJSON writes one JSON line for d: "counters" for one
// interval, "counters_total" (total) for the whole window of --once.
//
//	{"type":"counters","from":"2026-12-03T17:20:00.000000000Z","to":"2026-12-03T17:20:01.000000000Z","interval_seconds":1,"changes":[{"source":"snmp","object":"","name":"UdpNoPorts","class":"drop","delta":20,"rate":20,"value":57}]}
func WriteCountersJSON(w io.Writer, d counters.Delta, all, total bool) error {
	j := jsonCounters{
		Type: typeCounters, From: formatTime(d.From), To: formatTime(d.To),
		IntervalSeconds: d.Interval.Seconds(), Changes: []jsonChange{},
	}
	if total {
		j.Type = typeCountersTotal
	}
	for _, c := range shown(&d, all) {
		j.Changes = append(j.Changes, jsonChange{
			Source: c.Source.String(), Object: c.Object, Name: c.Name, Class: c.Class.String(),
			Delta: c.Delta, Rate: c.Rate, Value: c.Value, Gauge: c.Gauge, Reset: c.Reset, New: c.New,
		})
	}
	need := counters.NeedPrivileges(d.Errors)
	for _, e := range d.Errors {
		j.Unreadable = append(j.Unreadable, jsonSourceErr{
			Source: e.Source.String(), Object: e.Object, Path: e.Path, Error: e.Err.Error(),
			Permission: containsErr(need, e),
		})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(&j)
}

func containsErr(errs []*counters.SourceError, e *counters.SourceError) bool {
	for _, x := range errs {
		if x == e {
			return true
		}
	}
	return false
}
