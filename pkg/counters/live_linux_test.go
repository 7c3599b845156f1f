package counters

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// The tests in this file make real drops on this machine's kernel. They
// send traffic only to 127.0.0.1 and to addresses inside network
// namespaces they create themselves, and need root (to create the
// namespaces) and iproute2; without them they skip and say why.

var nsSeq atomic.Int32

func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces (ip netns add)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip: " + err.Error())
	}
}

// cmd runs a command with a 20 s timeout and returns its standard output.
func cmd(t testing.TB, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("%s %s: %v %s", name, strings.Join(args, " "), err, msg)
	}
	return string(out)
}

// newNetns creates a network namespace with IPv6 off (so that no
// neighbour discovery moves counters behind the test's back) and lo up,
// removed at the end of the test. It returns its name and an open fd.
func newNetns(t testing.TB) (string, int) {
	t.Helper()
	name := fmt.Sprintf("dwcounters-%d-%d", os.Getpid(), nsSeq.Add(1))
	cmd(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	cmd(t, "ip", "netns", "exec", name, "sh", "-c",
		"echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6 && echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6")
	cmd(t, "ip", "-n", name, "link", "set", "lo", "up")
	f, err := os.Open(filepath.Join("/run/netns", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return name, int(f.Fd())
}

// udpSocket opens a UDP socket in the namespace.
func udpSocket(t testing.TB, ns int) int {
	t.Helper()
	var fd int
	err := inNetNS(ns, func() error {
		var err error
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func sendUDP(t testing.TB, fd int, addr [4]byte, port, n, size int) {
	t.Helper()
	buf := make([]byte, size)
	for i := 0; i < n; i++ {
		if err := unix.Sendto(fd, buf, 0, &unix.SockaddrInet4{Port: port, Addr: addr}); err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
	}
}

func snap(t testing.TB, r *Reader) *Snapshot {
	t.Helper()
	s, err := r.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// settle takes snapshots until cond holds for the growth of the named
// counters since base (the kernel may count in softirq after sendto
// returns), for at most 3 s, then one more after 100 ms so that a count
// still growing past the wanted value is seen. It returns that snapshot.
func settle(t testing.TB, r *Reader, cond func(*Snapshot) bool) *Snapshot {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		s := snap(t, r)
		if cond(s) || time.Now().After(deadline) {
			time.Sleep(100 * time.Millisecond)
			return snap(t, r)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func changeOf(d Delta, src Source, obj, name string) (Change, bool) {
	for _, c := range d.Changes {
		if c.Source == src && c.Object == obj && c.Name == name {
			return c, true
		}
	}
	return Change{}, false
}

// TestLiveUDPNoPorts sends datagrams to a closed port on 127.0.0.1 in a
// namespace of its own, where nothing else sends: UdpNoPorts must grow by
// exactly the number sent, and Diff must put it among the drops.
func TestLiveUDPNoPorts(t *testing.T) {
	needRoot(t)
	_, ns := newNetns(t)
	r, err := New(Config{NetNS: ns, Sources: []Source{SNMP}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// A port that was free a moment ago: bind, read it back, close.
	probe := udpSocket(t, ns)
	if err := unix.Bind(probe, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(probe)
	if err != nil {
		t.Fatal(err)
	}
	port := sa.(*unix.SockaddrInet4).Port
	unix.Close(probe)

	base := snap(t, r)
	if len(base.Errors) != 0 {
		t.Fatalf("errors: %v", base.Errors)
	}
	const n = 37
	sendUDP(t, udpSocket(t, ns), [4]byte{127, 0, 0, 1}, port, n, 32)
	b0 := mustValue(t, base, SNMP, "", "UdpNoPorts")
	// A new namespace's MIBs start at zero: the Reader reads the
	// namespace's files, not the host's.
	if b0 != 0 {
		t.Fatalf("UdpNoPorts %d in a new namespace, want 0", b0)
	}
	cur := settle(t, r, func(s *Snapshot) bool { v, _ := value(s, SNMP, "", "UdpNoPorts"); return v-b0 >= n })
	if got := mustValue(t, cur, SNMP, "", "UdpNoPorts") - b0; got != n {
		t.Fatalf("UdpNoPorts grew by %d, want %d", got, n)
	}
	d := Diff(base, cur)
	c, ok := changeOf(d, SNMP, "", "UdpNoPorts")
	if !ok || c.Delta != n || c.Class != ClassDrop || c.Rate <= 0 {
		t.Fatalf("UdpNoPorts change %+v (found %v), want delta %d, class drop", c, ok, n)
	}
	if d.Changes[0].Class != ClassDrop {
		t.Errorf("first change %+v is not a drop", d.Changes[0])
	}
	// The host namespace's counter is another one: it must not have seen them.
	t.Logf("UdpNoPorts +%d in the test's namespace; changes: %d", c.Delta, len(d.Changes))
}

// TestLiveUDPRcvbufErrors fills a socket with the smallest receive buffer
// that does not read: the datagrams that do not fit grow UdpRcvbufErrors
// and UdpInErrors alike (__udp_queue_rcv_skb counts both). Then it reads
// what was queued, which udp_recvmsg counts in UdpInDatagrams: every
// datagram sent is one or the other.
func TestLiveUDPRcvbufErrors(t *testing.T) {
	needRoot(t)
	_, ns := newNetns(t)
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

	base := snap(t, r)
	const n = 100
	sendUDP(t, udpSocket(t, ns), [4]byte{127, 0, 0, 1}, port, n, 1000)
	grew := func(s *Snapshot, name string) uint64 {
		return mustValue(t, s, SNMP, "", name) - mustValue(t, base, SNMP, "", name)
	}
	// Loopback delivers in the sender's softirq, so the counts are done
	// when sendto returns; settle covers a slower path all the same.
	full := settle(t, r, func(s *Snapshot) bool { return grew(s, "UdpRcvbufErrors") > 0 })
	queued := uint64(0)
	buf := make([]byte, 2000)
	for {
		if _, _, err := unix.Recvfrom(rcv, buf, unix.MSG_DONTWAIT); err != nil {
			break
		}
		queued++
	}
	cur := settle(t, r, func(s *Snapshot) bool { return grew(s, "UdpInDatagrams") >= queued })
	in, rb, ie := grew(cur, "UdpInDatagrams"), grew(cur, "UdpRcvbufErrors"), grew(cur, "UdpInErrors")
	t.Logf("sent %d: %d queued and read (UdpInDatagrams +%d), UdpRcvbufErrors +%d, UdpInErrors +%d", n, queued, in, rb, ie)
	if rb == 0 || rb+queued != n || in != queued || ie != rb {
		t.Fatalf("want UdpRcvbufErrors > 0, UdpRcvbufErrors + read = %d, UdpInDatagrams = read, UdpInErrors = UdpRcvbufErrors", n)
	}
	if c, ok := changeOf(Diff(base, full), SNMP, "", "UdpRcvbufErrors"); !ok || c.Delta != rb || c.Class != ClassDrop {
		t.Errorf("Diff: UdpRcvbufErrors %+v", c)
	}
}

// TestLiveVeth makes drops on a veth pair in a namespace of its own and
// checks them against what ip, tc and ethtool print:
//   - a tbf qdisc with a 1-byte limit drops every packet sent through it:
//     its drops grow by exactly the number sent;
//   - packets longer than the peer's MTU: veth_xmit (drivers/net/veth.c)
//     drops every one and counts it as the sender's tx_dropped;
//   - then, with the namespace quiet, every link counter equals ip -s -s
//     link's, every qdisc counter tc -s qdisc's, and every ethtool counter
//     ethtool -S's (veth has driver statistics).
func TestLiveVeth(t *testing.T) {
	needRoot(t)
	if _, err := exec.LookPath("tc"); err != nil {
		t.Skip("needs iproute2's tc")
	}
	name, ns := newNetns(t)
	ipn := func(args ...string) string { return cmd(t, "ip", append([]string{"-n", name}, args...)...) }
	ipn("link", "add", "va", "type", "veth", "peer", "name", "vb")
	ipn("addr", "add", "10.99.0.1/24", "dev", "va")
	ipn("link", "set", "va", "up")
	ipn("link", "set", "vb", "up")
	waitOperstate(t, name, "va", "UP")
	// A static neighbour: no ARP, so every datagram is one packet.
	ipn("neigh", "add", "10.99.0.2", "lladdr", "02:00:00:00:00:02", "dev", "va", "nud", "permanent")
	cmd(t, "tc", "-n", name, "qdisc", "add", "dev", "va", "root", "handle", "1:", "tbf", "rate", "8kbit", "burst", "1600", "limit", "1")

	r, err := New(Config{NetNS: ns})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	base := snap(t, r)
	if len(base.Errors) != 0 {
		t.Fatalf("errors: %v", base.Errors)
	}
	tbf := "tbf 1: dev va root"
	sock := udpSocket(t, ns)
	const n = 20
	sendUDP(t, sock, [4]byte{10, 99, 0, 2}, 9, n, 64)
	b0 := mustValue(t, base, Qdisc, tbf, "drops")
	cur := settle(t, r, func(s *Snapshot) bool { v, _ := value(s, Qdisc, tbf, "drops"); return v-b0 >= n })
	if got := mustValue(t, cur, Qdisc, tbf, "drops") - b0; got != n {
		t.Fatalf("%s: drops grew by %d, want %d", tbf, got, n)
	}
	if c, ok := changeOf(Diff(base, cur), Qdisc, tbf, "drops"); !ok || c.Delta != n || c.Class != ClassDrop {
		t.Errorf("Diff: %s drops %+v", tbf, c)
	}
	for _, c := range cur.Counters {
		if c.Source == Ethtool && c.Name == "peer_ifindex" && !c.Gauge {
			t.Errorf("%s peer_ifindex is not a gauge", c.Object)
		}
	}
	// The qdisc's drops are its own: the packets never reached the
	// device, whose tx_dropped stays.
	if got := mustValue(t, cur, Link, "va", "tx_dropped") - mustValue(t, base, Link, "va", "tx_dropped"); got != 0 {
		t.Errorf("va tx_dropped grew by %d with the qdisc dropping; want 0", got)
	}

	// Packets longer than the peer's MTU: veth_xmit cannot forward them
	// (__dev_forward_skb, is_skb_forwardable), counts each in vb's
	// rx_dropped and in its own tx_dropped. (With the peer down instead,
	// Debian's 6.1 drops them in the noop qdisc, uncounted, at least for
	// a while after the carrier change.)
	cmd(t, "tc", "-n", name, "qdisc", "del", "dev", "va", "root")
	ipn("link", "set", "vb", "mtu", "1280")
	base = snap(t, r)
	const m = 5
	sendUDP(t, sock, [4]byte{10, 99, 0, 2}, 9, m, 1400)
	t0 := mustValue(t, base, Link, "va", "tx_dropped")
	cur = settle(t, r, func(s *Snapshot) bool { v, _ := value(s, Link, "va", "tx_dropped"); return v-t0 >= m })
	if got := mustValue(t, cur, Link, "va", "tx_dropped") - t0; got != m {
		t.Fatalf("va tx_dropped grew by %d, want %d", got, m)
	}
	if got := mustValue(t, cur, Link, "vb", "rx_dropped") - mustValue(t, base, Link, "vb", "rx_dropped"); got != m {
		t.Errorf("vb rx_dropped grew by %d, want %d", got, m)
	}
	ipn("link", "set", "vb", "mtu", "1500")
	d := Diff(base, cur)
	if c, ok := changeOf(d, Link, "va", "tx_dropped"); !ok || c.Delta != m || c.Class != ClassDrop {
		t.Errorf("Diff: va tx_dropped %+v", c)
	}
	// The qdisc deleted above vanished between the two snapshots? No: it
	// was deleted before base. The noqueue that replaced it is in both.
	if len(d.Vanished) != 0 || len(d.Appeared) != 0 {
		t.Errorf("appeared %v, vanished %v; want none", d.Appeared, d.Vanished)
	}

	// Quiet now: compare everything with the tools' own view, with some
	// of each kind of counter not zero: tx_dropped from above, traffic
	// that vb received, and 3 drops of a new tbf qdisc.
	// The frames go to the static neighbour's MAC address, which is not
	// vb's: vb drops each as rx_otherhost_dropped (Linux 5.19+,
	// ip_rcv_core's PACKET_OTHERHOST check).
	base = snap(t, r)
	sendUDP(t, sock, [4]byte{10, 99, 0, 2}, 9, 4, 100)
	o0 := mustValue(t, base, Link, "vb", "rx_otherhost_dropped")
	cur = settle(t, r, func(s *Snapshot) bool { v, _ := value(s, Link, "vb", "rx_otherhost_dropped"); return v-o0 >= 4 })
	if got := mustValue(t, cur, Link, "vb", "rx_otherhost_dropped") - o0; got != 4 {
		t.Errorf("vb rx_otherhost_dropped grew by %d, want 4", got)
	}
	cmd(t, "tc", "-n", name, "qdisc", "add", "dev", "va", "root", "handle", "1:", "tbf", "rate", "8kbit", "burst", "1600", "limit", "1")
	sendUDP(t, sock, [4]byte{10, 99, 0, 2}, 9, 3, 64)
	time.Sleep(100 * time.Millisecond)
	var rawLinks, rawQdiscs []byte
	r.capture = func(typ netlink.HeaderType, msgs []netlink.Message) {
		b := rawMessages(t, msgs)
		if typ == unix.RTM_GETLINK {
			rawLinks = b
		} else {
			rawQdiscs = b
		}
	}
	s := snap(t, r)
	r.capture = nil
	ipOut := cmd(t, "ip", "-n", name, "-s", "-s", "-j", "link", "show")
	tcOut := cmd(t, "tc", "-n", name, "-s", "-j", "qdisc", "show")
	ethOut := map[string]string{}
	if _, err := exec.LookPath("ethtool"); err != nil {
		// Not installed everywhere (apt-get install ethtool).
		t.Log("no ethtool: driver statistics not compared")
	} else {
		for _, dev := range []string{"va", "vb"} {
			ethOut[dev] = cmd(t, "ip", "netns", "exec", name, "ethtool", "-S", dev)
		}
	}
	compareWithTools(t, s, []byte(ipOut), []byte(tcOut), ethOut)
	compareProcNetDev(t, s, ns)

	if dir := os.Getenv("DROPWATCH_CAPTURE_DIR"); dir != "" {
		writeCapture(t, dir, rawLinks, rawQdiscs, ipOut, tcOut, ethOut)
	}
}

// TestLiveHost reads every source of the machine's own namespace: all of
// them must be read without errors (none needs a privilege), with the
// interfaces ip lists and a softnet line per online CPU.
func TestLiveHost(t *testing.T) {
	r, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s := snap(t, r)
	if len(s.Errors) != 0 {
		t.Errorf("errors: %v", s.Errors)
	}
	if diff := cmp.Diff(AllSources, s.Read); diff != "" {
		t.Errorf("sources read (-want +got):\n%s", diff)
	}
	if _, ok := value(s, Link, "lo", "rx_packets"); !ok {
		t.Error("no lo rx_packets")
	}
	if _, ok := value(s, SNMP, "", "UdpRcvbufErrors"); !ok {
		t.Error("no UdpRcvbufErrors")
	}
	cpus := map[string]bool{}
	for _, c := range s.Counters {
		if c.Source == Softnet {
			cpus[c.Object] = true
		}
	}
	b, err := os.ReadFile("/proc/net/softnet_stat")
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(b), "\n"); len(cpus) != lines {
		t.Errorf("%d CPUs in the snapshot, softnet_stat has %d lines", len(cpus), lines)
	}
}

// rawMessages concatenates messages as the kernel sent them.
func rawMessages(t testing.TB, msgs []netlink.Message) []byte {
	t.Helper()
	var out []byte
	for _, m := range msgs {
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

// writeCapture saves the namespace's raw dumps and the tools' output for
// TestRtnlCaptures (testdata/README.md says how it was run).
func writeCapture(t testing.TB, dir string, links, qdiscs []byte, ipOut, tcOut string, eth map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"rtm_getlink.bin":    links,
		"rtm_getqdisc.bin":   qdiscs,
		"ip-s-s-j-link.json": []byte(ipOut),
		"tc-s-j-qdisc.json":  []byte(tcOut),
		"ethtool-S-va.txt":   []byte(eth["va"]),
		"ethtool-S-vb.txt":   []byte(eth["vb"]),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("capture written to %s", dir)
}

// waitOperstate waits, at most 3 s, until dev's operstate is want: the
// kernel's linkwatch work applies a carrier change (and activates the
// device's qdisc) some time after the change, and until then packets are
// dropped by the noop qdisc rather than where the test expects.
func waitOperstate(t testing.TB, ns, dev, want string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		var links []struct {
			Operstate string `json:"operstate"`
		}
		out := cmd(t, "ip", "-n", ns, "-j", "link", "show", "dev", dev)
		if err := json.Unmarshal([]byte(out), &links); err != nil || len(links) != 1 {
			t.Fatalf("ip -j link show %s: %q: %v", dev, out, err)
		}
		if links[0].Operstate == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: operstate %s after 3 s, want %s", dev, links[0].Operstate, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLiveEthtoolStdGroups: the standard statistics groups are asked for
// as ethtool --all-groups asks for them. The drivers here (virtio_net,
// veth) fill none, so no counter comes of them, but the request must be
// accepted, and the group names read from the kernel's ETH_SS_STATS_STD
// string set must be the ones ethtool --json -S DEV --all-groups prints,
// in its order.
func TestLiveEthtoolStdGroups(t *testing.T) {
	if _, err := exec.LookPath("ethtool"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("needs ethtool: CI installs it (make testdeps)")
		}
		t.Skip("needs ethtool (make testdeps installs it)")
	}
	r, err := New(Config{Sources: []Source{Ethtool}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	raw := map[uint8][]byte{}
	r.gcapture = func(cmd uint8, msgs []genetlink.Message) { raw[cmd] = append(raw[cmd], genlData(msgs)...) }
	s := snap(t, r)
	if len(s.Errors) != 0 {
		t.Fatalf("errors: %v", s.Errors)
	}
	dev := ""
	for _, c := range s.Counters {
		dev = c.Object
		break
	}
	if dev == "" {
		t.Skip("no interface with driver statistics")
	}
	out := cmd(t, "ethtool", "--json", "-S", dev, "--all-groups")
	keys := ethtoolGroupKeys(out)
	if diff := cmp.Diff(keys, r.sets[ethSSStatsStd]); diff != "" {
		t.Errorf("group names (-ethtool +ours):\n%s", diff)
	}
	// The standard statistics we explain are named as this kernel names
	// them (its string sets ETH_SS_STATS_STD+1..+5: eth-phy, eth-mac,
	// eth-ctrl, rmon, phydev).
	ids := []uint32{}
	for i := range r.sets[ethSSStatsStd] {
		ids = append(ids, ethSSStatsStd+1+uint32(i))
	}
	if err := r.loadStringSets(ids); err != nil {
		t.Fatal(err)
	}
	kernel := map[string]bool{}
	for i, g := range r.sets[ethSSStatsStd] {
		for _, n := range r.sets[ids[i]] {
			kernel[g+"-"+n] = true
		}
	}
	for _, e := range Entries() {
		if e.Source == Ethtool && !kernel[e.Name] {
			t.Errorf("%s is not a standard statistic of this kernel", e.Name)
		}
	}
	t.Logf("groups %v; %d standard statistics named by the kernel", r.sets[ethSSStatsStd], len(kernel))
	if dir := os.Getenv("DROPWATCH_CAPTURE_DIR"); dir != "" {
		for name, b := range map[string][]byte{
			"ethtool-stats-get.bin":         raw[unix.ETHTOOL_MSG_STATS_GET],
			"ethtool-strset-get.bin":        raw[unix.ETHTOOL_MSG_STRSET_GET],
			"ethtool-json-S-all-groups.txt": []byte(out),
		} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range s.Counters {
		if strings.Contains(c.Name, "-") && strings.HasPrefix(c.Name, "eth-") {
			t.Logf("standard statistic %s %s = %d", c.Object, c.Name, c.Value)
		}
	}
}

// TestLiveTCPListenOverflows connects to a listener whose accept queue is
// full and that never accepts: the SYNs it cannot take grow
// TcpExtListenOverflows and TcpExtListenDrops (tcp_conn_request and
// tcp_listendrop), the counters of the example.
func TestLiveTCPListenOverflows(t *testing.T) {
	needRoot(t)
	_, ns := newNetns(t)
	r, err := New(Config{NetNS: ns, Sources: []Source{SNMP}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var lfd int
	err = inNetNS(ns, func() error {
		var err error
		lfd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(lfd)
	if err := unix.Bind(lfd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(lfd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(lfd)
	base := snap(t, r)
	for i := 0; i < 8; i++ {
		var c int
		err := inNetNS(ns, func() error {
			var err error
			c, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(c)
		if err := unix.Connect(c, sa); err != nil && err != unix.EINPROGRESS {
			t.Fatal(err)
		}
	}
	grew := func(s *Snapshot, name string) uint64 {
		return mustValue(t, s, SNMP, "", name) - mustValue(t, base, SNMP, "", name)
	}
	cur := settle(t, r, func(s *Snapshot) bool { return grew(s, "TcpExtListenOverflows") > 0 })
	ov, dr := grew(cur, "TcpExtListenOverflows"), grew(cur, "TcpExtListenDrops")
	t.Logf("8 connections to a full accept queue: TcpExtListenOverflows +%d, TcpExtListenDrops +%d", ov, dr)
	if ov == 0 || dr < ov {
		t.Fatalf("TcpExtListenOverflows +%d, TcpExtListenDrops +%d; want overflows > 0 and drops >= overflows", ov, dr)
	}
	c, ok := changeOf(Diff(base, cur), SNMP, "", "TcpExtListenDrops")
	if !ok || c.Class != ClassDrop {
		t.Errorf("Diff: TcpExtListenDrops %+v", c)
	}
	if e := Explain(c.Name); len(e) != 1 || e[0].Remedy == "" {
		t.Errorf("Explain(%s) = %+v", c.Name, e)
	}
}

// TestReaderDeadlines: with a timeout that has passed before the first
// request, every netlink source fails with os.ErrDeadlineExceeded instead
// of waiting, and the /proc sources are read all the same; a done context
// makes Snapshot return its error.
func TestReaderDeadlines(t *testing.T) {
	r, err := New(Config{Timeout: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s := snap(t, r)
	failed := map[string]bool{}
	for _, e := range s.Errors {
		if !errors.Is(e, os.ErrDeadlineExceeded) {
			t.Errorf("%v does not match os.ErrDeadlineExceeded", e)
		}
		failed[e.Source.String()+" "+e.Path] = true
	}
	for _, want := range []string{"link ", "qdisc "} {
		if !failed[want] {
			t.Errorf("no deadline error for %q; errors %v", want, s.Errors)
		}
	}
	if diff := cmp.Diff([]Source{Softnet, SNMP}, s.Read); diff != "" {
		t.Errorf("sources read (-want +got):\n%s", diff)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Snapshot(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Snapshot with a done context: %v, want context.Canceled", err)
	}
	r.Close()
	if _, err := r.Snapshot(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Snapshot of a closed Reader: %v, want ErrClosed", err)
	}
}

// genlData concatenates the replies' attribute data, each behind its
// length as a native-endian uint32 (splitGenl reads it back).
func genlData(msgs []genetlink.Message) []byte {
	var out []byte
	for _, m := range msgs {
		out = binary.NativeEndian.AppendUint32(out, uint32(len(m.Data)))
		out = append(out, m.Data...)
	}
	return out
}

// TestLiveAppearVanish: interfaces created between two snapshots are
// Appeared, deleted ones Vanished, and one deleted and created again
// under the same name (a new ifindex) counts from zero: its drops since
// it came back, not the difference from the old one's.
func TestLiveAppearVanish(t *testing.T) {
	needRoot(t)
	name, ns := newNetns(t)
	ipn := func(args ...string) string { return cmd(t, "ip", append([]string{"-n", name}, args...)...) }
	r, err := New(Config{NetNS: ns, Sources: []Source{Link}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	objects := func(os []Object) []string {
		var out []string
		for _, o := range os {
			out = append(out, o.Source.String()+" "+o.Name)
		}
		return out
	}
	s0 := snap(t, r)
	ipn("link", "add", "x0", "type", "veth", "peer", "name", "y0")
	s1 := snap(t, r)
	d := Diff(s0, s1)
	if diff := cmp.Diff([]string{"link x0", "link y0"}, objects(d.Appeared)); diff != "" {
		t.Errorf("appeared (-want +got):\n%s", diff)
	}
	// Make x0 drop 3 packets (longer than y0's MTU: veth_xmit drops
	// them), then delete the pair and create it again, and drop 2.
	drop := func(n int) {
		ipn("link", "set", "y0", "mtu", "1280")
		ipn("link", "set", "y0", "up")
		ipn("link", "set", "x0", "up")
		// Until linkwatch has run, the noop qdisc drops what is sent,
		// uncounted; linkwatch holds back an event that comes within a
		// second of the last one.
		waitOperstate(t, name, "x0", "UP")
		ipn("addr", "add", "10.98.0.1/24", "dev", "x0")
		ipn("neigh", "add", "10.98.0.2", "lladdr", "02:00:00:00:00:02", "dev", "x0", "nud", "permanent")
		sendUDP(t, udpSocket(t, ns), [4]byte{10, 98, 0, 2}, 9, n, 1400)
	}
	drop(3)
	s2 := settle(t, r, func(s *Snapshot) bool { v, _ := value(s, Link, "x0", "tx_dropped"); return v >= 3 })
	ipn("link", "del", "x0")
	s3 := snap(t, r)
	d = Diff(s2, s3)
	if diff := cmp.Diff([]string{"link x0", "link y0"}, objects(d.Vanished)); diff != "" {
		t.Errorf("vanished (-want +got):\n%s", diff)
	}
	ipn("link", "add", "x0", "type", "veth", "peer", "name", "y0")
	drop(2)
	s4 := settle(t, r, func(s *Snapshot) bool { v, _ := value(s, Link, "x0", "tx_dropped"); return v >= 2 })
	d = Diff(s2, s4) // across the re-creation: old x0 had 3
	c, ok := changeOf(d, Link, "x0", "tx_dropped")
	if !ok || c.Delta != 2 || !c.New || c.Prev != 3 {
		t.Errorf("x0 tx_dropped across its re-creation: %+v (found %v); want delta 2 from a new interface, prev 3", c, ok)
	}
	if diff := cmp.Diff([]string{"link x0", "link y0"}, objects(d.Appeared)); diff != "" {
		t.Errorf("re-created interfaces are new (-want +got):\n%s", diff)
	}
}

// compareProcNetDev checks how /proc/net/dev (and so netstat -i) folds
// the link counters, per dev_seq_printf_stats in net/core/net-procfs.c:
// its RX drop is rx_dropped + rx_missed_errors, frame is length + over +
// crc + frame errors, TX carrier is carrier + aborted + window +
// heartbeat errors, and rx_otherhost_dropped is in none of its columns.
func compareProcNetDev(t *testing.T, s *Snapshot, ns int) {
	t.Helper()
	var b []byte
	err := inNetNS(ns, func() error {
		var err error
		b, err = os.ReadFile("/proc/thread-self/net/dev")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	link := ours(s, Link)
	for _, line := range strings.Split(string(b), "\n") {
		dev, rest, ok := strings.Cut(line, ":")
		dev = strings.TrimSpace(dev)
		if !ok || strings.Contains(dev, "|") {
			continue
		}
		var v []uint64
		for _, f := range strings.Fields(rest) {
			n, err := strconv.ParseUint(f, 10, 64)
			if err != nil {
				t.Fatalf("/proc/net/dev: %q: %v", line, err)
			}
			v = append(v, n)
		}
		if len(v) != 16 {
			t.Fatalf("/proc/net/dev: %q has %d values", line, len(v))
		}
		c := link[dev]
		want := []uint64{
			c["rx_bytes"], c["rx_packets"], c["rx_errors"], c["rx_dropped"] + c["rx_missed_errors"], c["rx_fifo_errors"],
			c["rx_length_errors"] + c["rx_over_errors"] + c["rx_crc_errors"] + c["rx_frame_errors"], c["rx_compressed"], c["multicast"],
			c["tx_bytes"], c["tx_packets"], c["tx_errors"], c["tx_dropped"], c["tx_fifo_errors"], c["collisions"],
			c["tx_carrier_errors"] + c["tx_aborted_errors"] + c["tx_window_errors"] + c["tx_heartbeat_errors"], c["tx_compressed"],
		}
		if diff := cmp.Diff(want, v); diff != "" {
			t.Errorf("%s: /proc/net/dev (-folded from ours +/proc/net/dev):\n%s", dev, diff)
		}
	}
	if link["vb"]["rx_otherhost_dropped"] == 0 {
		t.Error("vb has no rx_otherhost_dropped to show missing from /proc/net/dev")
	}
}
