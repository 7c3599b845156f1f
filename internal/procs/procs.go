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
// The commands read their alerts through the netpoller and hand them to
// one consumer; with a second P idle, every wake-up from the netpoller
// wakes a second thread as well: the thread that returns from epoll_wait
// was spinning when it blocked, and a spinning M that finds work calls
// wakep to start another spinning M (resetspinning and findRunnable in
// runtime/proc.go), which finds nothing and sleeps again. That was 5 to 6
// context switches per alert of a trickle against the C tool's one, and
// twice main's CPU per alert at 500 a second (docs/benchmarks.md). With
// one P there is no idle P to start, and a consumer made runnable by the
// reader runs on the same thread once the reader parks. One P keeps up
// with the fastest bursts the kernel delivers: the socket buffer (32 MiB)
// holds what arrives while the consumer writes.
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
