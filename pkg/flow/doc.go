// Package flow decodes the payload of a NET_DM packet alert into a flow:
// who sent the dropped packet to whom (addresses, protocol, ports, ICMP type
// and code, TCP flags, VLAN).
//
// Where the payload starts: net/core/drop_monitor.c (net_dm_packet_report)
// moves skb->data to skb_mac_header before copying, so NET_DM_ATTR_PAYLOAD
// starts at the MAC header, and NET_DM_ATTR_PROTO carries skb->protocol in
// host order. Packets whose MAC header was never set are not reported at all
// (net_dm_packet_trace_kfree_skb_hit returns early). On Ethernet and loopback
// the payload is an Ethernet frame; on raw-IP devices (tun, WireGuard) the
// MAC header is the network header, so the payload starts at IPv4 or IPv6.
// Decode takes the Link to say which, and LinkAuto guesses from the bytes
// and the EtherType.
//
// Layers: Ethernet, 802.1Q and 802.1ad tags, ARP, IPv4, IPv6 with its
// extension headers (hop-by-hop, routing, fragment, destination options,
// AH) walked to the upper-layer header, TCP, UDP, ICMPv4, ICMPv6. Headers
// are read by hand: importing github.com/gopacket/gopacket/layers would add
// 5 MiB of globals to every binary (docs/flows.md); its decoders are the
// reference the tests compare with. A payload cut short decodes as far
// as it goes and is marked Truncated; decoding never fails on short input.
//
// Decode allocates nothing. A Decoder is not
// safe for concurrent use; use one per goroutine.
package flow
