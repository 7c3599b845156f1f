package main

// THE ENGINE SEAM. Until the drop engine library of issue 12 lands, this
// file adapts pkg/skbtrace (the skb:kfree_skb tracepoint) and pkg/kallsyms
// to exporter.Source, so that the exporter runs end to end on kernels
// without NET_DM, such as our development machines'. The engine will
// replace it with an adapter that maps the engine's resolved drop records
// (symbol, module, origin, count, reason, trap name and group) to
// exporter.Site and its typed losses to exporter.Losses; backend choice,
// ownership (passive, force) and diagnosis then come from the engine.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/dropwatch-go/dropwatch/internal/exporter"
	"github.com/dropwatch-go/dropwatch/pkg/kallsyms"
	"github.com/dropwatch-go/dropwatch/pkg/skbtrace"
)

// dropReader is a *skbtrace.Tracer.
type dropReader interface {
	Read(ctx context.Context) ([]skbtrace.Drop, error)
	Stats() skbtrace.Stats
	Close() error
}

// tracepointSource reports the drops of skb:kfree_skb. Perf events are not
// exclusive: any number of readers (another exporter, an admin's dropwatch
// --backend tracepoint, perf) can trace the same tracepoint at once, each
// with its own ring buffers, and closing ours disables only ours.
type tracepointSource struct {
	r    dropReader
	syms *symbolizer
	log  *slog.Logger

	counts map[dropKey]uint64 // per batch, reused
}

type dropKey struct {
	pc     uint64
	reason string
}

func openTracepoint(kallsymsPath string, log *slog.Logger) (*tracepointSource, error) {
	t, err := skbtrace.Open(skbtrace.Options{
		// 128 data pages (512 KiB) per CPU, twice cmd/dropwatch's: with
		// the metadata page that is 129 pages, exactly the default
		// kernel.perf_event_mlock_kb (516) per CPU that perf_mmap
		// (kernel/events/core.c) lets a process lock without
		// CAP_IPC_LOCK. At 64 pages a 100,000-drop burst lost 6%.
		PerCPUPages: 128,
		// The kernel wakes the reader when a buffer is a quarter full;
		// between bursts a look once a second is enough for counters
		// scraped every 15 s, and keeps an idle exporter below 0.1% of a
		// core (0.18% looking every 100 ms).
		PollInterval: time.Second,
		// No stacks: the exporter needs none.
	})
	if err != nil {
		return nil, err
	}
	return newTracepointSource(t, newSymbolizer(kallsymsPath), log), nil
}

func newTracepointSource(r dropReader, syms *symbolizer, log *slog.Logger) *tracepointSource {
	return &tracepointSource{r: r, syms: syms, log: log, counts: make(map[dropKey]uint64)}
}

func (s *tracepointSource) Info() exporter.Info {
	// The tracepoint fires for every freed packet with its reason: the
	// equivalent of NET_DM's packet mode.
	return exporter.Info{Backend: "tracepoint", Mode: "packet"}
}

func (s *tracepointSource) Run(ctx context.Context, add func(exporter.Site, uint64)) error {
	var pcs []uint64
	for {
		drops, err := s.r.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		clear(s.counts)
		for _, d := range drops {
			s.counts[dropKey{d.Location, reasonLabel(d)}]++
		}
		pcs = pcs[:0]
		for k := range s.counts {
			pcs = append(pcs, k.pc)
		}
		if err := s.syms.prepare(pcs); err != nil && !s.syms.warned {
			s.syms.warned = true
			s.log.Warn(`cannot name drop locations: they are exported as function="unknown"`, "err", err)
		}
		for k, n := range s.counts {
			fn, mod := s.syms.lookup(k.pc)
			add(exporter.Site{Function: fn, Module: mod, Reason: k.reason, Origin: exporter.OriginSoftware}, n)
		}
	}
}

// reasonLabel is the drop's reason name, a stable placeholder for codes the
// tracepoint's table lacks (subsystem reasons, SKB_DROP_REASON_SUBSYS_MASK in
// include/net/dropreason.h), and "" on kernels before 5.17, whose
// tracepoint has no reason field.
func reasonLabel(d skbtrace.Drop) string {
	switch {
	case !d.HasReason:
		return ""
	case d.Reason != "":
		return d.Reason
	default:
		return fmt.Sprintf("code_%d", d.ReasonCode)
	}
}

func (s *tracepointSource) Losses() exporter.Losses {
	st := s.r.Stats()
	return exporter.Losses{TracepointLost: st.Lost, Malformed: st.Malformed}
}

func (s *tracepointSource) Close() error { return s.r.Close() }

// symbolizer names drop locations. The first locations are found by a scan
// of kallsyms that stops once it has passed them (kallsyms.ResolveKernel,
// ~10 ms, no table kept); after maxScans scans it loads the sorted table
// once (~8 MB, ~60 ns lookups). Names are cached per address, at most
// maxCached of them. Only names leave it, never an address: an address
// it cannot name becomes "unknown".
type symbolizer struct {
	path   string
	open   func(string) (io.ReadCloser, error)
	cache  map[uint64]symbolName
	scans  int
	table  *kallsyms.Table
	warned bool
}

type symbolName struct{ fn, mod string }

const (
	maxScans  = 8
	maxCached = 4096
)

func newSymbolizer(path string) *symbolizer {
	return &symbolizer{
		path:  path,
		open:  func(p string) (io.ReadCloser, error) { return os.Open(p) },
		cache: make(map[uint64]symbolName),
	}
}

// prepare resolves the addresses not yet cached.
func (y *symbolizer) prepare(pcs []uint64) error {
	var missing []uint64
	for _, pc := range pcs {
		if _, ok := y.cache[pc]; !ok {
			missing = append(missing, pc)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if len(y.cache)+len(missing) > maxCached {
		clear(y.cache)
	}
	if y.table == nil && y.scans >= maxScans {
		f, err := y.open(y.path)
		if err == nil {
			y.table, err = kallsyms.Parse(f)
			f.Close()
		}
		if err != nil {
			y.table = nil
			y.remember(missing, nil)
			return err
		}
	}
	if y.table != nil {
		for _, pc := range missing {
			s, ok := y.table.Lookup(pc)
			y.cache[pc] = name(s, ok)
		}
		return nil
	}
	y.scans++
	f, err := y.open(y.path)
	if err != nil {
		y.remember(missing, nil)
		return err
	}
	defer f.Close()
	ms, err := kallsyms.ResolveKernel(f, missing...)
	if err != nil {
		y.remember(missing, nil)
		if errors.Is(err, kallsyms.ErrRestricted) {
			return fmt.Errorf("%w (kernel.kptr_restrict, or no CAP_SYSLOG)", err)
		}
		return err
	}
	y.remember(missing, ms)
	return nil
}

// remember caches the matches of pcs; nil matches cache "unknown".
func (y *symbolizer) remember(pcs []uint64, ms []kallsyms.Match) {
	for i, pc := range pcs {
		if ms == nil {
			y.cache[pc] = symbolName{fn: exporter.FunctionUnknown}
			continue
		}
		y.cache[pc] = name(ms[i].Symbol, ms[i].OK)
	}
}

func name(s kallsyms.Symbol, ok bool) symbolName {
	if !ok || s.Name == "" {
		return symbolName{fn: exporter.FunctionUnknown}
	}
	return symbolName{fn: s.DisplayName(), mod: s.Module}
}

func (y *symbolizer) lookup(pc uint64) (fn, mod string) {
	n, ok := y.cache[pc]
	if !ok {
		return exporter.FunctionUnknown, ""
	}
	return n.fn, n.mod
}
