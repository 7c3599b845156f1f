package pcapfilter_test

import (
	"errors"
	"fmt"

	"github.com/dropwatch-go/dropwatch/pkg/flow"
	"github.com/dropwatch-go/dropwatch/pkg/pcapfilter"
)

func ExampleCompile() {
	// The UDP datagram 192.0.2.1:41001 > 192.0.2.2:53 from its IPv4 header
	// (corpus packet 31).
	payload := []byte{
		0x45, 0x00, 0x00, 0x24, 0x16, 0xf3, 0x40, 0x00, 0x40, 0x11, 0x9f, 0xd2, 0xc0, 0x00, 0x02, 0x01,
		0xc0, 0x00, 0x02, 0x02, 0xa0, 0x29, 0x00, 0x35, 0x00, 0x10, 0x84, 0x25, 0x71, 0x75, 0x65, 0x72,
		0x79, 0x2d, 0x76, 0x34,
	}
	for _, expr := range []string{"udp dst port 53", "host 192.0.2.9 or tcp", "port domain"} {
		f, err := pcapfilter.Compile(expr)
		var e *pcapfilter.Error
		if errors.As(err, &e) {
			fmt.Printf("%s: refused: %s\n", expr, e.Msg)
			continue
		}
		fmt.Printf("%s: %v\n", expr, f.Match(flow.LinkRaw, flow.EtherTypeIPv4, payload, uint32(len(payload))))
	}
	// Output:
	// udp dst port 53: true
	// host 192.0.2.9 or tcp: false
	// port domain: refused: port "domain": port names are not looked up; give the number
}
