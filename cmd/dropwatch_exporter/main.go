// Command dropwatch_exporter exports the kernel's packet drops as Prometheus
// metrics: how many packets each kernel function dropped, and why. It serves
// them over HTTP (TLS and basic auth through a web config file, as every
// exporter built on prometheus/exporter-toolkit), with a landing page at /.
//
// Usage: dropwatch_exporter [flags]; --help lists the flags. docs/exporter.md
// describes the metrics, the systemd unit, rules and dashboard.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	promversion "github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/dropwatch-go/dropwatch/internal/exporter"
	"github.com/dropwatch-go/dropwatch/pkg/kallsyms"
)

const program = "dropwatch_exporter"

// defaultAddress is the default --web.listen-address. 9756 is in the range
// the Prometheus wiki allocates to exporters (9100-9999); that no exporter
// registered it there is unverified (docs/exporter.md says so).
const defaultAddress = ":9756"

// version is set by the Makefile (-X main.version=...).
var version = "unknown"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// config is what the flags say.
type config struct {
	web            *web.FlagConfig
	telemetryPath  string
	maxRequests    int
	disableSelf    bool
	maxSeries      int
	backend        string
	mode           string
	kallsymsPath   string
	passive, force bool
	log            *promslog.Config
	versionPrinted bool // --help or --version: nothing else to do
}

func parseFlags(args []string, stdout, stderr io.Writer) (*config, error) {
	promversion.Version = version
	c := &config{log: &promslog.Config{}}
	app := kingpin.New(program, "Export the kernel's packet drops (where and why) as Prometheus metrics.")
	app.UsageWriter(stdout)
	app.ErrorWriter(stderr)
	app.Terminate(nil)
	app.HelpFlag.Short('h')
	c.web = kingpinflag.AddFlags(app, defaultAddress)
	app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").StringVar(&c.telemetryPath)
	app.Flag("web.max-requests", "Maximum number of parallel scrape requests. Use 0 to disable.").Default("40").IntVar(&c.maxRequests)
	app.Flag("web.disable-exporter-metrics", "Exclude metrics about the exporter itself (promhttp_*, process_*, go_*).").BoolVar(&c.disableSelf)
	app.Flag("max-series", "Maximum number of drop series; drops at further sites are folded into function=\"other\".").Default(fmt.Sprint(exporter.DefaultMaxSeries)).IntVar(&c.maxSeries)
	app.Flag("backend", "Drop monitor: auto (the tracepoint where it can be read, else NET_DM), netdm (the NET_DM drop monitor) or tracepoint (skb:kfree_skb through perf events).").Default("auto").EnumVar(&c.backend, "auto", "netdm", "tracepoint")
	app.Flag("mode", "Alert mode: auto (packet on the tracepoint, summary on NET_DM), summary (counts per site) or packet (every drop, with its reason).").Default("auto").EnumVar(&c.mode, "auto", "summary", "packet")
	app.Flag("passive", "NET_DM: only listen to the alerts of monitoring another tool started; never configure, start or stop it.").BoolVar(&c.passive)
	app.Flag("force", "NET_DM: stop monitoring another tool left on, and start the exporter's own.").BoolVar(&c.force)
	app.Flag("kallsyms", "Kernel symbols to name drop sites with.").Default(kallsyms.DefaultPath).StringVar(&c.kallsymsPath)
	promslogflag.AddFlags(app, c.log)
	app.Version(promversion.Print(program))
	app.VersionFlag.Action(func(*kingpin.ParseContext) error { c.versionPrinted = true; return nil })
	app.HelpFlag.Action(func(*kingpin.ParseContext) error { c.versionPrinted = true; return nil })
	if _, err := app.Parse(args); err != nil {
		return nil, err
	}
	if c.versionPrinted {
		return c, nil
	}
	if c.maxSeries < 1 {
		return nil, fmt.Errorf("--max-series must be at least 1, got %d", c.maxSeries)
	}
	if !strings.HasPrefix(c.telemetryPath, "/") || c.telemetryPath == "/" {
		return nil, fmt.Errorf("--web.telemetry-path must start with / and not be /, got %q", c.telemetryPath)
	}
	if c.passive && c.force {
		return nil, fmt.Errorf("--passive and --force exclude each other")
	}
	if c.maxRequests < 0 {
		return nil, fmt.Errorf("--web.max-requests must not be negative, got %d", c.maxRequests)
	}
	return c, nil
}

// run is the program; it returns the exit status: 0 after SIGINT or
// SIGTERM, 1 when the exporter cannot start or serve, 2 for bad flags.
func run(args []string, stdout, stderr io.Writer) int {
	c, err := parseFlags(args, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v (try --help)\n", program, err)
		return 2
	}
	if c.versionPrinted {
		return 0
	}
	c.log.Writer = stderr
	log := promslog.New(c.log)
	if err := start(c, log); err != nil {
		log.Error(err.Error())
		return 1
	}
	return 0
}

func start(c *config, log *slog.Logger) error {
	log.Info("Starting "+program, "version", promversion.Info(), "build", promversion.BuildContext())
	if f := *c.web.WebConfigFile; f != "" {
		if err := web.Validate(f); err != nil {
			return fmt.Errorf("bad --web.config.file %s: %w", f, err)
		}
	}
	listeners, err := listen(c.web)
	if err != nil {
		return err
	}
	closeAll := func() {
		for _, l := range listeners {
			l.Close()
		}
	}

	exp := exporter.New(c.maxSeries)
	metrics, err := exporter.Handler(exp, exporter.HandlerOpts{MaxRequests: c.maxRequests, DisableExporterMetrics: c.disableSelf, Logger: log})
	if err != nil {
		closeAll()
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(c.telemetryPath, metrics)
	landing, err := web.NewLandingPage(web.LandingConfig{
		Name:        "Dropwatch Exporter",
		Description: "Packets the Linux kernel dropped: where (kernel function) and why (drop reason)",
		Version:     promversion.Info(),
		Links:       []web.LandingLinks{{Address: c.telemetryPath, Text: "Metrics"}},
		// No /debug/pprof is served: no links to it.
		Profiling: "false",
	})
	if err != nil {
		closeAll()
		return err
	}
	mux.Handle("/", landing)

	// Kernel monitoring starts last, once nothing else can fail.
	// Signals are caught before monitoring starts: SIGTERM's default
	// action would end the process with the kernel still monitoring.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	o := newOpener(c, log)
	open := func(ctx context.Context) (exporter.Source, error) {
		s, err := o.open()
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	src, err := open(context.Background())
	if err != nil {
		closeAll()
		return err
	}

	monitorDone := make(chan error, 1)
	go func() {
		monitorDone <- exp.Run(ctx, src, open, exporter.RunOptions{Notify: func(ev exporter.Event) {
			switch ev.Kind {
			case exporter.EventStarted:
				// Logged once the metrics say so too.
				log.Info("Drop monitor running", "backend", ev.Info.Backend, "mode", ev.Info.Mode, "passive", ev.Info.Passive)
			case exporter.EventFailed:
				log.Error("Drop monitor failed; restarting", "err", ev.Err, "in", ev.Backoff)
			case exporter.EventReopenFailed:
				log.Error("Drop monitor did not restart", "err", ev.Err, "retry_in", ev.Backoff)
			case exporter.EventRestarted:
				log.Info("Drop monitor running again", "backend", ev.Info.Backend, "mode", ev.Info.Mode)
			}
		}})
	}()

	server := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	serveDone := make(chan error, 1)
	go func() {
		if listeners == nil { // systemd socket activation or vsock: the toolkit listens
			serveDone <- web.ListenAndServe(server, c.web, log)
			return
		}
		serveDone <- web.ServeMultiple(listeners, server, c.web, log)
	}()

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("Stopping: signal received")
	case serveErr = <-serveDone:
	}
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = server.Shutdown(sctx)
	<-monitorDone // Run closes the source: kernel monitoring we started stops
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	log.Info("Drop monitor stopped")
	return nil
}

// listen opens the TCP listeners of --web.listen-address now, so that a
// port in use is an error before monitoring starts. With
// --web.systemd-socket, or a vsock:// address, it returns nil and the
// toolkit's ListenAndServe opens them.
func listen(f *web.FlagConfig) ([]net.Listener, error) {
	if f.WebSystemdSocket != nil && *f.WebSystemdSocket {
		return nil, nil
	}
	for _, a := range *f.WebListenAddresses {
		if strings.HasPrefix(a, "vsock://") {
			return nil, nil
		}
	}
	var ls []net.Listener
	for _, a := range *f.WebListenAddresses {
		l, err := net.Listen("tcp", a)
		if err != nil {
			for _, o := range ls {
				o.Close()
			}
			return nil, fmt.Errorf("cannot listen on --web.listen-address %s: %w", a, err)
		}
		ls = append(ls, l)
	}
	return ls, nil
}
