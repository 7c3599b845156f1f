//go:build exportertest

package exporter

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/dropwatch-go/dropwatch/test/vm/dropgen"
)

// Settings from run.sh.
var (
	exporterBin = os.Getenv("DROPWATCH_EXPORTER")
	prometheus  = envOr("PROMETHEUS", "prometheus")
	promtool    = envOr("PROMTOOL", "promtool")
	repoRoot    = envOr("DROPWATCH_ROOT", filepath.Join("..", ".."))
)

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func requireParts(t *testing.T, tools ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the exporter opens the skb:kfree_skb tracepoint (perf events, tracefs)")
	}
	if exporterBin == "" {
		t.Skip("DROPWATCH_EXPORTER is not set: run test/exporter/run.sh, which builds the exporter")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found (run.sh installs Debian's prometheus package): %v", tool, err)
		}
	}
}

// freeAddr returns a 127.0.0.1 address with a port free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// syncBuffer collects a process's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startExporter starts the exporter on a free 127.0.0.1 port and waits for
// it to serve. At cleanup it sends SIGTERM and checks a clean exit.
func startExporter(t *testing.T, client *http.Client, scheme string, args ...string) (addr string, log *syncBuffer) {
	t.Helper()
	addr = freeAddr(t)
	log = &syncBuffer{}
	cmd := exec.Command(exporterBin, append([]string{"--web.listen-address=" + addr}, args...)...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("exporter after SIGTERM: %v; log:\n%s", err, log)
			} else if !strings.Contains(log.String(), "Drop monitor stopped") {
				t.Errorf("exporter log lacks its stop line:\n%s", log)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("exporter still running 10 s after SIGTERM; log:\n%s", log)
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("exporter exited: %v; log:\n%s", err, log)
		default:
		}
		resp, err := client.Get(scheme + "://" + addr + "/")
		if err == nil {
			resp.Body.Close()
			return addr, log
		}
		if time.Now().After(deadline) {
			t.Fatalf("exporter not serving on %s: %v; log:\n%s", addr, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// promServer is a real Prometheus server scraping one target every second.
type promServer struct {
	base string
	log  *syncBuffer
}

func startPrometheus(t *testing.T, target string) *promServer {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: dropwatch
    static_configs:
      - targets: [%q]
`, target)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	p := &promServer{base: "http://" + addr, log: &syncBuffer{}}
	cmd := exec.Command(prometheus,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	// Ready once the target has been scraped successfully.
	deadline := time.Now().Add(60 * time.Second)
	for {
		v, ok, err := p.instant(`up{job="dropwatch"}`, time.Time{})
		if err == nil && ok && v == 1 {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus never scraped the exporter (last: %v %v %v); log:\n%s", v, ok, err, p.log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// query runs an instant query through Prometheus's HTTP API
// (/api/v1/query) at time at (zero: now) and returns the result.
func (p *promServer) query(expr string, at time.Time) (json.RawMessage, string, error) {
	q := url.Values{"query": {expr}}
	if !at.IsZero() {
		q.Set("time", strconv.FormatFloat(float64(at.UnixNano())/1e9, 'f', 3, 64))
	}
	resp, err := http.Get(p.base + "/api/v1/query?" + q.Encode())
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, "", err
	}
	if r.Status != "success" {
		return nil, "", fmt.Errorf("query %q: %s", expr, r.Error)
	}
	return r.Data.Result, r.Data.ResultType, nil
}

// instant returns the single value of a vector query; ok is false for an
// empty result.
func (p *promServer) instant(expr string, at time.Time) (float64, bool, error) {
	raw, typ, err := p.query(expr, at)
	if err != nil {
		return 0, false, err
	}
	if typ != "vector" {
		return 0, false, fmt.Errorf("query %q: result type %s", expr, typ)
	}
	var vec []struct {
		Value [2]any `json:"value"`
	}
	if err := json.Unmarshal(raw, &vec); err != nil {
		return 0, false, err
	}
	switch len(vec) {
	case 0:
		return 0, false, nil
	case 1:
	default:
		return 0, false, fmt.Errorf("query %q: %d series, want 1", expr, len(vec))
	}
	s, _ := vec[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil, err
}

const udpSite = `dropwatch_drops_total{function="__udp4_lib_rcv",reason="NO_SOCKET"}`

// TestPrometheusCountsDrops is the end-to-end check: a real
// Prometheus scrapes the exporter every second while dropgen makes N drops
// at __udp4_lib_rcv (reason NO_SOCKET); the counter's growth over that
// window, computed by Prometheus, is N.
//
// Other programs on this machine may drop packets at the same site (other
// tests send to closed UDP ports too). A window counts only if the kernel's
// own count of those drops, Udp NoPorts, grew by exactly the N we made, and
// the counter was still before it; else the window is tried again.
func TestPrometheusCountsDrops(t *testing.T) {
	requireParts(t, prometheus)
	addr, elog := startExporter(t, http.DefaultClient, "http")
	prom := startPrometheus(t, addr)

	// One drop first, so that the series exists before the window.
	if _, err := dropgen.Make(1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, func() bool {
		_, ok, err := prom.instant(udpSite, time.Time{})
		return err == nil && ok
	}, "Prometheus to have the __udp4_lib_rcv series; exporter log:\n"+elog.String())

	const n = 500
	for attempt := 1; attempt <= 5; attempt++ {
		// Quiet: the counter did not move over the last 3 scrapes.
		time.Sleep(3 * time.Second)
		t0 := time.Now()
		still, _, err := prom.instant(fmt.Sprintf("changes(%s[3s])", udpSite), t0)
		if err != nil {
			t.Fatal(err)
		}
		before, err := dropgen.NoPorts()
		if err != nil {
			t.Fatal(err)
		}
		made, err := dropgen.Make(n)
		if err != nil || made != n {
			t.Fatalf("dropgen made %d of %d: %v", made, n, err)
		}
		if _, err := dropgen.CountedSince(before, n, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3500 * time.Millisecond) // the exporter reads within 0.1 s; 3 scrapes since
		t1 := time.Now()
		after, err := dropgen.NoPorts()
		if err != nil {
			t.Fatal(err)
		}
		window := fmt.Sprintf("%dms", t1.Sub(t0).Milliseconds())
		growth, ok, err := prom.instant(fmt.Sprintf("%s - %s offset %s", udpSite, udpSite, window), t1)
		if err != nil || !ok {
			t.Fatalf("growth query: %v %v", ok, err)
		}
		// increase() over a range that starts in the quiet time before t0
		// (its first sample), for the log: it extrapolates to the range's
		// ends, so it need not be a whole number.
		increase, _, _ := prom.instant(fmt.Sprintf("increase(%s[%dms])", udpSite, t1.Sub(t0).Milliseconds()+2000), t1)
		if still != 0 || after-before != n {
			t.Logf("attempt %d: not a quiet window (counter changes before: %v, NoPorts grew by %d for %d made); again", attempt, still, after-before, n)
			continue
		}
		t.Logf("attempt %d: made %d drops; NoPorts grew by %d; Prometheus: counter grew by %v over %s (increase() with its extrapolation: %.1f)", attempt, n, after-before, growth, window, increase)
		if growth != n {
			t.Errorf("Prometheus saw the counter grow by %v over the window, want %d; exporter log:\n%s", growth, n, elog)
		}
		return
	}
	t.Fatal("no quiet window in 5 attempts: something else keeps dropping UDP at closed ports")
}

func waitFor(t *testing.T, d time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func get(t *testing.T, client *http.Client, u string) []byte {
	t.Helper()
	resp, err := client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	return b
}

// TestPromtoolCheckMetrics lints a real scrape, drops included, with
// promtool check metrics (exit 3 and a line per problem if any).
func TestPromtoolCheckMetrics(t *testing.T) {
	requireParts(t, promtool)
	addr, _ := startExporter(t, http.DefaultClient, "http")
	if _, err := dropgen.Make(3); err != nil {
		t.Fatal(err)
	}
	var body []byte
	waitFor(t, 10*time.Second, func() bool {
		body = get(t, http.DefaultClient, "http://"+addr+"/metrics")
		return bytes.Contains(body, []byte(`function="__udp4_lib_rcv"`))
	}, "a drop series in the scrape")
	landing := get(t, http.DefaultClient, "http://"+addr+"/")
	if !bytes.Contains(landing, []byte("Dropwatch Exporter")) || !bytes.Contains(landing, []byte(`href="/metrics"`)) {
		t.Errorf("landing page lacks its title or the link to /metrics:\n%s", landing)
	}
	if bytes.Contains(landing, []byte("debug/pprof")) {
		t.Errorf("landing page links to profiling, which is not served")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
	for _, want := range []string{"dropwatch_build_info{", "dropwatch_monitor_info{backend=\"tracepoint\",mode=\"packet\"", "dropwatch_monitoring_up 1", "go_goroutines ", "process_resident_memory_bytes "} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	// No raw kernel address anywhere in the exposition.
	for _, line := range strings.Split(string(body), "\n") {
		if strings.Contains(line, "0xffff") || strings.Contains(line, "ffffffff") {
			t.Errorf("a kernel address in the scrape: %s", line)
		}
	}
}

// TestTLSAndBasicAuth serves through a web config with a self-signed
// certificate and a bcrypt-hashed user: an unauthenticated scrape or a
// wrong password is refused with 401, the right one is served, and plain
// HTTP is not.
func TestTLSAndBasicAuth(t *testing.T) {
	requireParts(t)
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	must(t, os.WriteFile(certFile, certPEM, 0o600))
	must(t, os.WriteFile(keyFile, keyPEM, 0o600))
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	must(t, err)
	webConfig := filepath.Join(dir, "web.yml")
	must(t, os.WriteFile(webConfig, fmt.Appendf(nil, "tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  prometheus: %s\n", certFile, keyFile, hash), 0o600))

	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		t.Fatal("bad test certificate")
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	addr, _ := startExporter(t, client, "https", "--web.config.file="+webConfig)

	for _, tt := range []struct {
		name       string
		user, pass string
		status     int
	}{
		{name: "no credentials", status: http.StatusUnauthorized},
		{name: "wrong password", user: "prometheus", pass: "guess", status: http.StatusUnauthorized},
		{name: "unknown user", user: "admin", pass: "s3cret", status: http.StatusUnauthorized},
		{name: "right credentials", user: "prometheus", pass: "s3cret", status: http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", "https://"+addr+"/metrics", nil)
			if tt.user != "" {
				req.SetBasicAuth(tt.user, tt.pass)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %s, want %d", resp.Status, tt.status)
			}
			if tt.status == http.StatusOK && !bytes.Contains(body, []byte("dropwatch_monitoring_up 1")) {
				t.Errorf("authenticated scrape lacks dropwatch_monitoring_up 1")
			}
		})
	}
	t.Run("plain HTTP", func(t *testing.T) {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Errorf("plain HTTP served: %s", resp.Status)
			}
		}
	})
}

// TestBadStart runs the binary with a bad web config, a port in use and a
// bad flag: each exits non-zero with a line saying why, and none panics.
func TestBadStart(t *testing.T) {
	requireParts(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "web.yml")
	must(t, os.WriteFile(bad, []byte("tls_server_config:\n  cert_file: /nonexistent.pem\n  key_file: /nonexistent.key\n"), 0o600))
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer busy.Close()
	for _, tt := range []struct {
		name   string
		args   []string
		status int
		msg    string
	}{
		{"bad web config", []string{"--web.listen-address=" + freeAddr(t), "--web.config.file=" + bad}, 1, "bad --web.config.file"},
		{"port in use", []string{"--web.listen-address=" + busy.Addr().String()}, 1, "address already in use"},
		{"bad flag", []string{"--max-series=-1"}, 2, "--max-series must be at least 1"},
		{"no NET_DM here", []string{"--web.listen-address=" + freeAddr(t), "--backend=netdm"}, 1, "no drop monitor: the kernel has no NET_DM family"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, exporterBin, tt.args...).CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tt.status {
				t.Fatalf("exit %v, want status %d; output:\n%s", err, tt.status, out)
			}
			if !bytes.Contains(out, []byte(tt.msg)) || bytes.Contains(out, []byte("panic")) {
				t.Errorf("output lacks %q (or panics):\n%s", tt.msg, out)
			}
		})
	}
}

// TestDashboardQueries evaluates every query of the Grafana dashboard and
// of the alerting rules against the real Prometheus scraping a real
// exporter: each must parse and return a result of the right type.
func TestDashboardQueries(t *testing.T) {
	requireParts(t, prometheus)
	addr, _ := startExporter(t, http.DefaultClient, "http")
	prom := startPrometheus(t, addr)
	raw, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "grafana", "dropwatch.json"))
	must(t, err)
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	must(t, json.Unmarshal(raw, &dash))
	n := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			expr := strings.NewReplacer("$__rate_interval", "1m", "$instance", ".*", "$__range", "1h").Replace(tg.Expr)
			if _, _, err := prom.query(expr, time.Time{}); err != nil {
				t.Errorf("panel %q: %v", p.Title, err)
			}
			n++
		}
	}
	if n == 0 {
		t.Error("no queries in the dashboard")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// selfSigned makes a certificate for 127.0.0.1 valid for an hour.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "dropwatch_exporter test"},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	must(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

var dropwatchBin = os.Getenv("DROPWATCH_CLI")

// scrapeSite returns the exporter's count at __udp4_lib_rcv/NO_SOCKET.
func scrapeSite(t *testing.T, addr string) float64 {
	t.Helper()
	body := get(t, http.DefaultClient, "http://"+addr+"/metrics")
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, `dropwatch_drops_total{function="__udp4_lib_rcv",module="",origin="software",reason="NO_SOCKET"`) {
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			must(t, err)
			return v
		}
	}
	return 0
}

// TestAdminDropwatchAlongside: while the exporter runs, an admin's
// dropwatch on the same tracepoint sees every drop, the exporter too, and
// the exporter keeps counting after dropwatch exits. Perf events are per
// reader: neither takes the tracepoint from the other.
func TestAdminDropwatchAlongside(t *testing.T) {
	requireParts(t)
	if dropwatchBin == "" {
		t.Skip("DROPWATCH_CLI is not set: run test/exporter/run.sh, which builds dropwatch")
	}
	addr, _ := startExporter(t, http.DefaultClient, "http")
	const n = 300
	for attempt := 1; attempt <= 5; attempt++ {
		before := scrapeSite(t, addr)
		noports, err := dropgen.NoPorts()
		must(t, err)
		cmd := exec.Command(dropwatchBin, "--backend", "tracepoint", "--once", "4s", "-l", "kas")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		must(t, cmd.Start())
		time.Sleep(1500 * time.Millisecond) // monitoring on
		if made, err := dropgen.Make(n); err != nil || made != n {
			t.Fatalf("dropgen made %d of %d: %v", made, n, err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("dropwatch: %v\n%s%s", err, stdout.String(), stderr.String())
		}
		time.Sleep(1500 * time.Millisecond) // the exporter looks at idle buffers once a second
		after := scrapeSite(t, addr)
		noportsAfter, err := dropgen.NoPorts()
		must(t, err)
		var seen int
		for _, line := range strings.Split(stdout.String(), "\n") {
			f := strings.Fields(line)
			if len(f) >= 4 && f[1] == "drops" && f[2] == "at" && strings.HasPrefix(f[3], "__udp4_lib_rcv+") {
				c, err := strconv.Atoi(f[0])
				must(t, err)
				seen += c
			}
		}
		if noportsAfter-noports != n {
			t.Logf("attempt %d: not quiet (NoPorts grew by %d for %d made); again", attempt, noportsAfter-noports, n)
			continue
		}
		t.Logf("attempt %d: made %d; dropwatch reported %d at __udp4_lib_rcv, the exporter %v", attempt, n, seen, after-before)
		if seen != n || after-before != n {
			t.Errorf("dropwatch saw %d and the exporter %v of %d drops; dropwatch output:\n%s%s", seen, after-before, n, stdout.String(), stderr.String())
		}
		// The exporter is still monitoring after dropwatch closed its events.
		if _, err := dropgen.Make(10); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, func() bool { return scrapeSite(t, addr) >= after+10 }, "the exporter to count drops after dropwatch exited")
		return
	}
	t.Fatal("no quiet window in 5 attempts")
}
