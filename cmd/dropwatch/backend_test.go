package main

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
	"github.com/dropwatch-go/dropwatch/pkg/skbtrace"
)

var notBuilt = dropmon.Diagnosis{KernelRelease: "6.18.0", Config: dropmon.NotBuilt, ConfigSource: "/proc/config.gz"}

// TestSelectBackend: --backend auto falls back to the tracepoint with one
// line on stderr; netdm keeps the C tool's failure (reference §1.1).
func TestSelectBackend(t *testing.T) {
	netdmFake, tpFake := newFakeBackend(), newFakeBackend()
	tpErr := &skbtrace.Error{Op: "perf_event_open", Hint: "perf events need root or CAP_PERFMON", Err: errors.New("operation not permitted")}
	noFamily := func() (drops.Kernel, error) { return nil, dropmon.ErrFamilyNotFound }
	okNetDM := func() (drops.Kernel, error) { return netdmFake, nil }
	okTP := func(bool) (drops.Kernel, error) { return tpFake, nil }
	badTP := func(bool) (drops.Kernel, error) { return nil, tpErr }
	const cFailure = "Unable to find NET_DM family, dropwatch can't work\nCleaning up on socket creation error\n"
	const notBuiltHelp = "dropwatch: the kernel has no NET_DM (drop monitor) generic netlink family here: kernel built without CONFIG_NET_DROP_MONITOR, /proc/config.gz.\n"
	const tryTP = "dropwatch --backend tracepoint reads drops from the skb:kfree_skb tracepoint instead.\n"
	const tpFailure = "dropwatch: cannot read the skb:kfree_skb tracepoint: skbtrace: perf_event_open: operation not permitted (perf events need root or CAP_PERFMON)\n"
	tests := []struct {
		name           string
		backend        string
		netdm          func() (drops.Kernel, error)
		tracepoint     func(bool) (drops.Kernel, error)
		want           *fakeBackend
		kind           string
		code           int
		stdout, stderr string
	}{
		{name: "auto with NET_DM: silent", backend: backendAuto, netdm: okNetDM, tracepoint: okTP, want: netdmFake, kind: backendNetDM},
		{
			name: "auto without NET_DM: the tracepoint, said once", backend: backendAuto, netdm: noFamily, tracepoint: okTP, want: tpFake, kind: backendTracepoint,
			stderr: "dropwatch: no NET_DM family (kernel built without CONFIG_NET_DROP_MONITOR, /proc/config.gz); using the skb:kfree_skb tracepoint\n",
		},
		{
			name: "auto without either", backend: backendAuto, netdm: noFamily, tracepoint: badTP, code: 1,
			stdout: cFailure, stderr: notBuiltHelp + tpFailure,
		},
		{name: "netdm without NET_DM: the C tool's failure", backend: backendNetDM, netdm: noFamily, tracepoint: okTP, code: 1, stdout: cFailure, stderr: notBuiltHelp + tryTP},
		{name: "netdm", backend: backendNetDM, netdm: okNetDM, want: netdmFake, kind: backendNetDM},
		{name: "tracepoint", backend: backendTracepoint, tracepoint: okTP, want: tpFake, kind: backendTracepoint},
		{name: "tracepoint unusable", backend: backendTracepoint, tracepoint: badTP, code: 1, stderr: tpFailure},
		{
			name: "other NET_DM failure", backend: backendAuto, tracepoint: okTP, code: 1,
			netdm:  func() (drops.Kernel, error) { return nil, errors.New("socket: too many open files") },
			stderr: "dropwatch: socket: too many open files\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			b := drops.Backends{NetDM: tt.netdm, Tracepoint: tt.tracepoint, Diagnose: func() dropmon.Diagnosis { return notBuilt }}
			eng, code := selectBackend(drops.Options{Backend: tt.backend, Backends: b}, &stdout, &stderr)
			kind := ""
			if eng != nil {
				kind = eng.Backend()
				// The engine runs on the fake of its kind.
				if _, err := eng.Stats(); err != nil || tt.want == nil || !slices.Contains(tt.want.recorded(), "stats-get") {
					t.Errorf("the engine does not run on the fake it was given: %v", err)
				}
			}
			if kind != tt.kind || code != tt.code {
				t.Errorf("got %q %d, want %q %d", kind, code, tt.kind, tt.code)
			}
			if diff := cmp.Diff(tt.stdout, stdout.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.stderr, stderr.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTracepointREPL: settings that mean nothing to the tracepoint say so
// on one line and the REPL carries on; show and stats say what they can.
func TestTracepointREPL(t *testing.T) {
	h := newHarness("set trunc 100\nset queue 10\nset hw true\nshow\nstats\nset alertmode packet\nexit\n")
	h.be.stats = dropmon.Stats{Software: &dropmon.OriginStats{Dropped: 3}}
	h.app.backends.NetDM = func() (drops.Kernel, error) { return nil, dropmon.ErrFamilyNotFound }
	h.app.backends.Tracepoint = func(bool) (drops.Kernel, error) { return h.be, nil }
	h.app.backends.Diagnose = func() dropmon.Diagnosis { return notBuilt }
	checkCode(t, h.run(t), 0)
	checkOutput(t, h, "Initializing null lookup method\n"+
		"dropwatch> set trunc 100\n"+
		"dropwatch> set queue 10\n"+
		"dropwatch> set hw true\n"+
		"dropwatch> show\n"+
		"Getting existing configuration\n"+
		"Alert mode: Summary\n"+
		"dropwatch> stats\n"+
		"Getting statistics\n"+
		"Tracepoint statistics:\nLost samples: 3\n"+
		"dropwatch> set alertmode packet\n"+
		"Setting alert mode\n"+
		"Alert mode successfully set\n"+
		"dropwatch> exit\n"+
		"Shutting down ...\n")
	want := "dropwatch: no NET_DM family (kernel built without CONFIG_NET_DROP_MONITOR, /proc/config.gz); using the skb:kfree_skb tracepoint\n" +
		"set trunc does not apply to the skb:kfree_skb tracepoint backend: its packet alerts carry no packet data\n" +
		"set queue does not apply to the skb:kfree_skb tracepoint backend: it has no kernel queue; lost samples are counted instead (stats)\n" +
		"set hw does not apply to the skb:kfree_skb tracepoint backend: it reports software drops only\n"
	if diff := cmp.Diff(want, h.stderr.String()); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
	checkCalls(t, h, "config-get", "stats-get", "config mode=packet")
}

// TestStack: with --stack on the tracepoint, each packet block ends with
// the drop's call chain, perf-style.
func TestStack(t *testing.T) {
	tp, ft := newFakeTracepoint()
	mode := dropmon.ModePacket
	tp.SetConfig(t.Context(), dropmon.ConfigUpdate{Mode: &mode})
	h := newHarness("start\n")
	h.app.backends.Tracepoint = func(stacks bool) (drops.Kernel, error) {
		if !stacks {
			t.Error("--stack did not ask the tracepoint for stacks")
		}
		return tp, nil
	}
	h.start("--backend", "tracepoint", "--stack", "-l", "kas")
	ft.Feed <- []skbtrace.Drop{{Location: 0xffffffff878bcae2, Protocol: 0x800, Stack: []uint64{0xffffffff878bcae2, 0x1234}}}
	block := "drop at: __udp4_lib_rcv+0x9a2 (0xffffffff878bcae2)\n" +
		"origin: software\n" +
		"protocol: 0x800\n" +
		"\tffffffff878bcae2 __udp4_lib_rcv+0x9a2\n" +
		"\t0000000000001234 [unknown]\n" +
		"\n"
	h.stdout.waitFor(t, block)
	h.interruptTwice()
	checkCode(t, h.wait(t), 0)
	if !strings.Contains(h.stdout.String(), msgIssueCtrlC+"\n"+block) {
		t.Errorf("stdout:\n%s", h.stdout)
	}
}

func TestStackNeedsTracepoint(t *testing.T) {
	h := newHarness("exit\n")
	checkCode(t, h.run(t, "--stack"), 0)
	if want := noteStackNeedsTracepoint + "\n"; h.stderr.String() != want {
		t.Errorf("stderr = %q, want %q", h.stderr, want)
	}
	_, err := parseArgs([]string{"--backend", "netdm", "--stack"})
	if want := "dropwatch: --stack needs the tracepoint backend: NET_DM alerts carry no call chain (try 'dropwatch --help')"; err == nil || err.Error() != want {
		t.Errorf("--backend netdm --stack: %v, want %s", err, want)
	}
}
