// Package lowmem sets up the Go runtime of a command for a small resident
// set: a tool that monitors for hours, on every host of a fleet, should
// cost about what the C tool it replaces costs (issue 17).
package lowmem

// Setup keeps transparent huge pages out of the process (noTHP). Call it
// first in main: under THP "always" it executes the command again.
func Setup() {
	noTHP()
}
