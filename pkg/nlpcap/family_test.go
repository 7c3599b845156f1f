package nlpcap

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNewFamilyMessageNETDM(t *testing.T) {
	if !littleEndian() {
		t.Skip("the expected message is written down for little-endian hosts")
	}
	// Laid out by hand from ctrl_fill_info (net/netlink/genetlink.c) and
	// include/uapi/linux/genetlink.h, for NET_DM with ID 0x1b and
	// NET_DM_ATTR_MAX 23.
	want := []byte{
		0x5c, 0x00, 0x00, 0x00, // nlmsg_len 92
		0x10, 0x00, // GENL_ID_CTRL
		0x00, 0x00, // flags
		0x00, 0x00, 0x00, 0x00, // seq
		0x00, 0x00, 0x00, 0x00, // port ID
		0x01, 0x02, 0x00, 0x00, // CTRL_CMD_NEWFAMILY, version 2
		0x0b, 0x00, 0x02, 0x00, 'N', 'E', 'T', '_', 'D', 'M', 0x00, 0x00, // FAMILY_NAME
		0x06, 0x00, 0x01, 0x00, 0x1b, 0x00, 0x00, 0x00, // FAMILY_ID
		0x08, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00, // VERSION 2
		0x08, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, // HDRSIZE 0
		0x08, 0x00, 0x05, 0x00, 0x17, 0x00, 0x00, 0x00, // MAXATTR 23
		0x1c, 0x00, 0x07, 0x00, // MCAST_GROUPS
		0x18, 0x00, 0x01, 0x00, // group #1
		0x08, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, // MCAST_GRP_ID 1
		0x0b, 0x00, 0x01, 0x00, 'e', 'v', 'e', 'n', 't', 's', 0x00, 0x00, // MCAST_GRP_NAME
	}
	if diff := cmp.Diff(want, NewFamilyMessage(NETDMFamily(0x1b, 23))); diff != "" {
		t.Errorf("NewFamilyMessage (-want +got):\n%s", diff)
	}
}

// testdata/nlctrl-family-reply.bin is the kernel's reply to
// FetchFamily(ctx, "nlctrl") on Linux 6.18 (amd64): the controller
// describing itself, with two operations and the "notify" group.
func readGolden(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/nlctrl-family-reply.bin")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseFamilyMessageKernelReply(t *testing.T) {
	got, err := ParseFamilyMessage(readGolden(t))
	if err != nil {
		t.Fatal(err)
	}
	want := Family{ID: 0x10, Version: 2, Name: "nlctrl", Groups: []Group{{ID: 0x10, Name: "notify"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseFamilyMessage (-want +got):\n%s", diff)
	}
}

// The builder lays the message out as the kernel does: the golden reply
// without its CTRL_ATTR_OPS nest (0x2c bytes at offset 0x40), and with
// sequence number and port ID zero.
func TestNewFamilyMessageMatchesKernel(t *testing.T) {
	golden := readGolden(t)
	const opsAt, opsLen = 0x40, 0x2c
	if binary.NativeEndian.Uint16(golden[opsAt+2:]) != 6 {
		t.Fatalf("golden file: no CTRL_ATTR_OPS at %#x", opsAt)
	}
	want := append(bytes.Clone(golden[:opsAt]), golden[opsAt+opsLen:]...)
	binary.NativeEndian.PutUint32(want[0:], uint32(len(want)))
	clear(want[8:16])

	f, err := ParseFamilyMessage(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, NewFamilyMessage(f)); diff != "" {
		t.Errorf("NewFamilyMessage(ParseFamilyMessage(kernel reply)) (-want +got):\n%s", diff)
	}
}

func TestFamilyRoundTrip(t *testing.T) {
	for _, f := range []Family{
		NETDMFamily(0x1b, 23),
		NETDMFamily(0xffff, 0),
		{ID: 0x20, Version: 1, Name: "x", HdrSize: 4, MaxAttr: 7, Groups: []Group{{ID: 5, Name: "a"}, {ID: 6, Name: "bb"}}},
		{ID: 0x21, Name: "nogroups"},
	} {
		got, err := ParseFamilyMessage(NewFamilyMessage(f))
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if diff := cmp.Diff(f, got); diff != "" {
			t.Errorf("%s: round trip (-want +got):\n%s", f.Name, diff)
		}
	}
}

func TestParseFamilyMessageErrors(t *testing.T) {
	good := NewFamilyMessage(NETDMFamily(0x1b, 23))
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := map[string][]byte{
		"empty": nil,
		"short": good[:10],
		"length too long": mutate(func(b []byte) []byte {
			binary.NativeEndian.PutUint32(b, uint32(len(b)+4))
			return b
		}),
		"not the controller": mutate(func(b []byte) []byte {
			binary.NativeEndian.PutUint16(b[4:], 0x1b)
			return b
		}),
		"GETFAMILY, not NEWFAMILY": getFamilyRequest("NET_DM", 1),
		"no family ID":             NewFamilyMessage(Family{Name: "x"}),
	}
	for name, b := range tests {
		if _, err := ParseFamilyMessage(b); !errors.Is(err, ErrNotFamilyMessage) {
			t.Errorf("%s: err = %v, want ErrNotFamilyMessage", name, err)
		}
	}
	// A broken attribute is an error too, of the decoder's kind.
	bad := mutate(func(b []byte) []byte {
		binary.NativeEndian.PutUint16(b[20:], 0xff) // FAMILY_NAME length past the end
		return b
	})
	if _, err := ParseFamilyMessage(bad); err == nil {
		t.Error("broken attribute: no error")
	}
}

func TestGetFamilyRequest(t *testing.T) {
	if !littleEndian() {
		t.Skip("the expected message is written down for little-endian hosts")
	}
	want := []byte{
		0x20, 0x00, 0x00, 0x00, // nlmsg_len 32
		0x10, 0x00, 0x01, 0x00, // GENL_ID_CTRL, NLM_F_REQUEST
		0x07, 0x00, 0x00, 0x00, // seq 7
		0x00, 0x00, 0x00, 0x00,
		0x03, 0x01, 0x00, 0x00, // CTRL_CMD_GETFAMILY, version 1
		0x0b, 0x00, 0x02, 0x00, 'N', 'E', 'T', '_', 'D', 'M', 0x00, 0x00,
	}
	if diff := cmp.Diff(want, getFamilyRequest("NET_DM", 7)); diff != "" {
		t.Errorf("getFamilyRequest (-want +got):\n%s", diff)
	}
}

func TestNETDMFamilyRecord(t *testing.T) {
	kernels := NewFamilyMessage(NETDMFamily(0x1c, 10))
	tests := []struct {
		name  string
		fetch func(context.Context) ([]byte, error)
		id    uint16
		want  []byte
	}{
		{"the kernel's reply", func(context.Context) ([]byte, error) { return kernels, nil }, 0x1c, kernels},
		{"another ID", func(context.Context) ([]byte, error) { return kernels, nil }, 0x1d, NewFamilyMessage(NETDMFamily(0x1d, 0))},
		{"garbage", func(context.Context) ([]byte, error) { return []byte{1, 2, 3}, nil }, 0x1c, NewFamilyMessage(NETDMFamily(0x1c, 0))},
		{"no reply", func(context.Context) ([]byte, error) { return nil, os.ErrDeadlineExceeded }, 0x1c, NewFamilyMessage(NETDMFamily(0x1c, 0))},
	}
	for _, tt := range tests {
		if got := NETDMFamilyRecord(context.Background(), tt.id, tt.fetch); !bytes.Equal(got, tt.want) {
			t.Errorf("%s: got % x, want % x", tt.name, got, tt.want)
		}
	}
}
