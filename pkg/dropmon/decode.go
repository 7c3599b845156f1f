package dropmon

import (
	"encoding/binary"
	"fmt"
	"time"
)

// The decoders in this file are pure functions over bytes, independent of
// the operating system, so that they are tested (and fuzzed) everywhere.
// They never panic on malformed input: every length is checked and a
// malformed message yields an error wrapping ErrMalformed.

// Kernel attributes and the summary payload are in host byte order
// (net_dm_drop_point.pc is a memcpy of a pointer).
var ne = binary.NativeEndian

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// attrs iterates over netlink attributes (struct nlattr, 4-byte aligned)
// without allocating.
type attrs struct {
	b    []byte
	typ  uint16
	data []byte
	err  error
}

func (a *attrs) next() bool {
	if a.err != nil || len(a.b) == 0 {
		return false
	}
	if len(a.b) < 4 {
		a.err = malformed("%d trailing bytes, too short for an attribute header", len(a.b))
		return false
	}
	l := int(ne.Uint16(a.b[0:2]))
	if l < 4 || l > len(a.b) {
		a.err = malformed("attribute type %d has length %d, %d bytes left", ne.Uint16(a.b[2:4])&nlaTypeMask, l, len(a.b))
		return false
	}
	a.typ = ne.Uint16(a.b[2:4]) & nlaTypeMask
	a.data = a.b[4:l]
	next := (l + 3) &^ 3
	if next > len(a.b) {
		next = len(a.b) // the last attribute may omit its padding
	}
	a.b = a.b[next:]
	return true
}

func (a *attrs) u8() (uint8, error) {
	if len(a.data) < 1 {
		return 0, a.short(1)
	}
	return a.data[0], nil
}

func (a *attrs) u16() (uint16, error) {
	if len(a.data) < 2 {
		return 0, a.short(2)
	}
	return ne.Uint16(a.data), nil
}

func (a *attrs) u32() (uint32, error) {
	if len(a.data) < 4 {
		return 0, a.short(4)
	}
	return ne.Uint32(a.data), nil
}

func (a *attrs) u64() (uint64, error) {
	if len(a.data) < 8 {
		return 0, a.short(8)
	}
	return ne.Uint64(a.data), nil
}

// str returns a NUL-terminated string attribute without its terminator.
func (a *attrs) str() string { return string(a.strBytes()) }

func (a *attrs) strBytes() []byte {
	for i, c := range a.data {
		if c == 0 {
			return a.data[:i]
		}
	}
	return a.data
}

func (a *attrs) short(want int) error {
	return malformed("attribute type %d has %d bytes, want %d", a.typ, len(a.data), want)
}

// DecodeAlert decodes the attributes of a summary alert (NET_DM_CMD_ALERT,
// the bytes after the generic netlink header).
//
// Software drops come in a type-0 attribute holding struct net_dm_alert_msg:
// a u32 entry count and that many 12-byte {u8 pc[8]; u32 count} points. The
// kernel reserves room for 64 points and grows the attribute as it fills
// them (trace_drop_common in net/core/drop_monitor.c). Hardware drops come
// as a type-0 attribute with zero entries followed by NET_DM_ATTR_HW_ENTRIES
// (net_dm_hw_summary_report_fill).
func DecodeAlert(b []byte) (*Alert, error) {
	al := &Alert{}
	if err := decodeAlert(b, al); err != nil {
		return nil, err
	}
	return al, nil
}

func decodeAlert(b []byte, al *Alert) error {
	a := attrs{b: b}
	seenMsg := false
	for a.next() {
		switch a.typ {
		case attrUnspec:
			if seenMsg {
				continue
			}
			seenMsg = true
			if err := decodeAlertMsg(a.data, al); err != nil {
				return err
			}
		case attrHWEntries:
			if err := decodeHWEntries(a.data, al); err != nil {
				return err
			}
		}
	}
	if a.err != nil {
		return a.err
	}
	if !seenMsg && al.HWEntries == nil {
		return malformed("summary alert without a drop point list")
	}
	return nil
}

func decodeAlertMsg(b []byte, al *Alert) error {
	if len(b) < alertMsgHeaderLen {
		return malformed("summary payload of %d bytes, want at least %d", len(b), alertMsgHeaderLen)
	}
	n := ne.Uint32(b)
	b = b[alertMsgHeaderLen:]
	if uint64(n)*dropPointLen > uint64(len(b)) {
		return malformed("summary claims %d drop points, payload holds %d", n, len(b)/dropPointLen)
	}
	if n == 0 {
		return nil
	}
	if cap(al.Points)-len(al.Points) < int(n) {
		al.Points = append(make([]DropPoint, 0, len(al.Points)+int(n)), al.Points...)
	}
	for i := 0; i < int(n); i++ {
		p := b[i*dropPointLen:]
		al.Points = append(al.Points, DropPoint{
			// pc holds sizeof(void *) bytes of a pointer in host order; on
			// 32-bit kernels the upper four bytes are zero.
			PC:    ne.Uint64(p[0:8]),
			Count: ne.Uint32(p[8:12]),
		})
	}
	return nil
}

func decodeHWEntries(b []byte, al *Alert) error {
	if al.HWEntries == nil {
		al.HWEntries = []HWEntry{}
	}
	entries := attrs{b: b}
	for entries.next() {
		if entries.typ != attrHWEntry {
			continue
		}
		var e HWEntry
		var hasName, hasCount bool
		f := attrs{b: entries.data}
		for f.next() {
			switch f.typ {
			case attrHWTrapName:
				e.TrapName, hasName = f.str(), true
			case attrHWTrapCount:
				c, err := f.u32()
				if err != nil {
					return err
				}
				e.Count, hasCount = c, true
			}
		}
		if f.err != nil {
			return f.err
		}
		// The C tool prints an entry only if it has both; so do we.
		if hasName && hasCount {
			al.HWEntries = append(al.HWEntries, e)
		}
	}
	return entries.err
}

// DecodePacketAlert decodes the attributes of a packet alert
// (NET_DM_CMD_PACKET_ALERT, the bytes after the generic netlink header).
// Payload and Cookie alias b.
func DecodePacketAlert(b []byte) (*PacketAlert, error) {
	p := &PacketAlert{}
	if err := decodePacketAlert(b, p, nil, nil); err != nil {
		return nil, err
	}
	return p, nil
}

// decodePacketAlert fills p. strs, if not nil, interns strings so that the
// few distinct symbols and reasons of a burst are allocated once. port, if
// not nil, is where an IN_PORT attribute is decoded.
func decodePacketAlert(b []byte, p *PacketAlert, strs *interner, port *Port) error {
	a := attrs{b: b}
	var err error
	for a.next() {
		switch a.typ {
		case attrOrigin:
			var o uint16
			o, err = a.u16()
			p.Origin, p.HasOrigin = Origin(o), true
		case attrPC:
			p.PC, err = a.u64()
			p.HasPC = true
		case attrSymbol:
			p.Symbol = strs.str(&a)
		case attrHWTrapGroupName:
			p.HWTrapGroupName = strs.str(&a)
		case attrHWTrapName:
			p.HWTrapName = strs.str(&a)
		case attrInPort:
			if p.InPort == nil {
				if port == nil {
					port = &Port{}
				}
				p.InPort = port
			}
			err = decodePort(a.data, p.InPort, strs)
		case attrFlowActionCookie:
			p.Cookie = a.data
		case attrTimestamp:
			var ns uint64
			ns, err = a.u64()
			p.Timestamp, p.HasTimestamp = time.Unix(0, int64(ns)), true
		case attrProto:
			p.Proto, err = a.u16()
			p.HasProto = true
		case attrPayload:
			p.Payload, p.HasPayload = a.data, true
		case attrOrigLen:
			p.OrigLen, err = a.u32()
			p.HasOrigLen = true
		case attrReason:
			p.Reason = strs.str(&a)
		}
		if err != nil {
			return err
		}
	}
	return a.err
}

func decodePort(b []byte, port *Port, strs *interner) error {
	a := attrs{b: b}
	for a.next() {
		switch a.typ {
		case attrPortNetdevIfindex:
			v, err := a.u32()
			if err != nil {
				return err
			}
			port.Ifindex, port.HasIfindex = v, true
		case attrPortNetdevName:
			port.Name = strs.str(&a)
		}
	}
	return a.err
}

// DecodeConfig decodes a NET_DM_CMD_CONFIG_NEW reply's attributes. All three
// attributes must be present, as the C tool requires.
func DecodeConfig(b []byte) (*Config, error) {
	var c Config
	var seen int
	a := attrs{b: b}
	for a.next() {
		var err error
		switch a.typ {
		case attrAlertMode:
			var m uint8
			m, err = a.u8()
			c.Mode = AlertMode(m)
			seen |= 1
		case attrTruncLen:
			c.TruncLen, err = a.u32()
			seen |= 2
		case attrQueueLen:
			c.QueueLen, err = a.u32()
			seen |= 4
		}
		if err != nil {
			return nil, err
		}
	}
	if a.err != nil {
		return nil, a.err
	}
	if seen != 7 {
		return nil, malformed("configuration reply lacks an attribute (have mask %#x of 0x7)", seen)
	}
	return &c, nil
}

// DecodeStats decodes a NET_DM_CMD_STATS_NEW reply's attributes.
func DecodeStats(b []byte) (*Stats, error) {
	var s Stats
	a := attrs{b: b}
	for a.next() {
		var dst **OriginStats
		switch a.typ {
		case attrStats:
			dst = &s.Software
		case attrHWStats:
			dst = &s.Hardware
		default:
			continue
		}
		os := &OriginStats{}
		f := attrs{b: a.data}
		for f.next() {
			if f.typ != attrStatsDropped {
				continue // NET_DM_ATTR_PAD on arches without efficient unaligned access
			}
			v, err := f.u64()
			if err != nil {
				return nil, err
			}
			os.Dropped = v
		}
		if f.err != nil {
			return nil, f.err
		}
		*dst = os
	}
	if a.err != nil {
		return nil, a.err
	}
	return &s, nil
}

// Netlink and generic netlink header sizes (struct nlmsghdr, struct
// genlmsghdr).
const (
	nlmsgHeaderLen = 16
	genlHeaderLen  = 4
)

// Netlink control message types (include/uapi/linux/netlink.h).
const (
	nlmsgNoop    = 1
	nlmsgError   = 2
	nlmsgDone    = 3
	nlmsgOverrun = 4
)

// splitMessage returns the first netlink message of b, its type, and the
// rest of b. Messages are 4-byte aligned (NLMSG_ALIGN).
func splitMessage(b []byte) (msg []byte, typ uint16, rest []byte, err error) {
	if len(b) < nlmsgHeaderLen {
		return nil, 0, nil, malformed("%d bytes, too short for a netlink header", len(b))
	}
	l := int(ne.Uint32(b[0:4]))
	if l < nlmsgHeaderLen || l > len(b) {
		return nil, 0, nil, malformed("netlink message length %d, %d bytes received", l, len(b))
	}
	next := (l + 3) &^ 3
	if next > len(b) {
		next = len(b)
	}
	return b[:l], ne.Uint16(b[4:6]), b[next:], nil
}

// DecodeEvent decodes one NET_DM multicast message: msg is a whole netlink
// message, header included, whose type is the NET_DM family id. Commands
// other than the two alerts yield ok == false.
func DecodeEvent(msg []byte) (ev Event, ok bool) {
	return decodeEvent(msg, nil)
}

func decodeEvent(msg []byte, strs *interner) (ev Event, ok bool) {
	if len(msg) < nlmsgHeaderLen+genlHeaderLen {
		return Event{Err: malformed("message of %d bytes, too short for the generic netlink header", len(msg))}, true
	}
	body := msg[nlmsgHeaderLen+genlHeaderLen:]
	switch cmd := msg[nlmsgHeaderLen]; cmd {
	case cmdAlert:
		al := &Alert{}
		if err := decodeAlert(body, al); err != nil {
			return Event{Err: fmt.Errorf("summary alert: %w", err)}, true
		}
		return Event{Alert: al}, true
	case cmdPacketAlert:
		// The alert and the port most alerts carry, in one allocation.
		pp := &struct {
			p    PacketAlert
			port Port
		}{}
		p := &pp.p
		if err := decodePacketAlert(body, p, strs, &pp.port); err != nil {
			return Event{Err: fmt.Errorf("packet alert: %w", err)}, true
		}
		return Event{Packet: p}, true
	default:
		return Event{}, false
	}
}

// interner keeps one copy of each distinct short string it is given. The
// strings of packet alerts (symbol, reason, trap names) repeat endlessly in
// a burst; the table is bounded so that a stream of distinct names cannot
// grow it without limit.
type interner struct {
	m map[string]string
}

const maxInterned = 4096

// str returns a string attribute, interned unless in is nil.
func (in *interner) str(a *attrs) string {
	if in == nil {
		return a.str()
	}
	return in.get(a.strBytes())
}

func (in *interner) get(b []byte) string {
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if in.m == nil {
		in.m = make(map[string]string)
	}
	if len(in.m) < maxInterned {
		in.m[s] = s
	}
	return s
}
