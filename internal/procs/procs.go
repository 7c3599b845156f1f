// Package procs sets the Go scheduler up for a command that mostly waits
// for the kernel's drop alerts: dropwatch and dwdump.
package procs

import (
	"os"
	"runtime"
)

// Limit runs the program's Go code on one P (GOMAXPROCS=1) unless the
// environment sets GOMAXPROCS, and reports the number in force.
//
// The commands wait for their alerts in the netpoller, and dropwatch hands
// each run of alerts from its receiving goroutine to the one that writes.
// With a second P idle, making a goroutine runnable starts a spinning M on
// it (ready and wakep in runtime/proc.go), as does a spinning M that found
// work (resetspinning): a thread woken for nothing at each hand-over. With
// one P there is no idle P to start, and the writer runs on the same thread
// once the reader parks. One P keeps up with the fastest bursts the kernel
// delivers in the benchmark (docs/benchmarks.md): the socket buffer
// (32 MiB) holds what arrives while the writer writes.
//
// Calling runtime.GOMAXPROCS also ends the runtime's periodic look at the
// CPU limit (Go 1.25's updatemaxprocs), one wake-up less for an idle
// monitor.
func Limit() int {
	if os.Getenv("GOMAXPROCS") != "" {
		return runtime.GOMAXPROCS(0)
	}
	runtime.GOMAXPROCS(1)
	return 1
}
