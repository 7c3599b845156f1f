package main

import (
	"os"

	"github.com/dropwatch-go/dropwatch/internal/cpuprofile"
	"github.com/dropwatch-go/dropwatch/internal/lowmem"
	"github.com/dropwatch-go/dropwatch/internal/procs"
)

func main() {
	// First: lowmem may execute the command again (internal/lowmem).
	lowmem.Setup()
	procs.Limit()
	stopProfile := cpuprofile.Start(os.Stderr)
	code := newApp().run(os.Args, os.Stdin, os.Stdout, os.Stderr)
	stopProfile()
	os.Exit(code)
}
