// Package lowmem sets up the Go runtime of a command for a small resident
// set: a tool that monitors for hours, on every host of a fleet, should
// cost about what the C tool it replaces costs (issue 17).
package lowmem

import (
	"os"
	"runtime/debug"
)

// GCPercent is the GOGC the commands run with unless GOGC is set. The
// runtime lets the heap grow to the live heap times 1+GOGC/100 before it
// collects, and to at least 4 MiB times GOGC/100 (heapMinimum,
// runtime/mgcpacer.go). Our tools' live heap is about 1-2 MiB, and each
// alert leaves garbage behind (the datagram's copy, its decoded alert:
// about 0.5 KiB on NET_DM, 1 KiB on the tracepoint): at the default 100 a
// burst filled the 4 MiB, and those pages stayed resident. At 25 the
// heap's goal is a quarter above the live heap, at least 1 MiB; the price
// is more collections, each under a millisecond of CPU on a heap this
// small (docs/benchmarks.md has both).
const GCPercent = 25

// Setup runs the garbage collector at GCPercent unless the environment
// sets GOGC, and keeps transparent huge pages out of the process
// (noTHP). Call it first in main: under THP "always" it executes the
// command again.
func Setup() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(GCPercent)
	}
	noTHP()
}
