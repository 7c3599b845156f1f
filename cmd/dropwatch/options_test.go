package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseArgs(t *testing.T) {
	base := options{lookup: lookupNone, backend: backendAuto}
	with := func(f func(o *options)) options {
		o := base
		f(&o)
		return o
	}
	kas := with(func(o *options) { o.lookup = lookupKas })
	list := options{backend: backendAuto, list: true}
	tests := []struct {
		args []string
		want options
	}{
		{nil, base},
		{[]string{"-l", "kas"}, kas},
		{[]string{"-lkas"}, kas},
		{[]string{"--lmethod", "kas"}, kas},
		{[]string{"--lmethod=kas"}, kas},
		{[]string{"--lm=kas"}, kas},
		{[]string{"--l", "kas"}, kas},
		{[]string{"-l", "kasxyz"}, kas}, // the C tool's strncmp(optarg, "kas", 3)
		{[]string{"-l", "none"}, base},
		{[]string{"-l", "kas", "-l", "none"}, base}, // the last one wins
		{[]string{"-l", "list"}, list},
		{[]string{"-llist"}, list},
		{[]string{"--lm=list"}, list},
		{[]string{"-l", "listing"}, list}, // strncmp(optarg, "list", 4)
		{[]string{"-l", "list", "-l", "bogus"}, list},
		{[]string{"-l", "list", "--bogus"}, list},
		{[]string{"-h"}, options{backend: backendAuto, help: true}},
		{[]string{"--help"}, options{backend: backendAuto, help: true}},
		{[]string{"--he"}, options{backend: backendAuto, help: true}},
		{[]string{"-h", "--bogus"}, options{backend: backendAuto, help: true}},
		{[]string{"--version"}, options{backend: backendAuto, version: true}},
		{[]string{"--v"}, options{backend: backendAuto, version: true}},
		{[]string{"--kallsyms", "/tmp/k"}, with(func(o *options) { o.lookup = lookupKas; o.kallsyms = "/tmp/k" })},
		{[]string{"--kallsyms=/tmp/k", "-l", "none"}, with(func(o *options) { o.kallsyms = "/tmp/k" })},
		{[]string{"--backend=netdm", "--force"}, with(func(o *options) { o.backend = backendNetDM; o.force = true })},
		{[]string{"--b", "tracepoint"}, with(func(o *options) { o.backend = backendTracepoint })},
		{[]string{"-l", "kas", "--"}, kas},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got, err := parseArgs(tt.args)
			if err != nil {
				t.Fatalf("parseArgs: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(options{}, counterOptions{})); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseArgsErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-x"}, "dropwatch: invalid option -- 'x'; options: " + acceptedOptions + " (try 'dropwatch --help')"},
		{[]string{"--bogus"}, "dropwatch: unrecognized option '--bogus'; options: " + acceptedOptions + " (try 'dropwatch --help')"},
		{[]string{"-l"}, "dropwatch: option requires an argument -- 'l': kas, none or list (try 'dropwatch --help')"},
		{[]string{"--lmethod"}, "dropwatch: option '--lmethod' requires an argument: kas, none or list (try 'dropwatch --help')"},
		{[]string{"--kallsyms"}, "dropwatch: option '--kallsyms' requires an argument: a file in /proc/kallsyms format (try 'dropwatch --help')"},
		{[]string{"--backend"}, "dropwatch: option '--backend' requires an argument: auto, netdm, tracepoint (try 'dropwatch --help')"},
		{[]string{"--backend=bpf"}, "dropwatch: invalid backend 'bpf': want auto, netdm, tracepoint (try 'dropwatch --help')"},
		{[]string{"--force=yes"}, "dropwatch: option '--force' doesn't allow an argument (try 'dropwatch --help')"},
		{[]string{"--"}, ""},
		{[]string{"--", "kas"}, "dropwatch: unexpected argument 'kas': a filter expression needs --once DURATION (try 'dropwatch --help')"},
		{[]string{"kas"}, "dropwatch: unexpected argument 'kas': a filter expression needs --once DURATION (try 'dropwatch --help')"},
		{[]string{"-"}, "dropwatch: unexpected argument '-': a filter expression needs --once DURATION (try 'dropwatch --help')"},
		{[]string{"--=kas"}, "dropwatch: unrecognized option '--'; options: " + acceptedOptions + " (try 'dropwatch --help')"},
		// Each option names its own values (these once said "kas, none
		// or list", the -l text).
		{[]string{"--once", "1s", "--filter"}, "dropwatch: option '--filter' requires an argument: a pcap-filter expression such as 'udp and dst port 53' (try 'dropwatch --help')"},
		{[]string{"--once", "1s", "--top-by"}, "dropwatch: option '--top-by' requires an argument: site, flow, reason, interface or comm (try 'dropwatch --help')"},
		{[]string{"--counters", "--interval"}, "dropwatch: option '--interval' requires an argument: a duration such as 1s (try 'dropwatch --help')"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := parseArgs(tt.args)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestEveryArgumentNamesItsValues: an option with an argument says what
// the argument may be when it is missing.
func TestEveryArgumentNamesItsValues(t *testing.T) {
	for _, o := range longOptions {
		if o.HasArg && !o.OptArg && o.Values == "" {
			t.Errorf("--%s takes an argument but says nothing of its values", o.Name)
		}
	}
}

// TestCommandLine checks what each kind of command line prints and its exit
// status, before any kernel request.
func TestCommandLine(t *testing.T) {
	version = "1.2.3-test"
	tests := []struct {
		args           []string
		stdout, stderr string // stderr: a prefix
		code           int
	}{
		// C: "Available lookup methods:\nkas - use /proc/kallsyms\n", exit 0;
		// dropwatch adds the none line.
		{[]string{"-l", "list"}, "Available lookup methods:\nkas - use /proc/kallsyms\nnone - print raw addresses (the default)\n", "", 0},
		// C: "Unknown lookup method <other>\n" on stdout, exit 1.
		{[]string{"-l", "bogus"}, "Unknown lookup method bogus\n", "", 1},
		{[]string{"--lmethod=KAS"}, "Unknown lookup method KAS\n", "", 1}, // case-sensitive
		{[]string{"--help"}, usageText, "", 0},
		{[]string{"--version"}, versionText(), "", 0}, // buildinfo_test.go checks its lines
		{[]string{"-x"}, "", "dropwatch: invalid option -- 'x'", 2},
		{[]string{"--backend", "bpf"}, "", "dropwatch: invalid backend 'bpf'", 2},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			h := newHarness("")
			code := h.run(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit status %d, want %d", code, tt.code)
			}
			if diff := cmp.Diff(tt.stdout, h.stdout.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if got := h.stderr.String(); !strings.HasPrefix(got, tt.stderr) || (tt.stderr == "") != (got == "") {
				t.Errorf("stderr = %q, want it to start with %q", got, tt.stderr)
			}
			if calls := h.be.recorded(); len(calls) != 0 {
				t.Errorf("requests sent: %q", calls)
			}
		})
	}
}
