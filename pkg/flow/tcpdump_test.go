package flow_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/dropwatch-go/dropwatch/pkg/flow"
)

// TestDecodeAgainstTcpdump asks tcpdump itself, when it is installed:
// each corpus packet's line from "tcpdump -r corpus.pcap -nn -e" must
// show the addresses, ports, TCP flags, VLAN and ARP operation Decode
// found, as tcpdump writes them.
func TestDecodeAgainstTcpdump(t *testing.T) {
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tcpdump is not installed (Debian package tcpdump; test/flows/install.sh)" + ": CI installs it (make testdeps)")
		}
		t.Skip("tcpdump is not installed (Debian package tcpdump; test/flows/install.sh)")
	}
	out, err := exec.Command(tcpdump, "-r", corpusPath, "-nn", "-e").Output()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	frames := readCorpus(t)
	if len(lines) != len(frames) {
		t.Fatalf("tcpdump printed %d lines for %d packets", len(lines), len(frames))
	}
	d := flow.NewDecoder()
	for i, frame := range frames {
		f, err := d.Decode(flow.LinkEthernet, 0, frame)
		if err != nil {
			t.Fatalf("packet %d: %v", i+1, err)
		}
		line := lines[i]
		for _, want := range tcpdumpShows(f) {
			if !anyIn(line, want) {
				t.Errorf("packet %d: tcpdump's line does not show %q:\n%s", i+1, want, line)
			}
		}
	}
}

// tcpdumpShows returns what tcpdump's line must contain for f: each item
// is a list of alternatives.
func tcpdumpShows(f flow.Flow) [][]string {
	var want [][]string
	one := func(s ...string) { want = append(want, s) }
	if f.Tagged {
		one("vlan " + strconv.Itoa(int(f.VLAN)) + ",")
	}
	src, dst := f.Src.String(), f.Dst.String()
	switch {
	case f.EtherType == flow.EtherTypeARP && f.ARPOp == flow.ARPRequest:
		one("Request who-has " + dst + " tell " + src)
	case f.EtherType == flow.EtherTypeARP && f.ARPOp == flow.ARPReply:
		one("Reply " + src + " is-at")
	case f.Depth == flow.DepthTransport && (f.Proto == flow.ProtoTCP || f.Proto == flow.ProtoUDP):
		sp, dp := strconv.Itoa(int(f.SrcPort)), strconv.Itoa(int(f.DstPort))
		// "S.SP > D.DP", or after IPv6 extension headers
		// "S > D: HBH SP > DP".
		one(src+"."+sp+" > "+dst+"."+dp+":", src+" > "+dst+": ")
		one(src+"."+sp+" > "+dst+"."+dp+":", " "+sp+" > "+dp+": ")
		if f.Proto == flow.ProtoTCP {
			one("Flags [" + tcpdumpFlags(f.TCPFlags) + "]")
		}
	default:
		one(src + " > " + dst + ": ")
	}
	if f.Fragment && f.EtherType == flow.EtherTypeIPv6 {
		one("frag (")
	}
	if f.Fragment && f.EtherType == flow.EtherTypeIPv4 {
		one("ip-proto-" + strconv.Itoa(int(f.Proto)))
	}
	return want
}

// tcpdumpFlags writes flags as print-tcp.c does.
func tcpdumpFlags(b uint8) string {
	s := ""
	for _, x := range []struct {
		bit uint8
		c   string
	}{{flow.TCPFin, "F"}, {flow.TCPSyn, "S"}, {flow.TCPRst, "R"}, {flow.TCPPsh, "P"},
		{flow.TCPAck, "."}, {flow.TCPUrg, "U"}, {flow.TCPEce, "E"}, {flow.TCPCwr, "W"}} {
		if b&x.bit != 0 {
			s += x.c
		}
	}
	if s == "" {
		return "none"
	}
	return s
}

func anyIn(line string, alts []string) bool {
	for _, a := range alts {
		if strings.Contains(line, a) {
			return true
		}
	}
	return false
}
