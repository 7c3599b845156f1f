package pcapfilter_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dropwatch-go/dropwatch/pkg/flow"
	"github.com/dropwatch-go/dropwatch/pkg/pcapfilter"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// differentialExprs are judged against tcpdump. Each primitive appears,
// with negation, precedence (and/or are equal and group left to right),
// inherited qualifiers, IPv6 (extension headers: libpcap does not walk
// them for ports), VLAN's offset shift and relations.
var differentialExprs = []string{
	"",
	"arp", "rarp", "ip", "ip6", "tcp", "udp", "icmp", "icmp6", "sctp", "igmp",
	"vlan", "vlan 100", "vlan 200", "vlan and udp", "vlan and ip6", "not vlan",
	"vlan and tcp port 8080", "vlan and src host 198.51.100.1", "src host 198.51.100.1",
	"vlan 100 and arp host 198.51.100.2", "udp or vlan and udp",
	"vlan 7 and vlan 100", "vlan and vlan and udp port 53", "vlan 7 and udp", "vlan 7 and vlan 200 and ip6",
	"host 192.0.2.1", "src host 192.0.2.2", "dst host 192.0.2.2", "ip host 192.0.2.1",
	"arp host 192.0.2.2", "arp src host 192.0.2.1", "rarp host 192.0.2.1",
	"src and dst host 192.0.2.1", "src or dst host 192.0.2.1", "dst 192.0.2.1",
	"host 2001:db8::1", "ip6 dst host 2001:db8::2", "host ::", "src ::",
	"host 192.0.2.1 or 192.0.2.2", "host 192.0.2.1 and not 192.0.2.2",
	"net 192.0.2.0/24", "net 198.51.100.0 mask 255.255.255.0", "net 192.0.2",
	"net 192", "dst net 2001:db8::/64", "net fe80::/10", "ip6 net ff02::/16",
	"src net 192.0.2.0/25 and dst net 192.0.2.0/31",
	"port 53", "src port 53", "dst port 8080", "tcp port 9", "udp port 9",
	"tcp src port 8080", "udp dst port 53 or 5353", "port 53 or 8080",
	"portrange 50-60", "tcp dst portrange 8000-8100", "udp portrange 5000-6000",
	"src portrange 40000-40001", "sctp port 53",
	"not port 53", "udp and not port 53", "tcp and not port 22", "not tcp and not udp",
	"ip6 and udp", "ip6 and port 53", "ip6 and not port 53",
	"ether proto 0x86dd", "ether proto 0x0806", "ether proto \\ip",
	"ether host 02:00:00:00:00:0a", "ether src 02:00:00:00:00:0b",
	"ether dst ff:ff:ff:ff:ff:ff", "ether src host 02:00:00:00:00:0a", "ether dst 02:00:00:00:00:0b",
	"ether broadcast", "broadcast", "ether multicast", "multicast",
	"ip multicast", "ip6 multicast",
	"ip proto 17", "ip6 proto 58", "ip6 proto 17", "proto 6", "proto 58", "ip6 proto 0",
	"less 60", "greater 1000", "less 54 and greater 54", "len > 100", "len <= 60",
	"tcp[tcpflags] & (tcp-syn|tcp-ack) != 0", "tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0",
	"tcp[13] = 18", "tcp[tcpflags] & (tcp-fin|tcp-rst) != 0", "tcp[12] >> 4 > 5",
	"tcp[((tcp[12] & 0xf0) >> 2):2] = 0x4745",
	"icmp[icmptype] = icmp-echo", "icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply",
	"icmp[0] == 3 and icmp[1] = 3", "icmp6[0] = 128", "icmp6[icmptype] = 135",
	"udp[2:2] = 53", "udp[8:4] = 0x71756572", "ip[9] = 17", "ip6[6] = 17", "ip6[6] == 0",
	"ether[12:2] = 0x0806", "ether[0] & 1 = 0", "arp[7] = 2",
	"ip[6:2] & 0x1fff != 0", "ip[6] & 0x20 != 0", "ip[2:2] - 20 > 1000", "ip[8] * 2 = 128",
	"ip[2:2] / 4 > 10", "ip[2:2] % 7 = 0", "ip[0] & 0xf = 5 and ip[0] | 0x0f = 0x4f",
	"ip[16:4] ^ ip[12:4] = 3", "ip[0] & 0xf > 5", "udp port 53 and ip[0] & 0xf = 6", "icmp[icmptype] = icmp-echo and ip[0] & 0xf = 15", "-1 = 0xffffffff", "len - 14 = ip[2:2]", "1 << 4 = 16",
	"arp or icmp", "host 192.0.2.1 and (port 53 or icmp)",
	"icmp or udp and port 53", "icmp or (udp and port 53)", "not ip and not ip6",
	"! tcp && ! udp", "tcp || udp", "not (tcp or udp)", "not not arp",
	"(ip or ip6) and not icmp and not icmp6 and not tcp",
}

// variant is one way of presenting the corpus to both sides.
type variant struct {
	name string
	// link and payload for Match; frame and wireLen for tcpdump, which
	// sees the Ethernet frame with caplen len(frame).
	recs []record
}

type record struct {
	packet  int // corpus packet, from 1; negative: its QinQ copy (qinq)
	link    flow.Link
	proto   uint16
	payload []byte
	origLen uint32
	frame   []byte
	wireLen int
}

// cuts are the truncation lengths tried: inside and around the Ethernet,
// VLAN, ARP, IPv4, IPv6, extension and transport headers.
var cuts = []int{1, 10, 12, 13, 14, 15, 16, 18, 20, 22, 23, 24, 26, 28, 30, 32, 34, 36, 37, 38,
	40, 41, 42, 46, 48, 50, 52, 54, 55, 56, 58, 60, 62, 64, 66}

// qinq wraps a tagged frame in an outer 802.1ad tag, VLAN 7: the corpus's
// own bytes with one more tag, for stacked vlan keywords.
func qinq(f []byte) []byte {
	q := append([]byte(nil), f[:12]...)
	q = append(q, 0x88, 0xa8, 0x00, 0x07)
	return append(q, f[12:]...)
}

func variants(frames [][]byte) []variant {
	var full, cut, raw, rawCut variant
	full.name, cut.name, raw.name, rawCut.name = "ethernet", "ethernet-truncated", "raw", "raw-truncated"
	for i, f := range frames {
		if binary.BigEndian.Uint16(f[12:14]) == 0x8100 {
			q := qinq(f)
			full.recs = append(full.recs, record{-(i + 1), flow.LinkEthernet, 0, q, uint32(len(q)), q, len(q)})
		}
	}
	for i, f := range frames {
		proto := binary.BigEndian.Uint16(f[12:14])
		full.recs = append(full.recs, record{i + 1, flow.LinkEthernet, 0, f, uint32(len(f)), f, len(f)})
		// The raw entry point has no MAC addresses: tcpdump sees zeros.
		zeroed := append(make([]byte, 12), f[12:]...)
		untagged := proto != 0x8100
		if untagged {
			raw.recs = append(raw.recs, record{i + 1, flow.LinkRaw, proto, f[14:], uint32(len(f) - 14), zeroed, len(f)})
		}
		for _, n := range cuts {
			if n >= len(f) {
				break
			}
			cut.recs = append(cut.recs, record{i + 1, flow.LinkEthernet, 0, f[:n], uint32(len(f)), f[:n], len(f)})
			if untagged && n >= 14 {
				rawCut.recs = append(rawCut.recs, record{i + 1, flow.LinkRaw, proto, f[14:n], uint32(len(f) - 14), zeroed[:n], len(f)})
			}
		}
	}
	return []variant{full, cut, raw, rawCut}
}

// writePcap writes the variant's frames with timestamps 1, 2, 3, ... so
// that tcpdump -tt names each record it matches.
func writePcap(t *testing.T, v variant) string {
	path := filepath.Join(t.TempDir(), v.name+".pcap")
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for i, r := range v.recs {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(int64(i+1), 0), CaptureLength: len(r.frame), Length: r.wireLen}
		if err := w.WritePacket(ci, r.frame); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tcpdumpMatches runs tcpdump -r on path and returns the indexes (from 0)
// of the records it printed.
func tcpdumpMatches(t *testing.T, tcpdump, path, expr string, opts ...string) (map[int]bool, error) {
	cmd := exec.Command(tcpdump, append(append([]string{"-r", path, "-nn", "-tt"}, opts...), "--", expr)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	got := map[int]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		sec, _, ok := strings.Cut(sc.Text(), ".")
		n, err := strconv.Atoi(sec)
		if !ok || err != nil {
			t.Fatalf("tcpdump line %q: no -tt timestamp", sc.Text())
		}
		got[n-1] = true
	}
	return got, nil
}

func findTcpdump(t *testing.T) string {
	path, err := exec.LookPath("tcpdump")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tcpdump is not installed (Debian package tcpdump; test/flows/install.sh): the differential test needs it as the oracle" + ": CI installs it (make testdeps)")
		}
		t.Skip("tcpdump is not installed (Debian package tcpdump; test/flows/install.sh): the differential test needs it as the oracle")
	}
	return path
}

// TestDifferential: for every expression, on every corpus packet, whole
// and cut, from the Ethernet header and from the network header, Match
// gives tcpdump -r's verdict.
//
// The oracle is libpcap's code both optimized (tcpdump's default) and not
// (tcpdump -O), which agree on whole packets. On cut packets they can
// differ: the optimizer drops or reorders loads, and a load past the
// captured bytes rejects the packet in one program and is never made in
// the other. Match is the unoptimized program, the language's meaning
// (pcap-filter(7)) without the optimizer's choices, so cut packets are
// judged against tcpdump -O, and the records where plain tcpdump differs
// are counted and logged.
func TestDifferential(t *testing.T) {
	tcpdump := findTcpdump(t)
	frames := readCorpus(t)
	vs := variants(frames)
	paths := make([]string, len(vs))
	for i, v := range vs {
		paths[i] = writePcap(t, v)
	}
	verdicts, matched, optimizerDiffs := 0, 0, 0
	diffExprs := map[string]int{}
	for _, expr := range differentialExprs {
		f, err := pcapfilter.Compile(expr)
		if err != nil {
			t.Errorf("Compile(%q): %v", expr, err)
			continue
		}
		for vi, v := range vs {
			unopt, err := tcpdumpMatches(t, tcpdump, paths[vi], expr, "-O")
			if err != nil {
				t.Errorf("tcpdump -O %q: %v", expr, err)
				break
			}
			opt, err := tcpdumpMatches(t, tcpdump, paths[vi], expr)
			if err != nil {
				t.Errorf("tcpdump %q: %v", expr, err)
				break
			}
			truncated := strings.HasSuffix(v.name, "-truncated")
			for i, r := range v.recs {
				got := f.Match(r.link, r.proto, r.payload, r.origLen)
				verdicts++
				if got {
					matched++
				}
				if got != unopt[i] {
					t.Errorf("%q %s: packet %d (%d of %d bytes): Match %v, tcpdump -O %v",
						expr, v.name, r.packet, len(r.payload), r.origLen, got, unopt[i])
				}
				if got != opt[i] {
					if !truncated {
						t.Errorf("%q %s: packet %d: Match %v, tcpdump %v", expr, v.name, r.packet, got, opt[i])
					}
					optimizerDiffs++
					diffExprs[expr]++
				}
			}
		}
	}
	n := 0
	for _, v := range vs {
		n += len(v.recs)
	}
	t.Logf("%d expressions x %d records (%d packets whole and cut, from the Ethernet and the network header, and QinQ copies of the tagged ones): %d verdicts equal to tcpdump -O's, %d matches",
		len(differentialExprs), n, len(frames), verdicts, matched)
	t.Logf("cut records where tcpdump's optimizer skipped a load past the end and plain tcpdump differs: %d, by expression %v",
		optimizerDiffs, diffExprs)
}

// TestDifferentialErrors: what tcpdump refuses, Compile refuses too.
func TestDifferentialErrors(t *testing.T) {
	tcpdump := findTcpdump(t)
	path := writePcap(t, variants(readCorpus(t))[0])
	for _, expr := range rejectedExprs {
		if _, err := tcpdumpMatches(t, tcpdump, path, expr); err == nil {
			t.Errorf("tcpdump accepts %q", expr)
		}
		if _, err := pcapfilter.Compile(expr); err == nil {
			t.Errorf("Compile(%q) accepted what tcpdump refuses", expr)
		}
	}
}

// rejectedExprs are errors in tcpdump as in Compile.
var rejectedExprs = []string{
	"net 192.0.2.1/24", "ip port 53", "udp[0:3] = 1", "1 / 0 = 1", "1 % 0 = 1", "vlan 5000",
	"ether proto", "host", "port 70000", "tcp and", "(tcp", "tcp)", "ip proto tcp",
	"arp port 53", "ether host 192.0.2.1", "icmp port 53", "tcp[0", "len >", "and tcp",
	"udp[1:3]", "ip6 host 192.0.2.1", "portrange 1-70000", "host 02:00:00:00:00:0b",
}
