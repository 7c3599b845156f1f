// Package exporter is the core of dropwatch_exporter: it turns the drops a
// drop monitor reports into Prometheus metrics, with a bounded number of
// series and without ever exposing a kernel address.
//
// A Store counts drops per Site, a set of label values (function, module,
// reason, origin, hardware trap and trap group): strings only. Sites beyond
// the store's limit fold into one series whose function is "other". An
// unresolved drop location is reported as the function "unknown": a raw
// kernel address in a label would tell anyone who can read the metrics where
// the kernel is loaded, which defeats KASLR (kernel address space layout
// randomisation, CONFIG_RANDOMIZE_BASE).
//
// Collector is a prometheus.Collector that builds constant metrics from the
// store, the monitor's status and its losses at scrape time, as the
// Prometheus guide to writing exporters asks ("MustNewConstMetric in
// Collect"). Handler serves it with the build info and, on a separate
// registry as node_exporter does, the Go and process collectors.
//
// Run keeps a Source (the drop engine) running: it restarts it after a
// failure and records whether monitoring is up. The package never prints or
// logs on its own; Run reports state changes through a callback.
package exporter
