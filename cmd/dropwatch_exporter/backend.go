package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/dropwatch-go/dropwatch/internal/exporter"
	"github.com/dropwatch-go/dropwatch/pkg/skbtrace"
)

// errNeedsEngine is what --backend netdm and --mode summary get until the
// exporter runs on the drop engine (issue 12), which owns NET_DM sessions
// and their sharing rules (passive, force, stop only what we started).
var errNeedsEngine = errors.New("this build of dropwatch_exporter has only the tracepoint backend (NET_DM comes with the drop engine library)")

// openSource opens the drop monitor the flags ask for.
func openSource(c *config, log *slog.Logger) (exporter.Source, error) {
	if c.backend == "netdm" {
		return nil, fmt.Errorf("--backend netdm: %w", errNeedsEngine)
	}
	if c.mode == "summary" {
		return nil, fmt.Errorf("--mode summary: the tracepoint backend reports every drop (packet mode); %w", errNeedsEngine)
	}
	src, err := openTracepoint(c.kallsymsPath, log)
	if err != nil {
		return nil, explainTracepoint(err)
	}
	return src, nil
}

// explainTracepoint says which privilege or kernel feature is missing.
func explainTracepoint(err error) error {
	var te *skbtrace.Error
	hint := ""
	if errors.As(err, &te) && te.Hint != "" {
		hint = "; " + te.Hint
	}
	switch {
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("cannot open the skb:kfree_skb tracepoint: %w%s (needs CAP_PERFMON, or CAP_SYS_ADMIN before Linux 5.8, and read access to tracefs)", err, hint)
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("no drop monitor: the skb:kfree_skb tracepoint is missing: %w%s (needs CONFIG_TRACEPOINTS and tracefs)", err, hint)
	case errors.Is(err, errors.ErrUnsupported):
		return fmt.Errorf("no drop monitor: %w%s (needs Linux with CONFIG_PERF_EVENTS)", err, hint)
	}
	return fmt.Errorf("cannot open the skb:kfree_skb tracepoint: %w%s", err, hint)
}
