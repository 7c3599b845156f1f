package main

import (
	"os"

	"github.com/dropwatch-go/dropwatch/internal/cpuprofile"
	"github.com/dropwatch-go/dropwatch/internal/procs"
)

func main() {
	procs.Limit()
	stopProfile := cpuprofile.Start(os.Stderr)
	code := newApp().run(os.Args, os.Stdin, os.Stdout, os.Stderr)
	stopProfile()
	os.Exit(code)
}
