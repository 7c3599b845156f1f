// Package cpuprofile writes a Go CPU profile of a whole command run when
// the environment asks for one: DROPWATCH_CPUPROFILE=FILE. It is how the
// in-VM benchmark (test/e2e, DROPWATCH_BENCH_PROFILE) sees where a
// command spends its CPU in a guest that has no perf.
package cpuprofile

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
)

// Env names the file the profile is written to.
const Env = "DROPWATCH_CPUPROFILE"

// Start starts profiling if Env is set and returns the function that
// stops and writes the profile; a profile that cannot be started is said
// on stderr, and the command runs on without it.
//
// It also turns the heap profile's sampling off: linking runtime/pprof
// turns it on (runtime.MemProfileRate, one sample per 512 KiB allocated,
// each keeping its call stack for the life of the process), and the
// commands never write a heap profile. Call it first in main.
func Start(stderr io.Writer) (stop func()) {
	runtime.MemProfileRate = 0
	name := os.Getenv(Env)
	if name == "" {
		return func() {}
	}
	f, err := os.Create(name)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", Env, err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", Env, err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", Env, err)
		}
	}
}
