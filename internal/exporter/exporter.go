package exporter

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Namespace is the prefix of every metric of the exporter.
const Namespace = "dropwatch"

// Info says which monitor runs.
type Info struct {
	// Backend is "netdm" (the NET_DM drop monitor) or "tracepoint"
	// (skb:kfree_skb through perf events).
	Backend string
	// Mode is the alert mode: "summary" (counts per location, NET_DM's
	// default) or "packet" (one alert per drop, with its reason; the
	// tracepoint's only mode).
	Mode string
	// Passive is true when the source only listens to monitoring that
	// another tool started, and so will not stop it.
	Passive bool
}

// Exporter holds the drop series and the monitor's state, and is the
// prometheus.Collector that exposes them. It is safe for concurrent use.
type Exporter struct {
	store *Store

	mu       sync.Mutex
	src      Source // the running source, nil while monitoring is down
	info     Info
	up       bool
	restarts uint64
	losses   lossCounters
}

// New returns an exporter keeping at most maxSeries drop series (see
// NewStore).
func New(maxSeries int) *Exporter {
	return &Exporter{store: NewStore(maxSeries)}
}

// Add counts n drops at site. It is the function sources report drops to.
func (e *Exporter) Add(site Site, n uint64) { e.store.Add(site, n) }

// Store returns the exporter's store.
func (e *Exporter) Store() *Store { return e.store }

// attach makes src the running source.
func (e *Exporter) attach(src Source) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.src = src
	e.info = src.Info()
	e.up = true
	e.losses.rebase()
}

// detach records src's last losses and marks monitoring down.
func (e *Exporter) detach(src Source) {
	l := src.Losses()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.losses.observe(l)
	e.src = nil
	e.up = false
}

// Status returns the running source's info and whether monitoring is up.
func (e *Exporter) Status() (Info, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.info, e.up
}

var (
	dropsDesc = prometheus.NewDesc(Namespace+"_drops_total",
		"Packets the kernel dropped, per drop site (function, module) and cause (reason, origin, hardware trap and group). "+
			`Unresolved sites have function="unknown"; sites beyond --max-series are folded into function="other".`,
		[]string{"function", "module", "reason", "origin", "trap", "trap_group"}, nil)
	seriesDesc = prometheus.NewDesc(Namespace+"_drop_series",
		"Drop series exported, the folded one included.", nil, nil)
	seriesLimitDesc = prometheus.NewDesc(Namespace+"_drop_series_limit",
		"Limit of drop series (--max-series); sites beyond it are folded.", nil, nil)
	foldedDesc = prometheus.NewDesc(Namespace+"_folded_series_total",
		`Drop sites folded into function="other" because --max-series was reached.`, nil, nil)
	infoDesc = prometheus.NewDesc(Namespace+"_monitor_info",
		"The drop monitor in use: backend (netdm or tracepoint), alert mode (summary or packet), and whether it only listens to monitoring another tool started (passive).",
		[]string{"backend", "mode", "passive"}, nil)
	upDesc = prometheus.NewDesc(Namespace+"_monitoring_up",
		"Whether kernel drop monitoring is running (1) or down (0).", nil, nil)
	restartsDesc = prometheus.NewDesc(Namespace+"_monitor_restarts_total",
		"Times the drop monitor was restarted after a failure.", nil, nil)

	lossDescs = [numLosses]*prometheus.Desc{
		prometheus.NewDesc(Namespace+"_kernel_tail_drops_total",
			"NET_DM packet mode: drop alerts the kernel's per-CPU queue discarded because it was full.", nil, nil),
		prometheus.NewDesc(Namespace+"_socket_overruns_total",
			"NET_DM: times the exporter's netlink socket overflowed (ENOBUFS).", nil, nil),
		prometheus.NewDesc(Namespace+"_alerts_lost_total",
			"NET_DM: alerts the kernel could not queue to the exporter's socket.", nil, nil),
		prometheus.NewDesc(Namespace+"_full_summaries_total",
			"NET_DM summary mode: summaries that reached the kernel's limit of 64 locations, so that drops at further locations were not counted.", nil, nil),
		prometheus.NewDesc(Namespace+"_malformed_messages_total",
			"Kernel messages or perf records the exporter could not decode.", nil, nil),
		prometheus.NewDesc(Namespace+"_tracepoint_samples_lost_total",
			"Tracepoint backend: skb:kfree_skb samples the kernel could not write because a perf ring buffer was full.", nil, nil),
	}
)

// Describe sends every Desc the exporter may collect.
func (e *Exporter) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dropsDesc, seriesDesc, seriesLimitDesc, foldedDesc, infoDesc, upDesc, restartsDesc} {
		ch <- d
	}
	for _, d := range lossDescs {
		ch <- d
	}
}

// Collect builds the metrics from the store and the current state. The
// running source's losses are read now, so a scrape shows them as of the
// scrape.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	e.mu.Lock()
	if e.src != nil {
		e.losses.observe(e.src.Losses())
	}
	losses := e.losses.totals()
	info, up, restarts := e.info, e.up, e.restarts
	e.mu.Unlock()

	series, folded := e.store.Snapshot(make([]Series, 0, e.store.Len()))
	for _, s := range series {
		ch <- dropMetric{labels: s.labels, drops: float64(s.Drops)}
	}

	ch <- prometheus.MustNewConstMetric(seriesDesc, prometheus.GaugeValue, float64(len(series)))
	ch <- prometheus.MustNewConstMetric(seriesLimitDesc, prometheus.GaugeValue, float64(e.store.MaxSeries()))
	ch <- prometheus.MustNewConstMetric(foldedDesc, prometheus.CounterValue, float64(folded))
	if info.Backend != "" {
		ch <- prometheus.MustNewConstMetric(infoDesc, prometheus.GaugeValue, 1, info.Backend, info.Mode, strconv.FormatBool(info.Passive))
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, b2f(up))
	ch <- prometheus.MustNewConstMetric(restartsDesc, prometheus.CounterValue, float64(restarts))
	for i, d := range lossDescs {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(losses[i]))
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// dropLabels are the label names of dropsDesc in the sorted order the
// exposition uses.
var dropLabels = [...]string{"function", "module", "origin", "reason", "trap", "trap_group"}

// labelPairs returns site's label pairs for dropsDesc, sorted by name as
// prometheus.MakeLabelPairs would sort them.
func labelPairs(s Site) []*dto.LabelPair {
	values := [...]string{s.Function, s.Module, s.Origin, s.Reason, s.Trap, s.TrapGroup}
	pairs := make([]*dto.LabelPair, len(values))
	for i := range values {
		pairs[i] = &dto.LabelPair{Name: &dropLabels[i], Value: &values[i]}
	}
	return pairs
}

// dropMetric is one series of dropsDesc. It is what MustNewConstMetric
// builds, without building and sorting the label pairs at every scrape:
// those were built once when the site was stored (a third of a 1,000-series
// scrape's time went there). The pairs are shared between scrapes and
// nothing in client_golang writes to them.
type dropMetric struct {
	labels []*dto.LabelPair
	drops  float64
}

func (m dropMetric) Desc() *prometheus.Desc { return dropsDesc }

func (m dropMetric) Write(out *dto.Metric) error {
	out.Label = m.labels
	v := m.drops
	out.Counter = &dto.Counter{Value: &v}
	return nil
}
