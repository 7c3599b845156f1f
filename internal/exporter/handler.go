package exporter

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// HandlerOpts configure Handler.
type HandlerOpts struct {
	// MaxRequests limits concurrent scrapes (0: no limit).
	MaxRequests int
	// DisableExporterMetrics leaves out the Go, process and promhttp
	// metrics about the exporter itself.
	DisableExporterMetrics bool
	// Logger receives errors of the metric handler.
	Logger *slog.Logger
}

// Handler serves the exporter's metrics: the drop and monitor metrics with
// dropwatch_build_info (from prometheus/common/version), and, on a registry
// of their own as node_exporter keeps them, the exporter's Go, process and
// promhttp metrics.
func Handler(e *Exporter, opts HandlerOpts) (http.Handler, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(versioncollector.NewCollector(Namespace)); err != nil {
		return nil, err
	}
	if err := reg.Register(e); err != nil {
		return nil, err
	}
	var gatherers prometheus.Gatherers = prometheus.Gatherers{reg}
	self := prometheus.NewRegistry()
	if !opts.DisableExporterMetrics {
		if err := self.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
			return nil, err
		}
		if err := self.Register(collectors.NewGoCollector()); err != nil {
			return nil, err
		}
		gatherers = append(gatherers, self)
	}
	hopts := promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: opts.MaxRequests,
	}
	if opts.Logger != nil {
		hopts.ErrorLog = slog.NewLogLogger(opts.Logger.Handler(), slog.LevelError)
	}
	if opts.DisableExporterMetrics {
		return promhttp.HandlerFor(gatherers, hopts), nil
	}
	hopts.Registry = self
	return promhttp.InstrumentMetricHandler(self, promhttp.HandlerFor(gatherers, hopts)), nil
}
