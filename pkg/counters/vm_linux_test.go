//go:build vmtest

package counters

// The tests in this file run in test/vm/run.sh's qemu guests (Debian's 6.1
// and 6.12 kernels, busybox, root, nothing else on the network): they
// make each kind of drop for real and check the counter that grew against
// the kernel's own view, read by the test itself (its own reading of
// /proc/net/snmp, the /sys/class/net statistics files, tc's, nft's and
// ethtool's output), and they leave the kernel's files in
// $DROPWATCH_VM_OUT_DIR/counters for the host's testdata. Outside a guest
// (DROPWATCH_VM unset) they skip. The untagged live tests of
// live_linux_test.go and bench_linux_test.go run in the guests too, since
// run.sh copies iproute2, tc and ethtool into them.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dropwatch-go/dropwatch/test/vm/dropgen"
	"github.com/mdlayher/genetlink"
	"golang.org/x/sys/unix"
)

// inVM skips unless the test runs in a guest of test/vm/run.sh, and
// returns the directory under /out its files go to.
func inVM(t *testing.T) string {
	t.Helper()
	if os.Getenv("DROPWATCH_VM") != "1" {
		t.Skip("runs only in test/vm/run.sh's guests (DROPWATCH_VM=1): makes drops as root and writes to DROPWATCH_VM_OUT_DIR")
	}
	out := os.Getenv("DROPWATCH_VM_OUT_DIR")
	if out == "" {
		t.Fatal("DROPWATCH_VM_OUT_DIR is not set")
	}
	dir := filepath.Join(out, "counters")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// kernelSNMP is the test's own reading of /proc/net/snmp (of the
// namespace ns, or of the initial one if ns is ""): a line of names after
// "Proto:", then a line of values; "Proto" and the name make the key,
// as nstat spells it (UdpNoPorts). It shares nothing with the package's
// parser.
func kernelSNMP(t *testing.T, ns string) map[string]uint64 {
	t.Helper()
	var text string
	if ns == "" {
		b, err := os.ReadFile("/proc/net/snmp")
		if err != nil {
			t.Fatal(err)
		}
		text = string(b)
	} else {
		text = cmd(t, "ip", "netns", "exec", ns, "cat", "/proc/net/snmp")
	}
	m := map[string]uint64{}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	for i := 0; i+1 < len(lines); i += 2 {
		names, vals := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(names) != len(vals) || names[0] != vals[0] {
			t.Fatalf("/proc/net/snmp: %q and %q do not pair", lines[i], lines[i+1])
		}
		proto := strings.TrimSuffix(names[0], ":")
		for j := 1; j < len(names); j++ {
			v, err := strconv.ParseInt(vals[j], 10, 64) // Tcp MaxConn is -1
			if err != nil {
				t.Fatalf("/proc/net/snmp %s %s: %q", proto, names[j], vals[j])
			}
			m[proto+names[j]] = uint64(v)
		}
	}
	return m
}

// sysStat reads /sys/class/net/DEV/statistics/NAME (or, for "ifindex",
// /sys/class/net/DEV/ifindex) in the namespace ns: the kernel's own
// per-device counters, as net/core/net-sysfs.c prints them.
func sysStat(t *testing.T, ns, dev, name string) uint64 {
	t.Helper()
	path := "/sys/class/net/" + dev + "/statistics/" + name
	if name == "ifindex" {
		path = "/sys/class/net/" + dev + "/ifindex"
	}
	out := strings.TrimSpace(cmd(t, "ip", "netns", "exec", ns, "cat", path))
	v, err := strconv.ParseUint(out, 10, 64)
	if err != nil {
		t.Fatalf("%s: %q", path, out)
	}
	return v
}

// grown returns how much a counter grew between two snapshots, and the
// Change Diff made of it (ok false if Diff saw no change).
func grown(t *testing.T, prev, cur *Snapshot, src Source, obj, name string) (uint64, Change, bool) {
	t.Helper()
	delta := mustValue(t, cur, src, obj, name) - mustValue(t, prev, src, obj, name)
	c, ok := changeOf(Diff(prev, cur), src, obj, name)
	return delta, c, ok
}

// TestVMSources takes a snapshot of every source in the guest's initial
// namespace (lo only: qemu's NIC has no driver loaded) and wants every
// source read without an error; then it copies the kernel's /proc/net
// files to the host's testdata-to-be, with the tools' view of the same
// moment, and runs TestLiveVeth again with its capture on, for the
// rtnetlink dumps (TestVMVethDropAndEthtool saves the ethtool-netlink
// ones: the initial namespace has no device with driver statistics).
func TestVMSources(t *testing.T) {
	dir := inVM(t)
	r, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s := snap(t, r)
	for _, e := range s.Errors {
		t.Errorf("source error: %v", e)
	}
	if fmt.Sprint(s.Read) != fmt.Sprint(AllSources) {
		t.Errorf("sources read %v, want %v", s.Read, AllSources)
	}
	per := map[Source]int{}
	for _, c := range s.Counters {
		per[c.Source]++
	}
	t.Logf("%s: %d counters: %v", os.Getenv("DROPWATCH_VM_KERNEL"), len(s.Counters), per)
	for _, src := range []Source{Link, Softnet, SNMP, Qdisc} {
		if per[src] == 0 {
			t.Errorf("no %v counters", src)
		}
	}

	// A few drops first, so that the files show them: the initial
	// namespace is quiet (the tests before this one made their drops in
	// namespaces of their own), so Udp NoPorts, read here by dropgen,
	// should be exactly what the files then show, and ICMP has its port
	// unreachables (IcmpMsgInType3).
	before, err := dropgen.NoPorts()
	if err != nil {
		t.Fatal(err)
	}
	const drops = 5
	if made, err := dropgen.Make(drops); err != nil || made != drops {
		t.Fatalf("dropgen.Make(%d) = %d, %v", drops, made, err)
	}
	got, err := dropgen.CountedSince(before, drops, 5*time.Second)
	if err != nil || got != drops {
		t.Fatalf("Udp NoPorts +%d (%v), want %d", got, err, drops)
	}
	after, err := dropgen.NoPorts()
	if err != nil {
		t.Fatal(err)
	}

	// The kernel's files, copied as they are, for the unit tests.
	pn := filepath.Join(dir, "proc", "net")
	if err := os.MkdirAll(pn, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"snmp", "snmp6", "netstat", "softnet_stat", "dev"} {
		b, err := os.ReadFile("/proc/net/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pn, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	uname := cmd(t, "uname", "-r")
	cpus := cmd(t, "nproc")
	tools := map[string]string{
		"uname-r.txt":      uname,
		"nproc.txt":        cpus,
		"ip-s-s-link.txt":  cmd(t, "ip", "-s", "-s", "link"),
		"tc-s-qdisc.txt":   cmd(t, "tc", "-s", "qdisc"),
		"kfree_skb-format": kfreeSkbFormat(t),
		// dropgen's own reading of Udp NoPorts, before the copies.
		"udp-noports.txt": fmt.Sprintf("before %d after %d\n", before, after),
	}
	for name, b := range tools {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("kernel %s, %s CPUs: files in %s", strings.TrimSpace(uname), strings.TrimSpace(cpus), dir)

	t.Run("capture-netns-veth", func(t *testing.T) {
		d := filepath.Join(dir, "netns-veth")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Setenv("DROPWATCH_CAPTURE_DIR", d)
		TestLiveVeth(t)
	})
}

// kfreeSkbFormat reads the kfree_skb tracepoint's format file (whose
// print fmt lists the kernel's drop reasons) from a tracefs mounted for
// the purpose: the guests mount none.
func kfreeSkbFormat(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("nodev", dir, "tracefs", 0, ""); err != nil {
		t.Fatalf("mounting tracefs on %s: %v", dir, err)
	}
	defer unix.Unmount(dir, 0)
	b, err := os.ReadFile(filepath.Join(dir, "events", "skb", "kfree_skb", "format"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestVMUDPNoPorts: dropgen sends datagrams to a closed port on 127.0.0.1
// in the guest's initial namespace (__udp4_lib_rcv frees each with
// SKB_DROP_REASON_NO_SOCKET): Diff's UdpNoPorts grows by exactly that
// many, and so does the kernel's, read by dropgen on its own.
func TestVMUDPNoPorts(t *testing.T) {
	inVM(t)
	r, err := New(Config{Sources: []Source{SNMP}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const n = 25
	base := snap(t, r)
	before, err := dropgen.NoPorts()
	if err != nil {
		t.Fatal(err)
	}
	made, err := dropgen.Make(n)
	if err != nil || made != n {
		t.Fatalf("dropgen.Make(%d) = %d, %v", n, made, err)
	}
	kernel, err := dropgen.CountedSince(before, n, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cur := settle(t, r, func(s *Snapshot) bool {
		v, _ := value(s, SNMP, "", "UdpNoPorts")
		return v-mustValue(t, base, SNMP, "", "UdpNoPorts") >= n
	})
	delta, c, ok := grown(t, base, cur, SNMP, "", "UdpNoPorts")
	t.Logf("%d datagrams to a closed port: UdpNoPorts +%d (Diff %+d, class %v); /proc/net/snmp Udp NoPorts +%d", n, delta, c.Delta, c.Class, kernel)
	if kernel != n || delta != n || !ok || c.Delta != n || c.Class != ClassDrop {
		t.Errorf("want UdpNoPorts +%d everywhere, a drop", n)
	}
	for _, name := range []string{"UdpNoPorts", "NO_SOCKET"} {
		if e := Explain(name); len(e) != 1 || e[0].Remedy == "" {
			t.Errorf("Explain(%s) = %+v", name, e)
		}
	}
}

// TestVMUDPRcvbufErrors: a socket with the smallest receive buffer that
// never reads. The datagrams that do not fit are dropped by
// __udp_queue_rcv_skb (reason SOCKET_RCVBUFF), which counts each in
// UdpRcvbufErrors and UdpInErrors: Diff's growth of both is the kernel's,
// read from /proc/net/snmp by the test, and with the datagrams queued
// makes up every one sent.
func TestVMUDPRcvbufErrors(t *testing.T) {
	inVM(t)
	name, ns := newNetns(t)
	r, err := New(Config{NetNS: ns, Sources: []Source{SNMP}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rcv := udpSocket(t, ns)
	if err := unix.SetsockoptInt(rcv, unix.SOL_SOCKET, unix.SO_RCVBUF, 0); err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(rcv, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(rcv)
	port := sa.(*unix.SockaddrInet4).Port

	k0 := kernelSNMP(t, name)
	base := snap(t, r)
	const n = 100
	sendUDP(t, udpSocket(t, ns), [4]byte{127, 0, 0, 1}, port, n, 1000)
	cur := settle(t, r, func(s *Snapshot) bool {
		a, _ := value(s, SNMP, "", "UdpRcvbufErrors")
		b, _ := value(s, SNMP, "", "UdpInDatagrams")
		return a+b-mustValue(t, base, SNMP, "", "UdpRcvbufErrors")-mustValue(t, base, SNMP, "", "UdpInDatagrams") > 0
	})
	k1 := kernelSNMP(t, name)
	queued := uint64(0)
	buf := make([]byte, 2000)
	for {
		if _, _, err := unix.Recvfrom(rcv, buf, unix.MSG_DONTWAIT); err != nil {
			break
		}
		queued++
	}
	rb, c, ok := grown(t, base, cur, SNMP, "", "UdpRcvbufErrors")
	ie, _, _ := grown(t, base, cur, SNMP, "", "UdpInErrors")
	krb, kie := k1["UdpRcvbufErrors"]-k0["UdpRcvbufErrors"], k1["UdpInErrors"]-k0["UdpInErrors"]
	t.Logf("sent %d to a socket with SO_RCVBUF 0: %d queued; UdpRcvbufErrors +%d (Diff %+d, %v), UdpInErrors +%d; /proc/net/snmp: RcvbufErrors +%d, InErrors +%d",
		n, queued, rb, c.Delta, c.Class, ie, krb, kie)
	if rb == 0 || rb != krb || ie != kie || ie != rb || rb+queued != n {
		t.Errorf("want UdpRcvbufErrors > 0, equal to the kernel's and to UdpInErrors, and with the queued ones = %d", n)
	}
	if !ok || c.Delta != rb || c.Class != ClassDrop {
		t.Errorf("Diff: UdpRcvbufErrors %+v (found %v)", c, ok)
	}
}

// TestVMQdiscDrop: a tbf qdisc whose queue holds 1 byte, on a veth
// interface (peer up) in a namespace of the test's own, drops every datagram sent
// through it (qdisc_drop, reason QDISC_DROP on 6.12's tracepoint). Diff's
// growth of its drops is the number sent and tc's (the kernel's own
// view, through iproute2); the datagrams never reach the device, whose
// tx_packets and tx_dropped in /sys stay. The sender's UDP counts each
// failed send (ENOBUFS, which udp_send_skb swallows) as UdpSndbufErrors:
// ours and the kernel's must agree.
func TestVMQdiscDrop(t *testing.T) {
	inVM(t)
	name, ns := newNetns(t)
	ipn := func(args ...string) string { return cmd(t, "ip", append([]string{"-n", name}, args...)...) }
	ipn("link", "add", "qd0", "type", "veth", "peer", "name", "peer0")
	ipn("addr", "add", "10.97.0.1/24", "dev", "qd0")
	ipn("link", "set", "peer0", "up")
	ipn("link", "set", "qd0", "up")
	waitOperstate(t, name, "qd0", "UP")
	// A static neighbour: no ARP, which the qdisc would drop too.
	ipn("neigh", "add", "10.97.0.2", "lladdr", "02:00:00:00:00:02", "dev", "qd0", "nud", "permanent")
	cmd(t, "tc", "-n", name, "qdisc", "add", "dev", "qd0", "root", "handle", "1:", "tbf", "rate", "8kbit", "burst", "1600", "limit", "1")
	r, err := New(Config{NetNS: ns})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tcDrops := func() uint64 {
		var qs []struct {
			Kind  string `json:"kind"`
			Drops uint64 `json:"drops"`
		}
		out := cmd(t, "tc", "-n", name, "-s", "-j", "qdisc", "show", "dev", "qd0")
		if err := json.Unmarshal([]byte(out), &qs); err != nil || len(qs) != 1 || qs[0].Kind != "tbf" {
			t.Fatalf("tc -s -j qdisc show dev qd0: %q: %v", out, err)
		}
		return qs[0].Drops
	}
	const tbf = "tbf 1: dev qd0 root"
	base := snap(t, r)
	if len(base.Errors) != 0 {
		t.Fatalf("errors: %v", base.Errors)
	}
	k0, tc0 := kernelSNMP(t, name), tcDrops()
	tx0, txd0 := sysStat(t, name, "qd0", "tx_packets"), sysStat(t, name, "qd0", "tx_dropped")
	const n = 20
	sendUDP(t, udpSocket(t, ns), [4]byte{10, 97, 0, 2}, 9, n, 64)
	cur := settle(t, r, func(s *Snapshot) bool {
		v, _ := value(s, Qdisc, tbf, "drops")
		return v-mustValue(t, base, Qdisc, tbf, "drops") >= n
	})
	k1, tc1 := kernelSNMP(t, name), tcDrops()
	drops, c, ok := grown(t, base, cur, Qdisc, tbf, "drops")
	sb, _, _ := grown(t, base, cur, SNMP, "", "UdpSndbufErrors")
	ksb := k1["UdpSndbufErrors"] - k0["UdpSndbufErrors"]
	tx, txd := sysStat(t, name, "qd0", "tx_packets")-tx0, sysStat(t, name, "qd0", "tx_dropped")-txd0
	t.Logf("%d datagrams into %s: drops +%d (Diff %+d, %v), tc +%d; UdpSndbufErrors +%d, /proc/net/snmp +%d; /sys qd0 tx_packets +%d tx_dropped +%d",
		n, tbf, drops, c.Delta, c.Class, tc1-tc0, sb, ksb, tx, txd)
	if drops != n || tc1-tc0 != n || !ok || c.Delta != n || c.Class != ClassDrop {
		t.Errorf("want %s drops +%d in ours, Diff's and tc's view", tbf, n)
	}
	if sb != ksb {
		t.Errorf("UdpSndbufErrors: ours +%d, the kernel's +%d", sb, ksb)
	}
	if tx != 0 || txd != 0 {
		t.Errorf("qd0 sent %d and dropped %d: the qdisc should have dropped them all before", tx, txd)
	}
	if ltx, _, _ := grown(t, base, cur, Link, "qd0", "tx_packets"); ltx != tx {
		t.Errorf("qd0 tx_packets: ours +%d, /sys +%d", ltx, tx)
	}
}

// TestVMVethDropAndEthtool: packets longer than the peer's MTU cannot be
// forwarded (__dev_forward_skb): veth_xmit drops each and counts it in
// the sender's tx_dropped, and the peer's rx_dropped: Diff's growth of
// both is the number sent and /sys/class/net/*/statistics'. (With the
// peer down instead, Debian's 6.1 sometimes drops them in the noop qdisc,
// uncounted: the guests showed both.) veth
// has driver statistics (ethtool -S): ours equal ethtool's, and their
// peer_ifindex is vb's ifindex in /sys.
func TestVMVethDropAndEthtool(t *testing.T) {
	inVM(t)
	name, ns := newNetns(t)
	ipn := func(args ...string) string { return cmd(t, "ip", append([]string{"-n", name}, args...)...) }
	ipn("link", "add", "va", "type", "veth", "peer", "name", "vb")
	ipn("addr", "add", "10.96.0.1/24", "dev", "va")
	ipn("link", "set", "vb", "mtu", "1280")
	ipn("link", "set", "vb", "up")
	ipn("link", "set", "va", "up")
	waitOperstate(t, name, "va", "UP")
	ipn("neigh", "add", "10.96.0.2", "lladdr", "02:00:00:00:00:02", "dev", "va", "nud", "permanent")
	r, err := New(Config{NetNS: ns})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	base := snap(t, r)
	if len(base.Errors) != 0 {
		t.Fatalf("errors: %v", base.Errors)
	}
	k0, kb0 := sysStat(t, name, "va", "tx_dropped"), sysStat(t, name, "vb", "rx_dropped")
	const n = 7
	sendUDP(t, udpSocket(t, ns), [4]byte{10, 96, 0, 2}, 9, n, 1400)
	cur := settle(t, r, func(s *Snapshot) bool {
		v, _ := value(s, Link, "va", "tx_dropped")
		return v-mustValue(t, base, Link, "va", "tx_dropped") >= n
	})
	k, kb := sysStat(t, name, "va", "tx_dropped")-k0, sysStat(t, name, "vb", "rx_dropped")-kb0
	d, c, ok := grown(t, base, cur, Link, "va", "tx_dropped")
	rd, rc, rok := grown(t, base, cur, Link, "vb", "rx_dropped")
	t.Logf("%d datagrams of 1428 bytes out of va to vb (MTU 1280): va tx_dropped +%d (Diff %+d, %v), /sys +%d; vb rx_dropped +%d (Diff %+d, %v), /sys +%d",
		n, d, c.Delta, c.Class, k, rd, rc.Delta, rc.Class, kb)
	if d != n || k != n || !ok || c.Delta != n || c.Class != ClassDrop {
		t.Errorf("want va tx_dropped +%d in ours, Diff's and /sys", n)
	}
	if rd != n || kb != n || !rok || rc.Delta != n || rc.Class != ClassDrop {
		t.Errorf("want vb rx_dropped +%d in ours, Diff's and /sys", n)
	}

	eth := ours(cur, Ethtool)["va"]
	if len(eth) == 0 {
		t.Fatal("no ethtool statistics for va")
	}
	if peer := sysStat(t, name, "vb", "ifindex"); eth["peer_ifindex"] != peer {
		t.Errorf("va peer_ifindex %d, /sys/class/net/vb/ifindex %d", eth["peer_ifindex"], peer)
	}
	tool := map[string]uint64{}
	for _, line := range strings.Split(cmd(t, "ip", "netns", "exec", name, "ethtool", "-S", "va"), "\n") {
		k, v, found := strings.Cut(line, ":")
		if !found || strings.HasPrefix(line, "NIC statistics") {
			continue
		}
		x, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			t.Fatalf("ethtool -S va: %q", line)
		}
		tool[strings.TrimSpace(k)] = x
	}
	for k, v := range tool {
		if got, found := eth[k]; !found || got != v {
			t.Errorf("ethtool -S va %s = %d, ours %d (found %v)", k, v, got, found)
		}
	}
	if len(tool) != len(eth) {
		t.Errorf("ethtool -S va has %d statistics, ours %d", len(tool), len(eth))
	}
	t.Logf("va: %d ethtool statistics, equal to ethtool -S's; peer_ifindex %d", len(eth), eth["peer_ifindex"])

	// The ethtool-netlink replies of a fresh Reader here (the string
	// sets, and the STATS_GET dump of lo, va and vb), with ethtool's
	// view of the groups, for TestEthtoolNetlinkCaptures.
	r2, err := New(Config{NetNS: ns, Sources: []Source{Ethtool}})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	raw := map[uint8][]byte{}
	r2.gcapture = func(cmd uint8, msgs []genetlink.Message) { raw[cmd] = append(raw[cmd], genlData(msgs)...) }
	if s := snap(t, r2); len(s.Errors) != 0 {
		t.Fatalf("errors: %v", s.Errors)
	}
	// And the names of each group's statistics (string sets
	// ETH_SS_STATS_STD+1...), which no snapshot here needs: veth fills
	// no group.
	var ids []uint32
	for i := range r2.sets[ethSSStatsStd] {
		ids = append(ids, ethSSStatsStd+1+uint32(i))
	}
	if err := r2.loadStringSets(ids); err != nil {
		t.Fatal(err)
	}
	t.Logf("standard groups of this kernel: %v", r2.sets[ethSSStatsStd])
	dir := filepath.Join(inVM(t), "ethtool-netlink")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"ethtool-stats-get.bin":            raw[unix.ETHTOOL_MSG_STATS_GET],
		"ethtool-strset-get.bin":           raw[unix.ETHTOOL_MSG_STRSET_GET],
		"ethtool-json-S-va-all-groups.txt": []byte(cmd(t, "ip", "netns", "exec", name, "ethtool", "--json", "-S", "va", "--all-groups")),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestVMNetfilterDrop: an nftables rule on the input hook drops datagrams
// to a port a socket listens on, in a namespace of the test's own
// (nf_hook_slow frees them with reason NETFILTER_DROP). No MIB counter
// says so: the rule's own counter (nft -j list ruleset) has them all, lo
// has carried them (ours and /sys agree), UdpInDatagrams stays, and the
// socket has nothing to read. This is what the drop monitor is for.
func TestVMNetfilterDrop(t *testing.T) {
	inVM(t)
	name, ns := newNetns(t)
	rcv := udpSocket(t, ns)
	if err := unix.Bind(rcv, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(rcv)
	port := sa.(*unix.SockaddrInet4).Port
	rules := filepath.Join(t.TempDir(), "rules.nft")
	ruleset := fmt.Sprintf("table ip dwtest {\n\tchain in {\n\t\ttype filter hook input priority 0; policy accept;\n\t\tudp dport %d counter drop\n\t}\n}\n", port)
	if err := os.WriteFile(rules, []byte(ruleset), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd(t, "ip", "netns", "exec", name, "nft", "-f", rules)
	nftCount := func() uint64 {
		n, err := dropgen.NftCounterPackets([]byte(cmd(t, "ip", "netns", "exec", name, "nft", "-j", "list", "ruleset")))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	r, err := New(Config{NetNS: ns})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	base := snap(t, r)
	k0, nf0, lo0 := kernelSNMP(t, name), nftCount(), sysStat(t, name, "lo", "rx_packets")
	const n = 11
	sendUDP(t, udpSocket(t, ns), [4]byte{127, 0, 0, 1}, port, n, 64)
	cur := settle(t, r, func(s *Snapshot) bool {
		v, _ := value(s, Link, "lo", "rx_packets")
		return v-mustValue(t, base, Link, "lo", "rx_packets") >= n
	})
	k1, nf, lo := kernelSNMP(t, name), nftCount()-nf0, sysStat(t, name, "lo", "rx_packets")-lo0
	rx, _, _ := grown(t, base, cur, Link, "lo", "rx_packets")
	in, _, _ := grown(t, base, cur, SNMP, "", "UdpInDatagrams")
	t.Logf("%d datagrams to a port an nft rule drops: rule counter +%d; lo rx_packets +%d, /sys +%d; UdpInDatagrams +%d, /proc/net/snmp +%d",
		n, nf, rx, lo, in, k1["UdpInDatagrams"]-k0["UdpInDatagrams"])
	if nf != n || rx != n || lo != n || in != 0 || k1["UdpInDatagrams"] != k0["UdpInDatagrams"] {
		t.Errorf("want the rule's counter and lo rx_packets +%d, UdpInDatagrams +0", n)
	}
	if _, _, err := unix.Recvfrom(rcv, make([]byte, 100), unix.MSG_DONTWAIT); err == nil {
		t.Error("the socket received a datagram the rule should have dropped")
	}
	for _, c := range Diff(base, cur).Changes {
		if c.Source == SNMP && (c.Class == ClassDrop || c.Class == ClassError) {
			t.Errorf("a netfilter drop moved %s (+%d, %v)", c.Name, c.Delta, c.Class)
		}
	}
	if e := Explain("NETFILTER_DROP"); len(e) != 1 {
		t.Errorf("Explain(NETFILTER_DROP) = %+v", e)
	}
}
