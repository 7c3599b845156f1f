package main

import (
	"os"
	"runtime"
)

func main() {
	// One P unless the user asks for more. dwdump is a pipeline of two
	// goroutines that mostly wait; with two Ps each wake-up of one also
	// woke a spinning thread on the other P. In the VM that made a
	// capture cost 12.4 s of CPU for 20,000 alerts against 6.8 s with
	// GOMAXPROCS=1, with no alert lost either way (docs/benchmarks.md).
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	os.Exit(newApp().run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
