package report

import (
	"fmt"
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
