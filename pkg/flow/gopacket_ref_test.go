package flow

// The decoder of pkg/flow before it read headers by hand (decode.go), on
// github.com/gopacket/gopacket/layers: the reference in tests.

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/gopacket/gopacket/layers"
)

// refDecoder is pkg/flow's decoder as it was on gopacket's layers, kept
// as the reference the hand-written one is compared with
// (TestSameAsGopacket, FuzzSameAsGopacket).
type refDecoder struct {
	fb    refFeedback
	eth   layers.Ethernet
	dot1q layers.Dot1Q
	arp   layers.ARP
	ip4   layers.IPv4
	ext   layers.IPv6ExtensionSkipper
	tcp   layers.TCP
	udp   layers.UDP
	icmp4 layers.ICMPv4
	icmp6 layers.ICMPv6
}

// refFeedback records a layer's SetTruncated (gopacket.DecodeFeedback).
type refFeedback struct{ truncated bool }

func (f *refFeedback) SetTruncated() { f.truncated = true }

// Decode decodes payload as Decoder.Decode does; proto is the
// packet's EtherType (NET_DM_ATTR_PROTO), used for a raw payload and by
// LinkAuto. A payload cut short is no error: the Flow holds what its bytes
// gave and is marked Truncated. The error (wrapping ErrMalformed) is for a
// malformed header; the Flow then holds the layers before it.
func (d *refDecoder) Decode(link Link, proto uint16, payload []byte) (Flow, error) {
	var f Flow
	d.fb.truncated = false
	if link == LinkAuto {
		link = GuessLink(proto, payload)
	}
	data := payload
	switch link {
	case LinkRaw:
		f.EtherType = proto
	case LinkEthernet:
		if len(data) < 14 {
			f.Truncated = len(data) > 0
			return f, nil
		}
		if err := d.eth.DecodeFromBytes(data, &d.fb); err != nil {
			return f, fmt.Errorf("flow: ethernet: %w", err)
		}
		// gopacket reports 802.3 length frames as EthernetTypeLLC; keep the
		// field's value, which is what tcpdump's "ether proto" compares.
		f.EtherType = binary.BigEndian.Uint16(data[12:14])
		data = d.eth.Payload
		for f.EtherType == EtherTypeDot1Q || f.EtherType == EtherTypeQinQ {
			if len(data) < 4 {
				f.Depth = DepthLink
				f.Truncated = true
				return f, nil
			}
			if err := d.dot1q.DecodeFromBytes(data, &d.fb); err != nil {
				return f, fmt.Errorf("flow: 802.1Q: %w", err)
			}
			if !f.Tagged {
				f.Tagged = true
				f.VLAN = d.dot1q.VLANIdentifier
			}
			f.EtherType = binary.BigEndian.Uint16(data[2:4])
			data = d.dot1q.Payload
		}
	default:
		return f, fmt.Errorf("flow: unknown link %v", link)
	}
	f.Depth = DepthLink
	var err error
	switch f.EtherType {
	case EtherTypeARP:
		d.decodeARP(&f, data)
	case EtherTypeIPv4:
		data, err = d.decodeIPv4(&f, data)
	case EtherTypeIPv6:
		data, err = d.decodeIPv6(&f, data)
	default:
		return f, nil
	}
	if err != nil || f.Depth < DepthNetwork || f.Fragment {
		f.Truncated = f.Truncated || d.fb.truncated
		return f, err
	}
	d.decodeTransport(&f, data)
	f.Truncated = f.Truncated || d.fb.truncated
	return f, nil
}

func (d *refDecoder) decodeARP(f *Flow, data []byte) {
	if len(data) < 8 {
		f.Truncated = true
		return
	}
	if len(data) < 8+2*int(data[4])+2*int(data[5]) {
		// Checked here, not by gopacket, whose error allocates.
		f.ARPOp = binary.BigEndian.Uint16(data[6:8])
		f.Truncated = true
		return
	}
	if err := d.arp.DecodeFromBytes(data, &d.fb); err != nil {
		// Unreachable: gopacket checks only the length.
		f.Truncated = true
		return
	}
	f.ARPOp = d.arp.Operation
	if d.arp.Protocol == layers.EthernetTypeIPv4 && d.arp.ProtAddressSize == 4 {
		f.Src = netip.AddrFrom4([4]byte(d.arp.SourceProtAddress))
		f.Dst = netip.AddrFrom4([4]byte(d.arp.DstProtAddress))
	}
	f.Depth = DepthNetwork
}

// decodeIPv4 returns the IPv4 payload (bounded by the total length).
func (d *refDecoder) decodeIPv4(f *Flow, data []byte) ([]byte, error) {
	if len(data) < 20 {
		f.Truncated = true
		return nil, nil
	}
	if v := data[0] >> 4; v != 4 {
		return nil, fmt.Errorf("flow: ipv4: version %d: %w", v, ErrMalformed)
	}
	ihl := int(data[0]&0x0f) * 4
	if ihl < 20 {
		return nil, fmt.Errorf("flow: ipv4: header length %d: %w", ihl, ErrMalformed)
	}
	if len(data) < ihl {
		// Options cut short: the fixed header still names the flow.
		f.Src = netip.AddrFrom4([4]byte(data[12:16]))
		f.Dst = netip.AddrFrom4([4]byte(data[16:20]))
		f.Proto = data[9]
		f.Fragment = binary.BigEndian.Uint16(data[6:8])&0x1fff != 0
		f.Depth = DepthNetwork
		f.Truncated = true
		return nil, nil
	}
	if err := d.ip4.DecodeFromBytes(data, &d.fb); err != nil {
		return nil, fmt.Errorf("flow: ipv4: %v: %w", err, ErrMalformed)
	}
	f.Src = netip.AddrFrom4([4]byte(d.ip4.SrcIP.To4()))
	f.Dst = netip.AddrFrom4([4]byte(d.ip4.DstIP.To4()))
	f.Proto = uint8(d.ip4.Protocol)
	f.Fragment = d.ip4.FragOffset != 0
	f.Depth = DepthNetwork
	return d.ip4.Payload, nil
}

// decodeIPv6 reads the fixed header by hand and walks the extension headers
// with gopacket's IPv6ExtensionSkipper. gopacket's IPv6 layer is not used:
// it decodes a hop-by-hop header's options into heap-allocated values (an
// allocation per option on every MLD or router-alert packet, see
// BenchmarkGopacketIPv6HopByHop) and fails the whole header, addresses
// included, when the hop-by-hop header is cut short.
func (d *refDecoder) decodeIPv6(f *Flow, data []byte) ([]byte, error) {
	if len(data) < 40 {
		f.Truncated = true
		return nil, nil
	}
	if v := data[0] >> 4; v != 6 {
		return nil, fmt.Errorf("flow: ipv6: version %d: %w", v, ErrMalformed)
	}
	f.Src = netip.AddrFrom16([16]byte(data[8:24]))
	f.Dst = netip.AddrFrom16([16]byte(data[24:40]))
	nh := data[6]
	payload := data[40:]
	if n := int(binary.BigEndian.Uint16(data[4:6])); n != 0 {
		// 0 is a jumbogram's: its length is in a hop-by-hop option.
		if n > len(payload) {
			f.Truncated = true
		} else {
			payload = payload[:n]
		}
	}
	f.Proto = nh
	f.Depth = DepthNetwork
	for {
		switch nh {
		case protoHopByHop, protoRouting, protoFragment, protoDestOpts:
			if len(payload) < 8 || len(payload) < (int(payload[1])+1)*8 {
				f.Truncated = true
				return nil, nil
			}
			if nh == protoFragment && binary.BigEndian.Uint16(payload[2:4])>>3 != 0 {
				f.Proto = payload[0]
				f.Fragment = true
				return nil, nil
			}
			if err := d.ext.DecodeFromBytes(payload, &d.fb); err != nil {
				return nil, fmt.Errorf("flow: ipv6 extension header %d: %v: %w", nh, err, ErrMalformed)
			}
			nh = uint8(d.ext.NextHeader)
			payload = d.ext.Payload
		case protoAH:
			// RFC 4302: the length is in 4-byte units, minus 2.
			if len(payload) < 8 || len(payload) < (int(payload[1])+2)*4 {
				f.Truncated = true
				return nil, nil
			}
			n := (int(payload[1]) + 2) * 4
			nh = payload[0]
			payload = payload[n:]
		default:
			return payload, nil
		}
		f.Proto = nh
	}
}

func (d *refDecoder) decodeTransport(f *Flow, data []byte) {
	switch {
	case f.Proto == ProtoTCP:
		if len(data) < 20 || len(data) < int(data[12]>>4)*4 {
			// Cut in the header or its options: what the bytes give.
			// (gopacket fails both with an error that allocates.)
			f.Truncated = true
			if len(data) >= 4 {
				f.SrcPort = binary.BigEndian.Uint16(data[0:2])
				f.DstPort = binary.BigEndian.Uint16(data[2:4])
			}
			if len(data) >= 14 {
				f.TCPFlags = data[13]
			}
			if len(data) >= 20 {
				f.Depth = DepthTransport
			}
			return
		}
		// An error here is a bad data offset or option (or options cut
		// short, which sets truncated): the fixed header, all a flow
		// needs, was read before it.
		_ = d.tcp.DecodeFromBytes(data, &d.fb)
		f.SrcPort = uint16(d.tcp.SrcPort)
		f.DstPort = uint16(d.tcp.DstPort)
		f.TCPFlags = refTCPFlags(&d.tcp)
	case f.Proto == ProtoUDP:
		if len(data) < 8 {
			f.Truncated = true
			if len(data) >= 4 {
				f.SrcPort = binary.BigEndian.Uint16(data[0:2])
				f.DstPort = binary.BigEndian.Uint16(data[2:4])
			}
			return
		}
		_ = d.udp.DecodeFromBytes(data, &d.fb) // fails only below 8 bytes
		f.SrcPort = uint16(d.udp.SrcPort)
		f.DstPort = uint16(d.udp.DstPort)
	case f.Proto == ProtoICMP && f.EtherType == EtherTypeIPv4:
		if len(data) < 8 {
			f.Truncated = true
			if len(data) >= 2 {
				f.ICMPType, f.ICMPCode = data[0], data[1]
			}
			return
		}
		_ = d.icmp4.DecodeFromBytes(data, &d.fb) // fails only below 8 bytes
		f.ICMPType, f.ICMPCode = d.icmp4.TypeCode.Type(), d.icmp4.TypeCode.Code()
	case f.Proto == ProtoICMPv6 && f.EtherType == EtherTypeIPv6:
		if len(data) < 4 {
			f.Truncated = true
			if len(data) >= 2 {
				f.ICMPType, f.ICMPCode = data[0], data[1]
			}
			return
		}
		_ = d.icmp6.DecodeFromBytes(data, &d.fb) // fails only below 4 bytes
		f.ICMPType, f.ICMPCode = d.icmp6.TypeCode.Type(), d.icmp6.TypeCode.Code()
	default:
		return
	}
	f.Depth = DepthTransport
}

func refTCPFlags(t *layers.TCP) uint8 {
	var b uint8
	for _, x := range [8]struct {
		set bool
		bit uint8
	}{
		{t.FIN, TCPFin}, {t.SYN, TCPSyn}, {t.RST, TCPRst}, {t.PSH, TCPPsh},
		{t.ACK, TCPAck}, {t.URG, TCPUrg}, {t.ECE, TCPEce}, {t.CWR, TCPCwr},
	} {
		if x.set {
			b |= x.bit
		}
	}
	return b
}
