// Package exporter tests dropwatch_exporter with the real parts on this
// machine's kernel: the skb:kfree_skb tracepoint, a real Prometheus server
// scraping the exporter, promtool, TLS and basic auth through the
// exporter-toolkit's web config. The tests are behind the exportertest build
// tag; run.sh installs Prometheus, builds the binaries and runs them as root.
package exporter
