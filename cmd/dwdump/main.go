package main

import (
	"os"

	"github.com/dropwatch-go/dropwatch/internal/procs"
)

func main() {
	procs.Limit()
	os.Exit(newApp().run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
