package dropmon

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/netlink"
)

// The expected values in these tests are written from the UAPI
// (include/uapi/linux/net_dropmon.h) and the kernel's message layout
// (net/core/drop_monitor.c); the bytes are built with mdlayher/netlink's
// encoder, an implementation independent of the decoders under test.

func encode(t testing.TB, fn func(ae *netlink.AttributeEncoder)) []byte {
	t.Helper()
	ae := netlink.NewAttributeEncoder()
	fn(ae)
	b, err := ae.Encode()
	if err != nil {
		t.Fatalf("encoding attributes: %v", err)
	}
	return b
}

// alertMsg builds struct net_dm_alert_msg: u32 entries, then 12-byte
// {u8 pc[8]; u32 count} points. entries may differ from len(points) to
// build malformed messages.
func alertMsg(entries uint32, points ...DropPoint) []byte {
	b := binary.NativeEndian.AppendUint32(nil, entries)
	for _, p := range points {
		b = binary.NativeEndian.AppendUint64(b, p.PC)
		b = binary.NativeEndian.AppendUint32(b, p.Count)
	}
	return b
}

// checkDecode runs one decoder test case: either the decoder fails with
// ErrMalformed, or its result equals want.
func checkDecode[T any](t *testing.T, decode func([]byte) (*T, error), b []byte, want *T, wantErr bool) {
	t.Helper()
	got, err := decode(b)
	if wantErr {
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("error = %v, want ErrMalformed", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeAlert(t *testing.T) {
	hwEntry := func(name string, count uint32) func(*netlink.AttributeEncoder) error {
		return func(ae *netlink.AttributeEncoder) error {
			ae.String(attrHWTrapName, name)
			ae.Uint32(attrHWTrapCount, count)
			return nil
		}
	}
	tests := []struct {
		name    string
		b       []byte
		want    *Alert
		wantErr bool
	}{
		{
			name: "software points",
			b: encode(t, func(ae *netlink.AttributeEncoder) {
				ae.Bytes(attrUnspec, alertMsg(2,
					DropPoint{PC: 0xffffffff878bcae2, Count: 108},
					DropPoint{PC: 0, Count: 7}))
			}),
			want: &Alert{Points: []DropPoint{{PC: 0xffffffff878bcae2, Count: 108}, {PC: 0, Count: 7}}},
		},
		{
			// The kernel reserves room for 64 points and the entry count
			// says how many are used; slack after them is not data.
			name: "room for more points than entries",
			b: encode(t, func(ae *netlink.AttributeEncoder) {
				ae.Bytes(attrUnspec, append(alertMsg(1, DropPoint{PC: 0xffffffff81000010, Count: 3}), make([]byte, 24)...))
			}),
			want: &Alert{Points: []DropPoint{{PC: 0xffffffff81000010, Count: 3}}},
		},
		{
			name: "hardware entries after an empty ancillary header",
			b: encode(t, func(ae *netlink.AttributeEncoder) {
				ae.Bytes(attrUnspec, alertMsg(0))
				ae.Nested(attrHWEntries, func(nae *netlink.AttributeEncoder) error {
					nae.Nested(attrHWEntry, hwEntry("blackhole_route", 5))
					nae.Nested(attrHWEntry, hwEntry("ttl_value_is_too_small", 1))
					nae.Nested(attrHWEntry, func(e *netlink.AttributeEncoder) error {
						e.String(attrHWTrapName, "no_count_so_not_printed")
						return nil
					})
					return nil
				})
			}),
			want: &Alert{HWEntries: []HWEntry{{TrapName: "blackhole_route", Count: 5}, {TrapName: "ttl_value_is_too_small", Count: 1}}},
		},
		{
			name: "unknown attributes are skipped",
			b: encode(t, func(ae *netlink.AttributeEncoder) {
				ae.Uint32(200, 1)
				ae.Bytes(attrUnspec, alertMsg(1, DropPoint{PC: 1, Count: 1}))
			}),
			want: &Alert{Points: []DropPoint{{PC: 1, Count: 1}}},
		},
		{
			name: "entries beyond the payload",
			b: encode(t, func(ae *netlink.AttributeEncoder) {
				ae.Bytes(attrUnspec, alertMsg(3, DropPoint{PC: 1, Count: 1}))
			}),
			wantErr: true,
		},
		{
			name: "huge entry count",
			b: encode(t, func(ae *netlink.AttributeEncoder) {
				ae.Bytes(attrUnspec, alertMsg(0xffffffff))
			}),
			wantErr: true,
		},
		{
			name: "payload shorter than the entry count",
			b: encode(t, func(ae *netlink.AttributeEncoder) {
				ae.Bytes(attrUnspec, []byte{1, 0})
			}),
			wantErr: true,
		},
		{
			name:    "no point list at all",
			b:       encode(t, func(ae *netlink.AttributeEncoder) { ae.Uint32(attrPC, 1) }),
			wantErr: true,
		},
		{
			name:    "attribute length beyond the message",
			b:       []byte{200, 0, 0, 0, 1, 2, 3, 4},
			wantErr: true,
		},
		{
			name:    "truncated attribute header",
			b:       []byte{8, 0},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkDecode(t, DecodeAlert, tt.b, tt.want, tt.wantErr) })
	}
}

// softwareDrop encodes a software packet alert in the kernel's attribute
// order (net_dm_packet_report_fill): ORIGIN, PC, REASON, SYMBOL, IN_PORT,
// TIMESTAMP, ORIG_LEN, PROTO, PAYLOAD; the drop of a 74-byte UDP frame on
// loopback at __udp4_lib_rcv.
func softwareDrop(t testing.TB, ts time.Time, frame []byte) []byte {
	return encode(t, func(ae *netlink.AttributeEncoder) {
		ae.Uint16(attrOrigin, 0)
		ae.Uint64(attrPC, 0xffffffff878bcae2)
		ae.String(attrReason, "NO_SOCKET")
		ae.String(attrSymbol, "__udp4_lib_rcv+0x9a2/0xc30")
		ae.Nested(attrInPort, func(nae *netlink.AttributeEncoder) error {
			nae.Uint32(attrPortNetdevIfindex, 1)
			return nil
		})
		ae.Uint64(attrTimestamp, uint64(ts.UnixNano()))
		ae.Uint32(attrOrigLen, 74)
		ae.Uint16(attrProto, 0x0800)
		ae.Bytes(attrPayload, frame)
	})
}

func TestDecodePacketAlert(t *testing.T) {
	frame := []byte{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x45}
	ts := time.Date(2026, 11, 25, 12, 38, 38, 730595860, time.UTC)
	tests := []struct {
		name    string
		b       []byte
		want    *PacketAlert
		wantErr bool
	}{
		{
			name: "software drop",
			b:    softwareDrop(t, ts, frame),
			want: &PacketAlert{
				Origin: OriginSoftware, HasOrigin: true,
				PC: 0xffffffff878bcae2, HasPC: true,
				Symbol:    "__udp4_lib_rcv+0x9a2/0xc30",
				InPort:    &Port{Ifindex: 1, HasIfindex: true},
				Timestamp: ts, HasTimestamp: true,
				Proto: 0x0800, HasProto: true,
				Payload: frame, HasPayload: true,
				OrigLen: 74, HasOrigLen: true,
				Reason: "NO_SOCKET",
			},
		},
		{
			// A hardware alert (net_dm_hw_packet_report_fill) names the trap
			// and its group, and the port with its name.
			name: "hardware drop",
			b: encode(t, func(ae *netlink.AttributeEncoder) {
				ae.Uint16(attrOrigin, 1)
				ae.String(attrHWTrapGroupName, "l3_drops")
				ae.String(attrHWTrapName, "blackhole_route")
				ae.Nested(attrInPort, func(nae *netlink.AttributeEncoder) error {
					nae.Uint32(attrPortNetdevIfindex, 30)
					nae.String(attrPortNetdevName, "swp1")
					return nil
				})
				ae.Bytes(attrFlowActionCookie, []byte{0x31, 0x23, 0x79})
				ae.Uint32(attrOrigLen, 98)
			}),
			want: &PacketAlert{
				Origin: OriginHardware, HasOrigin: true,
				HWTrapGroupName: "l3_drops", HWTrapName: "blackhole_route",
				InPort:  &Port{Ifindex: 30, HasIfindex: true, Name: "swp1"},
				Cookie:  []byte{0x31, 0x23, 0x79},
				OrigLen: 98, HasOrigLen: true,
			},
		},
		{
			// Older kernels or other writers may omit NLA_F_NESTED; a
			// software drop with skb_iif == 0 sends an empty IN_PORT nest.
			name: "nest without NLA_F_NESTED, empty port, pad and unknown attributes",
			b: encode(t, func(ae *netlink.AttributeEncoder) {
				ae.Bytes(attrInPort, nil)
				ae.Bytes(attrPad, nil)
				ae.Uint64(99, 7)
			}),
			want: &PacketAlert{InPort: &Port{}},
		},
		{
			name:    "short PC",
			b:       encode(t, func(ae *netlink.AttributeEncoder) { ae.Uint32(attrPC, 1) }),
			wantErr: true,
		},
		{
			name:    "short origin",
			b:       encode(t, func(ae *netlink.AttributeEncoder) { ae.Uint8(attrOrigin, 1) }),
			wantErr: true,
		},
		{
			name: "short ifindex in port",
			b: encode(t, func(ae *netlink.AttributeEncoder) {
				ae.Nested(attrInPort, func(nae *netlink.AttributeEncoder) error {
					nae.Uint16(attrPortNetdevIfindex, 1)
					return nil
				})
			}),
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkDecode(t, DecodePacketAlert, tt.b, tt.want, tt.wantErr) })
	}
}

func TestDecodeConfig(t *testing.T) {
	tests := []struct {
		name    string
		b       []byte
		want    *Config
		wantErr bool
	}{
		{
			name: "packet mode",
			b: encode(t, func(ae *netlink.AttributeEncoder) {
				ae.Uint8(attrAlertMode, 1)
				ae.Uint32(attrTruncLen, 65535)
				ae.Uint32(attrQueueLen, 1000)
			}),
			want: &Config{Mode: ModePacket, TruncLen: 65535, QueueLen: 1000},
		},
		{
			name: "missing queue length",
			b: encode(t, func(ae *netlink.AttributeEncoder) {
				ae.Uint8(attrAlertMode, 0)
				ae.Uint32(attrTruncLen, 0)
			}),
			wantErr: true,
		},
		{
			name: "short truncation length",
			b: encode(t, func(ae *netlink.AttributeEncoder) {
				ae.Uint8(attrAlertMode, 0)
				ae.Uint16(attrTruncLen, 0)
				ae.Uint32(attrQueueLen, 0)
			}),
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkDecode(t, DecodeConfig, tt.b, tt.want, tt.wantErr) })
	}
}

func TestDecodeStats(t *testing.T) {
	tests := []struct {
		name    string
		b       []byte
		want    *Stats
		wantErr bool
	}{
		{
			// NET_DM_ATTR_STATS_DROPPED is attribute type 0 inside the nest.
			name: "software and hardware",
			b: encode(t, func(ae *netlink.AttributeEncoder) {
				ae.Nested(attrStats, func(nae *netlink.AttributeEncoder) error {
					nae.Uint64(attrStatsDropped, 12)
					return nil
				})
				ae.Nested(attrHWStats, func(nae *netlink.AttributeEncoder) error {
					nae.Bytes(attrPad, nil)
					nae.Uint64(attrStatsDropped, 0)
					return nil
				})
			}),
			want: &Stats{Software: &OriginStats{Dropped: 12}, Hardware: &OriginStats{Dropped: 0}},
		},
		{
			name: "software only",
			b: encode(t, func(ae *netlink.AttributeEncoder) {
				ae.Nested(attrStats, func(nae *netlink.AttributeEncoder) error {
					nae.Uint64(attrStatsDropped, 3)
					return nil
				})
			}),
			want: &Stats{Software: &OriginStats{Dropped: 3}},
		},
		{
			name: "short counter",
			b: encode(t, func(ae *netlink.AttributeEncoder) {
				ae.Nested(attrStats, func(nae *netlink.AttributeEncoder) error {
					nae.Uint32(attrStatsDropped, 3)
					return nil
				})
			}),
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkDecode(t, DecodeStats, tt.b, tt.want, tt.wantErr) })
	}
}

// nlmsg wraps generic netlink data in netlink and genetlink headers, as the
// kernel multicasts it: family id as type, no flags, seq and pid 0.
func nlmsg(t testing.TB, family uint16, cmd uint8, data []byte) []byte {
	t.Helper()
	body := append([]byte{cmd, 2, 0, 0}, data...)
	b, err := netlink.Message{
		Header: netlink.Header{Length: uint32(16 + len(body)), Type: netlink.HeaderType(family)},
		Data:   body,
	}.MarshalBinary()
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

func TestDecodeEvent(t *testing.T) {
	summary := encode(t, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(attrUnspec, alertMsg(1, DropPoint{PC: 0xffffffff81000000, Count: 2}))
	})
	packet := encode(t, func(ae *netlink.AttributeEncoder) { ae.Uint64(attrPC, 5) })
	tests := []struct {
		name   string
		msg    []byte
		want   Event
		wantOK bool
		isErr  bool
	}{
		{name: "summary", msg: nlmsg(t, 0x1c, cmdAlert, summary), wantOK: true,
			want: Event{Alert: &Alert{Points: []DropPoint{{PC: 0xffffffff81000000, Count: 2}}}}},
		{name: "packet", msg: nlmsg(t, 0x1c, cmdPacketAlert, packet), wantOK: true,
			want: Event{Packet: &PacketAlert{PC: 5, HasPC: true}}},
		{name: "other command", msg: nlmsg(t, 0x1c, cmdConfigNew, nil)},
		{name: "malformed summary", msg: nlmsg(t, 0x1c, cmdAlert, []byte{4, 0, 0, 0}), wantOK: true, isErr: true},
		{name: "no genetlink header", msg: nlmsg(t, 0x1c, cmdAlert, nil)[:18], wantOK: true, isErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := DecodeEvent(tt.msg)
			if ok != tt.wantOK {
				t.Fatalf("DecodeEvent ok = %v, want %v", ok, tt.wantOK)
			}
			if tt.isErr {
				if !errors.Is(got.Err, ErrMalformed) {
					t.Fatalf("DecodeEvent Err = %v, want ErrMalformed", got.Err)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DecodeEvent mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitMessage(t *testing.T) {
	// A 21-byte message padded to 24 (NLMSG_ALIGN), then a second one.
	a := []byte{21, 0, 0, 0, 0x1c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, cmdAlert, 2, 0, 0, 1, 0, 0, 0}
	b := nlmsg(t, 0x1d, cmdAlert, nil)
	datagram := append(append([]byte(nil), a...), b...)
	msg, typ, rest, err := splitMessage(datagram)
	if err != nil {
		t.Fatalf("splitMessage: %v", err)
	}
	if len(msg) != 21 || typ != 0x1c || len(rest) != len(b) {
		t.Fatalf("first message: len %d type %#x rest %d, want 21 0x1c %d", len(msg), typ, len(rest), len(b))
	}
	for _, bad := range [][]byte{{1, 2, 3}, {100, 0, 0, 0, 0x1c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {2, 0, 0, 0, 0x1c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}} {
		if _, _, _, err := splitMessage(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("splitMessage(%v) error = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestInterner(t *testing.T) {
	var in interner
	a := in.get([]byte("NO_SOCKET"))
	b := in.get([]byte("NO_SOCKET"))
	if a != "NO_SOCKET" || b != "NO_SOCKET" {
		t.Fatalf("interned %q %q", a, b)
	}
	if n := testing.AllocsPerRun(100, func() { in.get([]byte("NO_SOCKET")) }); n != 0 {
		t.Errorf("interning a known string allocates %v times, want 0", n)
	}
}

func TestStrings(t *testing.T) {
	got := []string{
		ModeSummary.String(), ModePacket.String(), AlertMode(7).String(),
		OriginSoftware.String(), OriginHardware.String(), Origin(9).String(),
		Source(0).String(), SourceSoftware.String(), SourceHardware.String(), (SourceSoftware | SourceHardware).String(),
	}
	// The first six are the words the C tool prints (dwdump -q, "origin:").
	want := []string{
		"summary", "packet", "invalid alert mode",
		"software", "hardware", "unknown",
		"default", "software", "hardware", "software+hardware",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("String mismatch (-want +got):\n%s", diff)
	}
}
