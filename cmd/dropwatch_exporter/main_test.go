package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStartupErrors: bad flags exit 2, a bad web config file and a port in
// use exit 1, each with a line saying what is wrong; --help and --version
// exit 0. None of these cases gets as far as opening a drop monitor.
func TestStartupErrors(t *testing.T) {
	dir := t.TempDir()
	badConfig := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(badConfig, []byte("tls_server_config:\n  cert_file: /nonexistent/cert.pem\n  key_file: /nonexistent/key.pem\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	unknownKey := filepath.Join(dir, "unknown.yml")
	if err := os.WriteFile(unknownKey, []byte("basic_auth:\n  admin: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	tests := []struct {
		name   string
		args   []string
		status int
		stdout string // substring
		stderr string // substring
	}{
		{name: "help", args: []string{"--help"}, status: 0, stdout: "--web.listen-address=:9756"},
		{name: "version", args: []string{"--version"}, status: 0, stdout: "dropwatch_exporter, version"},
		{name: "unknown flag", args: []string{"--bogus"}, status: 2, stderr: "unknown long flag '--bogus'"},
		{name: "bad backend", args: []string{"--backend=ebpf"}, status: 2, stderr: "enum value must be one of auto,netdm,tracepoint, got 'ebpf'"},
		{name: "bad max-series", args: []string{"--max-series=0"}, status: 2, stderr: "--max-series must be at least 1"},
		{name: "not a number", args: []string{"--max-series=many"}, status: 2, stderr: "many"},
		{name: "bad telemetry path", args: []string{"--web.telemetry-path=metrics"}, status: 2, stderr: "--web.telemetry-path must start with /"},
		{name: "bad log level", args: []string{"--log.level=loud"}, status: 2, stderr: "loud"},
		{name: "missing web config", args: []string{"--web.config.file=" + filepath.Join(dir, "none.yml")}, status: 1, stderr: "bad --web.config.file"},
		{name: "web config with missing certificate", args: []string{"--web.config.file=" + badConfig}, status: 1, stderr: "bad --web.config.file"},
		{name: "web config with an unknown key", args: []string{"--web.config.file=" + unknownKey}, status: 1, stderr: "field basic_auth not found"},
		{name: "port in use", args: []string{"--web.listen-address=" + busy.Addr().String()}, status: 1, stderr: "address already in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := run(tt.args, &stdout, &stderr)
			if status != tt.status {
				t.Errorf("status %d, want %d; stderr:\n%s", status, tt.status, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout does not contain %q:\n%s", tt.stdout, stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.stderr, stderr.String())
			}
		})
	}
}
