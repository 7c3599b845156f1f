// Package nlpcaptest builds NET_DM messages and decodes captures with
// tshark, for tests of code that writes NET_DM pcap files.
package nlpcaptest

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
)

// NET_DM values from include/uapi/linux/net_dropmon.h.
const (
	cmdPacketAlert = 5 // NET_DM_CMD_PACKET_ALERT

	attrPC        = 2  // NET_DM_ATTR_PC, u64
	attrSymbol    = 3  // NET_DM_ATTR_SYMBOL, string
	attrInPort    = 4  // NET_DM_ATTR_IN_PORT, nest
	attrTimestamp = 5  // NET_DM_ATTR_TIMESTAMP, u64 ns
	attrProto     = 6  // NET_DM_ATTR_PROTO, u16 host order
	attrPayload   = 7  // NET_DM_ATTR_PAYLOAD, binary
	attrOrigLen   = 10 // NET_DM_ATTR_ORIG_LEN, u32
	attrOrigin    = 14 // NET_DM_ATTR_ORIGIN, u16
	attrReason    = 23 // NET_DM_ATTR_REASON, string (5.18+)

	portIfindex = 0 // NET_DM_ATTR_PORT_NETDEV_IFINDEX, u32

	originSoftware = 0 // NET_DM_ORIGIN_SW

	// familyVersion is the version NET_DM registers with, which the
	// kernel puts in the generic netlink header of its messages.
	familyVersion = 2
)

// PacketAlert is a software-drop NET_DM_CMD_PACKET_ALERT.
type PacketAlert struct {
	FamilyID  uint16 // the NET_DM family ID: the message's netlink type
	PC        uint64
	Reason    string // empty leaves NET_DM_ATTR_REASON out, as before 5.18
	Symbol    string // the kernel's "%pS" text, e.g. "__udp4_lib_rcv+0x9a2/0xc30"
	Ifindex   uint32 // 0 sends an empty IN_PORT nest, as for skb_iif == 0
	Timestamp time.Time
	Proto     uint16 // EtherType
	Payload   []byte // the frame from its MAC header
	OrigLen   uint32 // 0 means len(Payload)
}

// Message returns the alert as the kernel multicasts it: one netlink
// message with the attributes in the order of net_dm_packet_report_fill in
// net/core/drop_monitor.c (origin, PC, reason, symbol, input port,
// timestamp, original length, then protocol and payload if there is one).
func (a PacketAlert) Message() []byte {
	origLen := a.OrigLen
	if origLen == 0 {
		origLen = uint32(len(a.Payload))
	}
	ae := netlink.NewAttributeEncoder()
	ae.Uint16(attrOrigin, originSoftware)
	ae.Uint64(attrPC, a.PC)
	if a.Reason != "" {
		ae.String(attrReason, a.Reason)
	}
	ae.String(attrSymbol, a.Symbol)
	ae.Nested(attrInPort, func(nae *netlink.AttributeEncoder) error {
		if a.Ifindex != 0 {
			nae.Uint32(portIfindex, a.Ifindex)
		}
		return nil
	})
	ae.Uint64(attrTimestamp, uint64(a.Timestamp.UnixNano()))
	ae.Uint32(attrOrigLen, origLen)
	if len(a.Payload) > 0 {
		ae.Uint16(attrProto, a.Proto)
		ae.Bytes(attrPayload, a.Payload)
	}
	attrs, err := ae.Encode()
	if err != nil {
		panic(fmt.Sprintf("nlpcaptest: encoding packet alert: %v", err))
	}
	return Message(a.FamilyID, cmdPacketAlert, attrs)
}

// Message wraps attributes in a generic netlink header (command cmd,
// NET_DM's version 2) and a netlink header of type familyID, with sequence
// number and port ID 0 as on kernel multicasts.
func Message(familyID uint16, cmd uint8, attrs []byte) []byte {
	gb, err := (genetlink.Message{
		Header: genetlink.Header{Command: cmd, Version: familyVersion},
		Data:   attrs,
	}).MarshalBinary()
	if err != nil {
		panic(fmt.Sprintf("nlpcaptest: generic netlink header: %v", err))
	}
	nb, err := (netlink.Message{
		Header: netlink.Header{Length: uint32(16 + len(gb)), Type: netlink.HeaderType(familyID)},
		Data:   gb,
	}).MarshalBinary()
	if err != nil {
		panic(fmt.Sprintf("nlpcaptest: netlink header: %v", err))
	}
	return nb
}

// UDPFrame returns an Ethernet frame with zero MAC addresses (as on the
// loopback device) holding an IPv4 UDP datagram from src to dst, the kind
// of packet the kernel drops in __udp4_lib_rcv with reason NO_SOCKET when
// nothing listens on dport.
func UDPFrame(src, dst netip.Addr, sport, dport uint16, payload []byte) []byte {
	be := binary.BigEndian
	b := make([]byte, 12, 14+20+8+len(payload)) // destination and source MAC
	b = be.AppendUint16(b, 0x0800)              // EtherType IPv4

	ip := len(b)
	b = append(b, 0x45, 0) // version 4, 20-byte header; TOS
	b = be.AppendUint16(b, uint16(20+8+len(payload)))
	b = be.AppendUint16(b, 1)      // identification
	b = be.AppendUint16(b, 0x4000) // don't fragment
	b = append(b, 64, 17)          // TTL, protocol UDP
	b = be.AppendUint16(b, 0)      // checksum, filled in below
	s, d := src.As4(), dst.As4()
	b = append(b, s[:]...)
	b = append(b, d[:]...)
	be.PutUint16(b[ip+10:], ipChecksum(b[ip:]))

	b = be.AppendUint16(b, sport)
	b = be.AppendUint16(b, dport)
	b = be.AppendUint16(b, uint16(8+len(payload)))
	b = be.AppendUint16(b, 0) // no UDP checksum, allowed over IPv4
	return append(b, payload...)
}

// ipChecksum is the Internet checksum (RFC 1071) of an IPv4 header.
func ipChecksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
