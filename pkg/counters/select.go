package counters

import (
	"errors"
	"os"
)

// DropsAndErrors returns the changes of counters that count dropped
// packets or errors (ClassDrop, ClassError), in their order: the counters a
// user asking "are packets dropped?" looks at first. Diff puts them first,
// so they are a prefix of changes.
func DropsAndErrors(changes []Change) []Change {
	for i, c := range changes {
		if c.Class != ClassDrop && c.Class != ClassError {
			return changes[:i:i]
		}
	}
	return changes
}

// NeedPrivileges returns the errors of sources that could not be read for
// lack of privileges (errors.Is os.ErrPermission), in their order.
func NeedPrivileges(errs []*SourceError) []*SourceError {
	var out []*SourceError
	for _, e := range errs {
		if errors.Is(e, os.ErrPermission) {
			out = append(out, e)
		}
	}
	return out
}
