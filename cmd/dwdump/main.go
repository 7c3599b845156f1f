package main

import "os"

func main() {
	os.Exit(newApp().run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
