package flow

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// IPv6 extension headers walked to the upper-layer header.
const (
	protoHopByHop = 0
	protoRouting  = 43
	protoFragment = 44
	protoAH       = 51
	protoDestOpts = 60
)

// A Decoder turns payloads into Flows. The zero value is ready to use; it
// must not be used by two goroutines at once.
type Decoder struct {
	// truncated: a header said more bytes follow than the payload holds.
	truncated bool
}

// NewDecoder returns a Decoder.
func NewDecoder() *Decoder { return new(Decoder) }

// ErrMalformed is wrapped by the errors Decode returns for a header that is
// not merely cut short but wrong (an IPv4 header length below 20, a version
// that does not match the EtherType).
var ErrMalformed = errors.New("malformed header")

// GuessLink says where a payload with EtherType proto starts when the
// device is not known:
//   - at the network header for IPv4 when the first byte is 0x45 (version
//     4, no options): as a destination MAC, 45:... would be a group
//     address that no protocol uses;
//   - at an Ethernet header when bytes 12-13 hold proto or a VLAN tag's
//     type;
//   - at the network header when the first nibble is the IP version proto
//     names, or, for ARP, the bytes are an ARP header for IPv4 over
//     Ethernet;
//   - else at an Ethernet header.
//
// It is a guess: a raw IPv6 packet whose source address has 86dd in its
// third 16-bit group, or a raw IPv4 packet with options from 8.0.0.0/16,
// is read as Ethernet. Prefer the device's type (the ARPHRD of
// NET_DM_ATTR_IN_PORT's interface) when known.
func GuessLink(proto uint16, payload []byte) Link {
	if proto == EtherTypeIPv4 && len(payload) > 0 && payload[0] == 0x45 {
		return LinkRaw
	}
	if len(payload) >= 14 {
		switch binary.BigEndian.Uint16(payload[12:14]) {
		case proto, EtherTypeDot1Q, EtherTypeQinQ:
			return LinkEthernet
		}
	}
	if len(payload) > 0 {
		v := payload[0] >> 4
		if (proto == EtherTypeIPv4 && v == 4) || (proto == EtherTypeIPv6 && v == 6) {
			return LinkRaw
		}
	}
	// ARP for IPv4 over Ethernet: hardware type 1, protocol 0x0800, address
	// sizes 6 and 4.
	if proto == EtherTypeARP && len(payload) >= 8 &&
		binary.BigEndian.Uint32(payload[0:4]) == 0x00010800 && payload[4] == 6 && payload[5] == 4 {
		return LinkRaw
	}
	return LinkEthernet
}

// Decode decodes payload, which starts where link says; proto is the
// packet's EtherType (NET_DM_ATTR_PROTO), used for a raw payload and by
// LinkAuto. A payload cut short is no error: the Flow holds what its bytes
// gave and is marked Truncated. The error (wrapping ErrMalformed) is for a
// malformed header; the Flow then holds the layers before it.
func (d *Decoder) Decode(link Link, proto uint16, payload []byte) (Flow, error) {
	var f Flow
	d.truncated = false
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
		// An 802.3 frame has its length in the EtherType field; it is kept
		// as it is, which is what tcpdump's "ether proto" compares.
		f.EtherType = binary.BigEndian.Uint16(data[12:14])
		data = data[14:]
		for f.EtherType == EtherTypeDot1Q || f.EtherType == EtherTypeQinQ {
			if len(data) < 4 {
				f.Depth = DepthLink
				f.Truncated = true
				return f, nil
			}
			// IEEE 802.1Q: the tag control information (priority, DEI,
			// 12-bit VLAN ID), then the inner EtherType.
			if !f.Tagged {
				f.Tagged = true
				f.VLAN = binary.BigEndian.Uint16(data[0:2]) & 0x0fff
			}
			f.EtherType = binary.BigEndian.Uint16(data[2:4])
			data = data[4:]
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
		f.Truncated = f.Truncated || d.truncated
		return f, err
	}
	d.decodeTransport(&f, data)
	f.Truncated = f.Truncated || d.truncated
	return f, nil
}

func (d *Decoder) decodeARP(f *Flow, data []byte) {
	if len(data) < 8 {
		f.Truncated = true
		return
	}
	// RFC 826: hardware type, protocol type, their address sizes, the
	// operation, then sender and target hardware and protocol addresses.
	hw, pr := int(data[4]), int(data[5])
	f.ARPOp = binary.BigEndian.Uint16(data[6:8])
	if len(data) < 8+2*hw+2*pr {
		f.Truncated = true
		return
	}
	if binary.BigEndian.Uint16(data[2:4]) == EtherTypeIPv4 && pr == 4 {
		f.Src = netip.AddrFrom4([4]byte(data[8+hw:]))
		f.Dst = netip.AddrFrom4([4]byte(data[8+2*hw+pr:]))
	}
	f.Depth = DepthNetwork
}

// decodeIPv4 returns the IPv4 payload (bounded by the total length).
func (d *Decoder) decodeIPv4(f *Flow, data []byte) ([]byte, error) {
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
	// The total length bounds the payload; 0 is a TSO packet's, whose
	// length is the bytes there are.
	n := int(binary.BigEndian.Uint16(data[2:4]))
	if n == 0 {
		n = len(data)
	}
	switch {
	case n < 20:
		return nil, fmt.Errorf("flow: ipv4: total length %d: %w", n, ErrMalformed)
	case ihl > n:
		return nil, fmt.Errorf("flow: ipv4: header length %d above total length %d: %w", ihl, n, ErrMalformed)
	case len(data) > n:
		data = data[:n]
	case len(data) < n:
		d.truncated = true
	}
	if err := d.ipv4Options(data[20:ihl]); err != nil {
		return nil, err
	}
	f.Src = netip.AddrFrom4([4]byte(data[12:16]))
	f.Dst = netip.AddrFrom4([4]byte(data[16:20]))
	f.Proto = data[9]
	f.Fragment = binary.BigEndian.Uint16(data[6:8])&0x1fff != 0
	f.Depth = DepthNetwork
	return data[ihl:], nil
}

// ipv4Options checks the options of an IPv4 header (RFC 791 3.1): end of
// list (0), no-operation (1), or type, length (counting the type and length
// bytes, so at least 2) and data.
func (d *Decoder) ipv4Options(opts []byte) error {
	for len(opts) > 0 {
		switch opts[0] {
		case 0:
			return nil
		case 1:
			opts = opts[1:]
			continue
		}
		if len(opts) < 2 || len(opts) < int(opts[1]) {
			d.truncated = true
			return fmt.Errorf("flow: ipv4: option %d longer than the header: %w", opts[0], ErrMalformed)
		}
		if opts[1] < 2 {
			return fmt.Errorf("flow: ipv4: option %d of length %d: %w", opts[0], opts[1], ErrMalformed)
		}
		opts = opts[opts[1]:]
	}
	return nil
}

// decodeIPv6 reads the fixed header and walks the extension headers (RFC
// 8200 4: next header, then the length in 8-byte units not counting the
// first 8) to the upper-layer header.
func (d *Decoder) decodeIPv6(f *Flow, data []byte) ([]byte, error) {
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
			nh, payload = payload[0], payload[(int(payload[1])+1)*8:]
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

func (d *Decoder) decodeTransport(f *Flow, data []byte) {
	switch {
	case f.Proto == ProtoTCP:
		if len(data) < 20 || len(data) < int(data[12]>>4)*4 {
			// Cut in the header or its options: what the bytes give.
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
		f.SrcPort = binary.BigEndian.Uint16(data[0:2])
		f.DstPort = binary.BigEndian.Uint16(data[2:4])
		f.TCPFlags = data[13] // its options say nothing of the flow
	case f.Proto == ProtoUDP:
		if len(data) < 8 {
			f.Truncated = true
			if len(data) >= 4 {
				f.SrcPort = binary.BigEndian.Uint16(data[0:2])
				f.DstPort = binary.BigEndian.Uint16(data[2:4])
			}
			return
		}
		f.SrcPort = binary.BigEndian.Uint16(data[0:2])
		f.DstPort = binary.BigEndian.Uint16(data[2:4])
		// The UDP length (RFC 768) counts the header; 0 is a jumbogram's
		// (RFC 2675).
		if n := int(binary.BigEndian.Uint16(data[4:6])); n >= 8 && n > len(data) {
			d.truncated = true
		}
	case f.Proto == ProtoICMP && f.EtherType == EtherTypeIPv4:
		if len(data) < 8 {
			f.Truncated = true
			if len(data) >= 2 {
				f.ICMPType, f.ICMPCode = data[0], data[1]
			}
			return
		}
		f.ICMPType, f.ICMPCode = data[0], data[1]
	case f.Proto == ProtoICMPv6 && f.EtherType == EtherTypeIPv6:
		if len(data) < 4 {
			f.Truncated = true
			if len(data) >= 2 {
				f.ICMPType, f.ICMPCode = data[0], data[1]
			}
			return
		}
		f.ICMPType, f.ICMPCode = data[0], data[1]
	default:
		return
	}
	f.Depth = DepthTransport
}
