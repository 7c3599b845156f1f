package flow_test

import (
	"fmt"

	"github.com/dropwatch-go/dropwatch/pkg/flow"
)

// A drop on a tun device: the payload starts at the IPv4 header (corpus
// packet 31 without its Ethernet header; tcpdump reads it as
// "192.0.2.1.41001 > 192.0.2.2.53: UDP, length 8").
func ExampleDecoder_Decode() {
	payload := []byte{
		0x45, 0x00, 0x00, 0x24, 0x16, 0xf3, 0x40, 0x00, 0x40, 0x11, 0x9f, 0xd2, 0xc0, 0x00, 0x02, 0x01,
		0xc0, 0x00, 0x02, 0x02, 0xa0, 0x29, 0x00, 0x35, 0x00, 0x10, 0x84, 0x25, 0x71, 0x75, 0x65, 0x72,
		0x79, 0x2d, 0x76, 0x34,
	}
	d := flow.NewDecoder()
	f, err := d.Decode(flow.LinkAuto, flow.EtherTypeIPv4, payload)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("flow:", f)
	// Cut by a truncation length of 24 bytes: the ports are still there.
	f, _ = d.Decode(flow.LinkRaw, flow.EtherTypeIPv4, payload[:24])
	fmt.Println("flow:", f)
	// Output:
	// flow: udp 192.0.2.1:41001 > 192.0.2.2:53
	// flow: udp 192.0.2.1:41001 > 192.0.2.2:53 truncated
}
