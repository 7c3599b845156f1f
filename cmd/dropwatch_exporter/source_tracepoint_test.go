package main

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/internal/exporter"
	"github.com/dropwatch-go/dropwatch/pkg/skbtrace"
)

// fakeReader returns its batches, then blocks until the context ends.
type fakeReader struct {
	batches [][]skbtrace.Drop
	stats   skbtrace.Stats
	closed  bool
}

func (f *fakeReader) Read(ctx context.Context) ([]skbtrace.Drop, error) {
	if len(f.batches) > 0 {
		b := f.batches[0]
		f.batches = f.batches[1:]
		return b, nil
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

func (f *fakeReader) Stats() skbtrace.Stats { return f.stats }
func (f *fakeReader) Close() error          { f.closed = true; return nil }

const fakeKallsyms = `ffffffff81000000 T _stext
ffffffff81a00000 T __udp4_lib_rcv
ffffffff81a01000 T udp_rcv
ffffffff81b00000 T tcp_v4_rcv
ffffffff81c00000 D some_data
ffffffffc0a00000 t nft_do_chain	[nf_tables]
`

// TestTracepointSource feeds drops at known addresses: each becomes a site
// named by kallsyms, with its reason; an address kallsyms does not know
// becomes "unknown", and no address is ever exported.
func TestTracepointSource(t *testing.T) {
	r := &fakeReader{
		batches: [][]skbtrace.Drop{
			{
				{Location: 0xffffffff81a009a2, HasReason: true, Reason: "NO_SOCKET"},
				{Location: 0xffffffff81a009a2, HasReason: true, Reason: "NO_SOCKET"},
				{Location: 0xffffffff81b00010, HasReason: true, Reason: "TCP_CSUM"},
				{Location: 0xffffffffc0a00040, HasReason: true, Reason: "NETFILTER_DROP"},
			},
			{
				{Location: 0xffffffff81c00008, HasReason: true, ReasonCode: 0x30001}, // in data: unknown, subsystem code
				{Location: 0xffffffff81a009a2},                                       // a kernel without reasons
			},
		},
		stats: skbtrace.Stats{Lost: 3, Malformed: 1},
	}
	syms := newSymbolizer("kallsyms")
	opens := 0
	syms.open = func(string) (io.ReadCloser, error) {
		opens++
		return io.NopCloser(strings.NewReader(fakeKallsyms)), nil
	}
	src := newTracepointSource(r, syms, slog.New(slog.NewTextHandler(io.Discard, nil)))

	type drop struct {
		Site exporter.Site
		N    uint64
	}
	var (
		mu  sync.Mutex
		got []drop
	)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	add := func(s exporter.Site, n uint64) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, drop{s, n})
		if len(got) == 5 {
			cancel()
		}
	}
	if err := src.Run(ctx, add); err != nil {
		t.Fatalf("Run = %v, want nil after cancel", err)
	}
	sw := exporter.OriginSoftware
	want := []drop{
		{exporter.Site{Function: "__udp4_lib_rcv", Reason: "NO_SOCKET", Origin: sw}, 2},
		{exporter.Site{Function: "tcp_v4_rcv", Reason: "TCP_CSUM", Origin: sw}, 1},
		{exporter.Site{Function: "nft_do_chain", Module: "nf_tables", Reason: "NETFILTER_DROP", Origin: sw}, 1},
		{exporter.Site{Function: exporter.FunctionUnknown, Reason: "code_196609", Origin: sw}, 1},
		{exporter.Site{Function: "__udp4_lib_rcv", Origin: sw}, 1},
	}
	less := func(a, b drop) int {
		return strings.Compare(a.Site.Function+a.Site.Reason, b.Site.Function+b.Site.Reason)
	}
	slices.SortFunc(want, less)
	slices.SortFunc(got, less)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("drops (-want +got):\n%s", diff)
	}
	if opens != 2 {
		t.Errorf("kallsyms read %d times, want 2 (one scan per batch with new addresses)", opens)
	}
	if diff := cmp.Diff(exporter.Losses{TracepointLost: 3, Malformed: 1}, src.Losses()); diff != "" {
		t.Errorf("Losses (-want +got):\n%s", diff)
	}
	if err := src.Close(); err != nil || !r.closed {
		t.Errorf("Close = %v, closed %v", err, r.closed)
	}
}

// TestSymbolizerRestricted: with kptr_restrict every address reads as 0,
// so nothing can be named and every site is "unknown" (with a warning the
// caller logs once).
func TestSymbolizerRestricted(t *testing.T) {
	y := newSymbolizer("kallsyms")
	y.open = func(string) (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader("0000000000000000 T _stext\n0000000000000000 T __udp4_lib_rcv\n")), nil
	}
	err := y.prepare([]uint64{0xffffffff81a009a2})
	if err == nil || !strings.Contains(err.Error(), "kptr_restrict") {
		t.Errorf("prepare = %v, want an error naming kptr_restrict", err)
	}
	if fn, mod := y.lookup(0xffffffff81a009a2); fn != exporter.FunctionUnknown || mod != "" {
		t.Errorf("lookup = %q, %q; want unknown", fn, mod)
	}
}

// TestSymbolizerTable: after maxScans scans the table is loaded once and
// answers every later address without reading the file again.
func TestSymbolizerTable(t *testing.T) {
	y := newSymbolizer("kallsyms")
	opens := 0
	y.open = func(string) (io.ReadCloser, error) {
		opens++
		return io.NopCloser(strings.NewReader(fakeKallsyms)), nil
	}
	for i := range maxScans + 5 {
		if err := y.prepare([]uint64{0xffffffff81a00000 + uint64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if opens != maxScans+1 {
		t.Errorf("kallsyms read %d times, want %d", opens, maxScans+1)
	}
	if fn, _ := y.lookup(0xffffffff81a00000 + maxScans + 4); fn != "__udp4_lib_rcv" {
		t.Errorf("lookup = %q", fn)
	}
}
