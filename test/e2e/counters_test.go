//go:build vmtest

package e2e

// Issue 14: one "dropwatch --once" says whether packets were dropped (the
// counters that grew), where (the table's locations) and why (its
// reasons, and what they mean). For each kind of drop made for real, the
// test reads the kernel's own count of it independently (/proc/net/snmp,
// tc, nft, ethtool) before and after ours ran, and wants ours to print
// the same delta, the drop's site and reason in the table, and the
// meaning of both.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dropwatch-go/dropwatch/test/vm/dropgen"
)

// counterRow is one row of a counter table (internal/report
// WriteCounterTable): SOURCE COUNTER DELTA RATE/S OBJECT.
type counterRow struct {
	source, name, object string
	delta                uint64
}

// countersOut is what ours printed about counters: the rows, and the
// meanings ("snmp/UdpNoPorts", "reason/NO_SOCKET") of the section after
// the top table.
type countersOut struct {
	rows     []counterRow
	meanings map[string]string
}

var (
	counterHeaderRe = regexp.MustCompile(`^SOURCE +COUNTER +DELTA +RATE/S +OBJECT$`)
	counterRowRe    = regexp.MustCompile(`^([a-z]+) +(\S+) +(=?\d+) +(\d+\.\d\d) +(\S.*)$`)
)

// parseCounters parses the counter tables and meanings in text: every
// table under a "SOURCE COUNTER ..." header, and the "  name: meaning"
// lines under "What they mean".
func parseCounters(t testing.TB, text string) countersOut {
	t.Helper()
	out := countersOut{meanings: map[string]string{}}
	inTable, inMeanings := false, false
	for _, line := range strings.Split(text, "\n") {
		switch {
		case counterHeaderRe.MatchString(line):
			inTable, inMeanings = true, false
			continue
		case strings.HasPrefix(line, "What they mean"):
			inTable, inMeanings = false, true
			continue
		}
		if inTable {
			m := counterRowRe.FindStringSubmatch(line)
			if m == nil {
				inTable = false
			} else if !strings.HasPrefix(m[3], "=") { // "=N": a gauge's value
				d, err := strconv.ParseUint(m[3], 10, 64)
				if err != nil {
					t.Fatalf("counter row %q: delta %q", line, m[3])
				}
				obj := m[5]
				if obj == "-" {
					obj = ""
				}
				out.rows = append(out.rows, counterRow{source: m[1], name: m[2], object: obj, delta: d})
			}
		}
		if inMeanings {
			name, meaning, ok := strings.Cut(strings.TrimPrefix(line, "  "), ": ")
			if !ok || !strings.HasPrefix(line, "  ") {
				inMeanings = false
				continue
			}
			out.meanings[name] = meaning
		}
	}
	return out
}

// delta is the delta of a counter, summed over the tables printed.
func (c countersOut) delta(source, name, object string) (uint64, bool) {
	var d uint64
	found := false
	for _, r := range c.rows {
		if r.source == source && r.name == name && r.object == object {
			d += r.delta
			found = true
		}
	}
	return d, found
}

// kernelMIB reads one counter of /proc/net/snmp ("Udp", "RcvbufErrors"):
// the test's own reading, sharing no code with pkg/counters.
func kernelMIB(t testing.TB, proto, name string) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for i := 0; i+1 < len(lines); i++ {
		names, vals := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(names) == 0 || names[0] != proto+":" || len(vals) != len(names) || vals[0] != names[0] {
			continue
		}
		for j, n := range names {
			if n == name {
				v, err := strconv.ParseUint(vals[j], 10, 64)
				if err != nil {
					t.Fatalf("/proc/net/snmp %s %s: %q", proto, name, vals[j])
				}
				return v
			}
		}
	}
	t.Fatalf("/proc/net/snmp has no %s %s", proto, name)
	return 0
}

func mustRun(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// udpSender sends n datagrams of size bytes to addr:port from a socket of
// its own, ignoring send errors (a qdisc's drop fails the send with
// ENOBUFS).
func udpSender(t testing.TB, addr [4]byte, port, n, size int) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	buf := make([]byte, size)
	for range n {
		_ = unix.Sendto(fd, buf, 0, &unix.SockaddrInet4{Addr: addr, Port: port})
	}
}

// boundUDP returns a UDP socket bound to 127.0.0.1 and its port.
func boundUDP(t testing.TB) (int, int) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fd, sa.(*unix.SockaddrInet4).Port
}

// vethUp creates the veth pair a/b in this namespace, a with subnet.1/24
// and a permanent neighbour subnet.2 at a MAC that is not b's, and
// deletes it when the test ends.
func vethUp(t testing.TB, a, b, subnet string) {
	t.Helper()
	mustRun(t, "ip", "link", "add", a, "type", "veth", "peer", "name", b)
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", a).Run() })
	// No IPv6 on them: its router solicitations and DAD would add packets
	// (and, through a full qdisc, drops) of their own.
	for _, dev := range []string{a, b} {
		if err := os.WriteFile("/proc/sys/net/ipv6/conf/"+dev+"/disable_ipv6", []byte("1"), 0); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	mustRun(t, "ip", "addr", "add", subnet+".1/24", "dev", a)
	mustRun(t, "ip", "link", "set", b, "up")
	mustRun(t, "ip", "link", "set", a, "up")
	deadline := time.Now().Add(stateTimeout)
	for {
		st, _ := os.ReadFile("/sys/class/net/" + a + "/operstate")
		if strings.TrimSpace(string(st)) == "up" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is %q, not up", a, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mustRun(t, "ip", "neigh", "add", subnet+".2", "lladdr", "02:00:00:00:00:02", "dev", a, "nud", "permanent")
}

// tcDrops is tc's count of the drops of dev's root qdisc.
func tcDrops(t testing.TB, dev string) uint64 {
	t.Helper()
	var qs []struct {
		Kind  string `json:"kind"`
		Drops uint64 `json:"drops"`
	}
	out := mustRun(t, "tc", "-s", "-j", "qdisc", "show", "dev", dev)
	if err := json.Unmarshal([]byte(out), &qs); err != nil || len(qs) != 1 {
		t.Fatalf("tc -s -j qdisc show dev %s: %q: %v", dev, out, err)
	}
	return qs[0].Drops
}

// nftPackets is the packet count of the first counter in nft's ruleset.
func nftPackets(t testing.TB) uint64 {
	t.Helper()
	n, err := dropgen.NftCounterPackets([]byte(mustRun(t, "nft", "-j", "list", "ruleset")))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// ethtoolStats is ethtool -S dev, parsed by the test.
func ethtoolStats(t testing.TB, dev string) map[string]uint64 {
	t.Helper()
	m := map[string]uint64{}
	for _, line := range strings.Split(mustRun(t, "ethtool", "-S", dev), "\n") {
		k, v, found := strings.Cut(line, ":")
		if !found || strings.HasPrefix(line, "NIC statistics") {
			continue
		}
		x, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			t.Fatalf("ethtool -S %s: %q", dev, line)
		}
		m[strings.TrimSpace(k)] = x
	}
	return m
}

// sharedHost (DROPWATCH_E2E_SHARED_HOST=1) is a run on a machine where
// other programs share the initial network namespace (this repository's
// development host, with the tracepoint backend): their drops between the
// test's reading of the kernel's count and ours' first snapshot, or after
// ours' last, make the kernel's delta larger than ours, which is then only
// checked to be in (0, kernel's]. The test VM's guests are quiet, and
// there the deltas must be equal.
var sharedHost = os.Getenv("DROPWATCH_E2E_SHARED_HOST") == "1"

// dropKind is one kind of drop, made for real.
type dropKind struct {
	name string
	// setup prepares the drop (sockets, interfaces, rules) and returns
	// make, which makes the drops.
	setup func(t *testing.T) (make func())
	// kernel is the kernel's own count of the drop, read by the test.
	kernel func(t testing.TB) uint64
	// source, counter, object name the counter of ours that must grow
	// by the kernel's delta; "" when no counter counts the drop (an nft
	// rule's drops are only in the rule's counter).
	source, counter, object string
	// reasons are the drop reasons the table may give it (by kernel:
	// 6.1 gives qdisc drops no reason), site the symbol the table's
	// location must start with ("" to only log it).
	reasons []string
	site    string
	// tableCount: the table's count for the reasons must equal the
	// kernel's delta (a drop a counter does not see).
	tableCount bool
}

func dropKinds() []dropKind {
	return []dropKind{
		{
			name: "udp-closed-port",
			setup: func(t *testing.T) func() {
				return func() {
					if made, err := dropgen.Make(onceDrops); err != nil || made != onceDrops {
						t.Errorf("dropgen.Make(%d) = %d, %v", onceDrops, made, err)
					}
				}
			},
			kernel: func(t testing.TB) uint64 { return kernelMIB(t, "Udp", "NoPorts") },
			source: "snmp", counter: "UdpNoPorts",
			reasons: []string{"NO_SOCKET"}, site: "__udp4_lib_rcv",
		},
		{
			name: "udp-rcvbuf",
			setup: func(t *testing.T) func() {
				fd, port := boundUDP(t)
				if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 0); err != nil {
					t.Fatal(err)
				}
				return func() { udpSender(t, [4]byte{127, 0, 0, 1}, port, 100, 1000) }
			},
			kernel: func(t testing.TB) uint64 { return kernelMIB(t, "Udp", "RcvbufErrors") },
			source: "snmp", counter: "UdpRcvbufErrors",
			reasons: []string{"SOCKET_RCVBUFF"}, site: "udp_queue_rcv_one_skb",
		},
		{
			name: "qdisc-tbf",
			setup: func(t *testing.T) func() {
				vethUp(t, "dwq0", "dwq1", "10.97.0")
				mustRun(t, "tc", "qdisc", "add", "dev", "dwq0", "root", "handle", "1:", "tbf", "rate", "8kbit", "burst", "1600", "limit", "1")
				return func() { udpSender(t, [4]byte{10, 97, 0, 2}, 9, onceDrops, 64) }
			},
			kernel: func(t testing.TB) uint64 { return tcDrops(t, "dwq0") },
			source: "qdisc", counter: "drops", object: "tbf 1: dev dwq0 root",
			// The site is the caller that frees the qdisc's to_free list:
			// kfree_skb_list_reason on 6.1, __dev_queue_xmit on 6.12.
			reasons: []string{"QDISC_DROP"},
		},
		{
			name: "nft-drop",
			setup: func(t *testing.T) func() {
				_, port := boundUDP(t)
				rules := filepath.Join(t.TempDir(), "rules.nft")
				ruleset := fmt.Sprintf("table ip dwtest14 {\n\tchain in {\n\t\ttype filter hook input priority 0; policy accept;\n\t\tudp dport %d counter drop\n\t}\n}\n", port)
				if err := os.WriteFile(rules, []byte(ruleset), 0o644); err != nil {
					t.Fatal(err)
				}
				mustRun(t, "nft", "-f", rules)
				t.Cleanup(func() { _ = exec.Command("nft", "delete", "table", "ip", "dwtest14").Run() })
				return func() { udpSender(t, [4]byte{127, 0, 0, 1}, port, 11, 64) }
			},
			kernel: nftPackets,
			// nf_hook_slow's drop, inlined into nft_do_chain's caller
			// chain as the kernel reports it: nft_do_chain [nf_tables].
			reasons: []string{"NETFILTER_DROP"}, site: "nft_do_chain",
			tableCount: true,
		},
	}
}

// TestCountersOnce makes each kind of drop while ours runs --once in
// packet mode (reasons come only in packet alerts on NET_DM), and wants
// its output to agree with the kernel's own count.
func TestCountersOnce(t *testing.T) {
	for _, backend := range []string{"netdm", "tracepoint"} {
		for _, dk := range dropKinds() {
			t.Run(backend+"/"+dk.name, func(t *testing.T) {
				if backend == "netdm" {
					newKernel(t) // resets NET_DM, and again at the end
				}
				makeDrops := dk.setup(t)
				k0 := dk.kernel(t)
				r := runOnce(t, makeDrops, "-l", "kas", "--backend", backend, "--mode", "packet")
				checkDropKind(t, dk, backend, r.stdout, dk.kernel(t)-k0)
			})
		}
	}
}

// TestCountersAllKinds makes every kind of drop during one --once, as
// the README shows it: each must be in its counter, and its site and
// reason in the table.
func TestCountersAllKinds(t *testing.T) {
	newKernel(t)
	kinds := dropKinds()
	makes := make([]func(), len(kinds))
	k0 := make([]uint64, len(kinds))
	for i, dk := range kinds {
		makes[i] = dk.setup(t)
		k0[i] = dk.kernel(t)
	}
	r := runOnce(t, func() {
		for _, m := range makes {
			m()
		}
	}, "-l", "kas", "--mode", "packet")
	for i, dk := range kinds {
		checkDropKind(t, dk, "netdm", r.stdout, dk.kernel(t)-k0[i])
	}
}

// checkDropKind checks ours' --once stdout against kd, the kernel's own
// count of the drops of kind dk made meanwhile.
func checkDropKind(t *testing.T, dk dropKind, backend, stdout string, kd uint64) {
	t.Helper()
	if kd == 0 {
		t.Fatalf("the kernel's count did not grow: the drop was not made")
	}
	_, _, after := splitTable(t, stdout)
	if !strings.HasPrefix(after, "Counters that grew in ") && !strings.HasPrefix(after, "No drop and error counters grew in ") {
		t.Errorf("after the table: %q, want the counters that grew", after)
	}
	c := parseCounters(t, after)
	if dk.counter != "" {
		d, ok := c.delta(dk.source, dk.counter, dk.object)
		t.Logf("%s: kernel +%d; ours %s %s %q +%d (found %v)", dk.name, kd, dk.source, dk.counter, dk.object, d, ok)
		switch {
		case !ok:
			t.Errorf("ours: no %s %s %q, the kernel's own count +%d", dk.source, dk.counter, dk.object, kd)
		case sharedHost && (d == 0 || d > kd):
			t.Errorf("ours: %s %s %q +%d, the kernel's own count +%d over a longer time", dk.source, dk.counter, dk.object, d, kd)
		case !sharedHost && d != kd:
			t.Errorf("ours: %s %s %q +%d, the kernel's own count +%d", dk.source, dk.counter, dk.object, d, kd)
		}
		if name := dk.source + "/" + dk.counter; c.meanings[name] == "" {
			t.Errorf("no meaning of %s after the table: %v", name, c.meanings)
		}
	}
	tb := topTableOf(t, stdout)
	var n int
	for _, row := range tb.rows {
		want := false
		for _, reason := range dk.reasons {
			want = want || row.reason == reason
		}
		t.Logf("%s (%s): table row %d at %s reason %s proto %s", dk.name, backend, row.drops, row.location, row.reason, row.proto)
		if !want || (dk.site != "" && !strings.HasPrefix(row.location, dk.site+"+")) {
			continue
		}
		n += row.drops
		if c.meanings["reason/"+row.reason] == "" {
			t.Errorf("no meaning of reason/%s after the table: %v", row.reason, c.meanings)
		}
		checkExplain(t, row.reason)
	}
	switch {
	case n == 0:
		t.Errorf("no table row with reason %v at %q", dk.reasons, dk.site)
	case dk.tableCount && uint64(n) != kd:
		t.Errorf("the table has %d drops with reason %v, the kernel's own count +%d", n, dk.reasons, kd)
	}
}

// checkExplain runs ours with --explain name, which must give a meaning and
// a remedy.
func checkExplain(t *testing.T, name string) {
	t.Helper()
	out, err := exec.Command(goDropwatch.path(t), "--explain", name).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "  meaning: ") || !strings.Contains(string(out), "  remedy:  ") {
		t.Errorf("dropwatch --explain %s: %v\n%s", name, err, out)
	}
}

// TestCountersEthtool runs ours with --counters --all while datagrams go
// out of a veth into its peer, with GRO on the peer so that veth's NAPI
// path (drivers/net/veth.c veth_xdp_rcv) counts them in its per-queue
// driver statistics; every ethtool counter of the pair that ethtool -S
// says grew must be in ours with the same delta, and ours must show none
// that ethtool does not.
func TestCountersEthtool(t *testing.T) {
	goDropwatch.path(t)
	vethUp(t, "dwe0", "dwe1", "10.98.0")
	// veth_skb_is_eligible_for_gro: a sender without TSO.
	mustRun(t, "ethtool", "-K", "dwe0", "tso", "off")
	mustRun(t, "ethtool", "-K", "dwe1", "gro", "on")
	devs := []string{"dwe0", "dwe1"}
	before := map[string]map[string]uint64{}
	for _, d := range devs {
		before[d] = ethtoolStats(t, d)
	}
	p := startProc(t, goDropwatch.path(t), "--counters", "--all", "--once", onceFor.String())
	p.waitFor(t, &p.stderr, "counters every", stateTimeout)
	udpSender(t, [4]byte{10, 98, 0, 2}, 9, onceDrops, 64)
	if code := p.wait(t, onceFor+onceSlack); code != 0 {
		t.Errorf("exit code %d\nstderr:\n%s", code, p.stderr.String())
	}
	out := p.stdout.String()
	t.Logf("stdout:\n%s", out)
	_, totals, ok := strings.Cut(out, "Counters that grew in ")
	if !ok {
		t.Fatalf("no totals in:\n%s", out)
	}
	c := parseCounters(t, totals)
	grew := 0
	for _, d := range devs {
		after := ethtoolStats(t, d)
		for name, v := range after {
			kd := v - before[d][name]
			got, found := c.delta("ethtool", name, d)
			if kd != 0 {
				grew++
				t.Logf("ethtool -S %s %s +%d; ours +%d (found %v)", d, name, kd, got, found)
			}
			if kd != got {
				t.Errorf("%s %s: ethtool -S +%d, ours +%d", d, name, kd, got)
			}
		}
		for _, r := range c.rows {
			if _, known := after[r.name]; r.source == "ethtool" && r.object == d && !known {
				t.Errorf("ours has %s %s +%d, which ethtool -S does not list", d, r.name, r.delta)
			}
		}
	}
	if grew == 0 {
		t.Errorf("no ethtool statistic of %v grew for %d datagrams", devs, onceDrops)
	}
}
