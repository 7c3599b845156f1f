package report

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Group is what the top table groups drops by.
type Group uint8

const (
	// BySite: location, reason and protocol (the table of the C-compatible
	// default).
	BySite Group = iota
	// ByFlow: the flow of the packet's payload (flow.Key).
	ByFlow
	// ByReason: the drop reason.
	ByReason
	// ByInterface: the name of the input interface.
	ByInterface
	// ByComm: the process the drop happened in (tracepoint backend).
	ByComm
)

var groupNames = [...]string{BySite: "site", ByFlow: "flow", ByReason: "reason", ByInterface: "interface", ByComm: "comm"}

// String returns the group's name, as ParseGroup takes it.
func (g Group) String() string {
	if int(g) < len(groupNames) {
		return groupNames[g]
	}
	return fmt.Sprintf("group(%d)", int(g))
}

// GroupNames are the names ParseGroup takes, BySite's first.
func GroupNames() []string { return groupNames[:] }

// ParseGroup parses a group's name: site, flow, reason, interface or comm.
func ParseGroup(s string) (Group, error) {
	for g, n := range groupNames {
		if s == n {
			return Group(g), nil
		}
	}
	return 0, fmt.Errorf("want %s", strings.Join(groupNames[:], ", "))
}

// CutGroupArg takes "--by GROUP" (or "--by=GROUP") out of a command's
// arguments (the REPL's top); def is the grouping without it, and rest are
// the other arguments, in order.
func CutGroupArg(args []string, def Group) (by Group, rest []string, err error) {
	by = def
	for i := 0; i < len(args); i++ {
		name, ok := strings.CutPrefix(args[i], "--by=")
		switch {
		case ok:
		case args[i] == "--by" && i+1 < len(args):
			i++
			name = args[i]
		case args[i] == "--by":
			return by, nil, errors.New("--by needs a grouping")
		default:
			rest = append(rest, args[i])
			continue
		}
		g, err := ParseGroup(name)
		if err != nil {
			return by, nil, fmt.Errorf("invalid grouping %q: %v", name, err)
		}
		by = g
	}
	return by, rest, nil
}

// WriteTop writes the top table grouped by by: WriteTable of t for BySite,
// else WriteGroupTable of g; at most maxRows rows when it is above 0.
func WriteTop(w io.Writer, by Group, t *Table, g *Groups, l Losses, maxRows int) error {
	if by == BySite {
		return WriteTable(w, t.Rows(), t.Total(), l, maxRows)
	}
	return WriteGroupTable(w, by, g.Rows(by), g.Total(), l, maxRows)
}
