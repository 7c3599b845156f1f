// Command dropgen makes the kernel drop a given number of UDP datagrams
// (see package dropgen) and prints how many it made, for shell scripts and
// for runs of the C dropwatch that need a known workload.
//
//	dropgen -n 1000            # as fast as possible
//	dropgen -n 50000 -rate 5000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/dropwatch-go/dropwatch/test/vm/dropgen"
)

func main() {
	n := flag.Int("n", 1, "number of drops to make")
	rate := flag.Int("rate", 0, "drops per second at most (0: as fast as possible)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	made, err := dropgen.MakeRate(ctx, *n, *rate)
	fmt.Println(made)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
