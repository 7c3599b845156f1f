package drops_test

import (
	"fmt"
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
)

// Count the drops of five seconds per location and reason, on NET_DM or
// the tracepoint, and say what was lost. It needs root, so it is not run.
func Example() {
	file, err := drops.OpenKallsyms("")
	if err != nil {
		file = drops.UnusableFile{} // raw addresses
	}
	eng, err := drops.Open(drops.Options{Symbols: drops.NewSymbols(file, func(error) {})})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer eng.Close()
	w, err := eng.Watch(drops.WatchOptions{Source: dropmon.SourceSoftware, For: 5 * time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()
	type key struct{ site, reason string }
	counts := map[key]uint64{}
	count := drops.TakeFunc(func(b *drops.Batch) error {
		for _, r := range b.Records {
			counts[key{r.Location.String(), r.Reason}] += r.Count
		}
		return nil
	})
	w.Run(count)  // until the five seconds and the drain are over
	w.Stop(count) // STOP, and what the kernel sent before its reply
	for k, n := range counts {
		fmt.Printf("%8d %s %s\n", n, k.site, k.reason)
	}
	fmt.Printf("%+v\n", w.Losses())
}
