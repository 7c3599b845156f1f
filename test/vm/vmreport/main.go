// Command vmreport reads the serial console log of one test VM (see
// test/vm/init.sh for the markers), prints each test's result, unpacks the
// files the guest sent back from /out, and exits 1 if anything failed or the
// guest never said it had finished.
//
//	vmreport -log console.log -label 6.1 -out results/6.1/out -counts counts.txt
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	log := flag.String("log", "", "console log to read")
	label := flag.String("label", "vm", "name of this VM in the report")
	out := flag.String("out", "", "directory for the guest's /out (none: not unpacked)")
	counts := flag.String("counts", "", "file to write \"passed failed skipped\" to")
	flag.Parse()
	c, err := run(*log, *label, *out, *counts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vmreport:", err)
		os.Exit(2)
	}
	if c.Failed > 0 {
		os.Exit(1)
	}
}

func run(log, label, out, countsFile string) (Counts, error) {
	f, err := os.Open(log)
	if err != nil {
		return Counts{}, err
	}
	defer f.Close()
	rep, err := Parse(f)
	if err != nil {
		return Counts{}, fmt.Errorf("reading %s: %w", log, err)
	}
	c := rep.Write(os.Stdout, label)
	if out != "" && rep.Ended {
		if err := rep.ExtractOut(out); err != nil {
			fmt.Printf("   FAIL unpacking the guest's /out: %v\n", err)
			c.Failed++
		} else {
			fmt.Printf("   guest files: %s\n", out)
		}
	}
	fmt.Printf("   %s: %d passed, %d failed, %d skipped\n", label, c.Passed, c.Failed, c.Skipped)
	if countsFile != "" {
		if err := os.WriteFile(countsFile, fmt.Appendf(nil, "%d %d %d\n", c.Passed, c.Failed, c.Skipped), 0o644); err != nil {
			return c, err
		}
	}
	return c, nil
}
