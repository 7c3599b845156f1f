package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"syscall"

	"github.com/dropwatch-go/dropwatch/internal/exporter"
	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
)

// engineSource is an exporter.Source on a started drops.Watch.
type engineSource struct {
	eng  *drops.Engine
	w    *drops.Watch
	src  dropmon.Source
	info exporter.Info
	log  *slog.Logger
	// restore is the alert mode the kernel had before this source set
	// its own, nil if it changed none.
	restore *dropmon.AlertMode

	// stop is the watch's stop requests: Run sends one when its context
	// ends.
	stop   chan os.Signal
	counts map[siteKey]uint64 // per batch, reused
}

func (s *engineSource) Info() exporter.Info { return s.info }

// siteKey is what a record's series depends on: never its address.
type siteKey struct {
	symbol, module, trapGroup, reason string
	resolved, hardware                bool
}

func (k siteKey) site() exporter.Site {
	s := exporter.Site{Reason: k.reason, Origin: exporter.OriginSoftware}
	switch {
	case k.hardware:
		s.Origin, s.Trap, s.TrapGroup = exporter.OriginHardware, k.symbol, k.trapGroup
	case k.resolved:
		s.Function, s.Module = k.symbol, k.module
	default:
		s.Function = exporter.FunctionUnknown
	}
	return s
}

func keyOf(r *drops.Record) siteKey {
	l := &r.Location
	k := siteKey{reason: r.Reason, resolved: l.Resolved, hardware: l.Hardware || r.Origin == dropmon.OriginHardware}
	if l.Resolved || l.Hardware {
		k.symbol, k.module, k.trapGroup = l.Symbol, l.Module, l.TrapGroup
	}
	return k
}

// Run delivers the watch's records to add until ctx is done, then stops
// monitoring as the engine does (the drain, STOP, what the kernel sent
// before its reply), so that no drop counted by the kernel before the stop
// is lost.
func (s *engineSource) Run(ctx context.Context, add func(exporter.Site, uint64)) error {
	if s.counts == nil {
		s.counts = make(map[siteKey]uint64)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			s.stop <- syscall.SIGTERM
		case <-done:
		}
	}()
	// A packet batch holds up to a hundred records, most at a few sites:
	// they are counted per site first, so that the store (a lock and a
	// normalisation per call) sees one call per site.
	h := drops.TakeFunc(func(b *drops.Batch) error {
		clear(s.counts)
		for i := range b.Records {
			s.counts[keyOf(&b.Records[i])] += b.Records[i].Count
		}
		for k, n := range s.counts {
			add(k.site(), n)
		}
		return nil
	})
	end, err := s.w.Run(h)
	if end == drops.EndStopped && ctx.Err() != nil {
		return s.w.Stop(h)
	}
	if err == nil {
		err = errors.New("the drop monitor stopped sending alerts")
	}
	return err
}

func (s *engineSource) Losses() exporter.Losses {
	l := s.w.Losses()
	return exporter.Losses{
		KernelTailDrops: l.KernelTailDrops,
		SocketOverruns:  l.SocketOverruns,
		AlertsLost:      l.SocketDrops,
		FullSummaries:   l.FullSummaries,
		Malformed:       l.Malformed,
		TracepointLost:  l.TracepointLost,
	}
}

// Close ends the watch and stops monitoring if this source started it and
// has not stopped it (a failed run).
func (s *engineSource) Close() error {
	werr := s.w.Close()
	_, serr := s.eng.StopOwned(s.src)
	s.restoreMode(s.log)
	return errors.Join(werr, serr, s.eng.Close())
}

// restoreMode sets the kernel's alert mode back to what this source found.
func (s *engineSource) restoreMode(log *slog.Logger) {
	if s.restore == nil {
		return
	}
	if err := s.eng.SetConfig(dropmon.ConfigUpdate{Mode: s.restore}); err != nil && log != nil {
		log.Warn("cannot set the kernel's alert mode back", "mode", modeName(*s.restore), "err", err)
	}
	s.restore = nil
}
