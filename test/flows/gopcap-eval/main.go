// Command gopcap-eval is the evidence for not using
// github.com/packetcap/go-pcap's filter package (docs/flows.md): it runs
// each expression of exprs.txt through that compiler and
// golang.org/x/net/bpf over a pcap of Ethernet frames, and compares the
// verdicts with tcpdump -r's. It is its own module, so that the
// dependency stays out of dropwatch's go.mod. Run from this directory:
//
//	go run . ../../../testdata/packets/corpus.pcap exprs.txt > result.txt
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/packetcap/go-pcap/filter"
	"golang.org/x/net/bpf"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gopcap-eval CORPUS.pcap EXPRS.txt")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	check(err)
	r, err := pcapgo.NewReader(f)
	check(err)
	var frames [][]byte
	for {
		d, _, err := r.ReadPacketData()
		if err != nil {
			break
		}
		frames = append(frames, d)
	}
	dir, err := os.MkdirTemp("", "gopcap-eval")
	check(err)
	defer os.RemoveAll(dir)
	idx := dir + "/indexed.pcap"
	out, err := os.Create(idx)
	check(err)
	w := pcapgo.NewWriter(out)
	check(w.WriteFileHeader(65535, layers.LinkTypeEthernet))
	for i, d := range frames {
		check(w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(int64(i+1), 0), CaptureLength: len(d), Length: len(d)}, d))
	}
	check(out.Close())
	exprs, err := os.ReadFile(os.Args[2])
	check(err)
	ok, wrong, failed := 0, 0, 0
	for _, e := range strings.Split(strings.TrimSpace(string(exprs)), "\n") {
		cmd := exec.Command("tcpdump", "-r", idx, "-nn", "-tt", e)
		o, err := cmd.Output()
		if err != nil {
			fmt.Printf("%-45q tcpdump error %v\n", e, err)
			continue
		}
		want := map[int]bool{}
		sc := bufio.NewScanner(strings.NewReader(string(o)))
		for sc.Scan() {
			ts := strings.SplitN(sc.Text(), ".", 2)[0]
			n, _ := strconv.Atoi(ts)
			want[n-1] = true
		}
		insts, err := filter.NewExpression(e).Compile().Compile()
		if err != nil {
			fmt.Printf("%-45q compile error: %v\n", e, err)
			failed++
			continue
		}
		vm, err := bpf.NewVM(insts)
		if err != nil {
			fmt.Printf("%-45q VM rejects program: %v\n", e, err)
			failed++
			continue
		}
		diff := 0
		for i, d := range frames {
			n, _ := vm.Run(d)
			if (n > 0) != want[i] {
				diff++
			}
		}
		if diff == 0 {
			ok++
			fmt.Printf("%-45q equal on all %d packets\n", e, len(frames))
		} else {
			wrong++
			fmt.Printf("%-45q WRONG on %d of %d packets (tcpdump matches %d)\n", e, diff, len(frames), len(want))
		}
	}
	fmt.Printf("equal %d, wrong %d, refused/failed %d\n", ok, wrong, failed)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "gopcap-eval:", err)
		os.Exit(1)
	}
}
