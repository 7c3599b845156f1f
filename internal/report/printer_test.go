package report

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/pkg/drops"
)

// summaryBatch is one NET_DM summary message with a record per symbol.
func summaryBatch(syms ...string) *drops.Batch {
	b := &drops.Batch{}
	for i, s := range syms {
		b.Records = append(b.Records, drops.Record{
			Location: drops.Location{PC: 0xffffffff81000000 + uint64(i), Symbol: s, Offset: 0x10, Resolved: true},
			Count:    uint64(i + 1),
		})
	}
	b.Messages = []drops.Message{{First: 0, End: len(syms)}}
	return b
}

func TestPrinter(t *testing.T) {
	tests := []struct {
		name    string
		p       Printer
		batches [][]string
		text    string
		err     error
		count   uint64
		filter  uint64
	}{{
		name:    "C text, one write per flush",
		batches: [][]string{{"kfree_skb", "udp_rcv"}},
		text:    "1 drops at kfree_skb+10 (0xffffffff81000000) [software]\n2 drops at udp_rcv+10 (0xffffffff81000001) [software]\n",
		count:   2,
	}, {
		// The C tool prints the rest of the message in which the limit is
		// reached, and no later message.
		name:    "limit in a message",
		p:       Printer{Limit: 1},
		batches: [][]string{{"a", "b"}, {"c"}},
		text:    "1 drops at a+10 (0xffffffff81000000) [software]\n2 drops at b+10 (0xffffffff81000001) [software]\n",
		err:     ErrLimit,
		count:   2,
	}, {
		name:    "filtered out",
		p:       Printer{Filter: &Filter{Symbol: regexp.MustCompile("^udp")}},
		batches: [][]string{{"kfree_skb", "udp_rcv", "tcp_v4_rcv"}},
		text:    "2 drops at udp_rcv+10 (0xffffffff81000001) [software]\n",
		count:   1,
		filter:  2,
	}, {
		name:    "quiet",
		p:       Printer{Quiet: true},
		batches: [][]string{{"a"}},
		count:   1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			writes := 0
			p := tt.p
			p.Table, p.Notes, p.Loc = NewTable(), &Annotator{}, time.UTC
			p.Write = func(b []byte) { writes++; out.Write(b) }
			p.Failed = func() error { return nil }
			var err error
			for _, b := range tt.batches {
				if err = p.Take(summaryBatch(b...)); err != nil {
					break
				}
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("Take: %v, want %v", err, tt.err)
			}
			if err := p.Flush(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.text, out.String()); diff != "" {
				t.Errorf("text (-want +got):\n%s", diff)
			}
			if tt.text != "" && writes != 1 {
				t.Errorf("%d writes, want 1", writes)
			}
			if p.Count() != tt.count || p.Filtered() != tt.filter {
				t.Errorf("count %d filtered %d, want %d and %d", p.Count(), p.Filtered(), tt.count, tt.filter)
			}
			if got := p.Losses(drops.Losses{Malformed: 3}); got != (Losses{Malformed: 3, Filtered: tt.filter}) {
				t.Errorf("losses %+v", got)
			}
		})
	}
}
