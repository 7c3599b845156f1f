package nlpcap

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/mdlayher/netlink"
)

// Generic netlink controller values from include/uapi/linux/genetlink.h,
// kept here because golang.org/x/sys/unix defines them for Linux only and
// the builders in this file work everywhere.
const (
	genlIDCtrl = 0x10 // GENL_ID_CTRL, the controller's fixed family ID

	ctrlCmdNewFamily = 1 // CTRL_CMD_NEWFAMILY
	ctrlCmdGetFamily = 3 // CTRL_CMD_GETFAMILY

	ctrlAttrFamilyID    = 1 // CTRL_ATTR_FAMILY_ID, u16
	ctrlAttrFamilyName  = 2 // CTRL_ATTR_FAMILY_NAME, string
	ctrlAttrVersion     = 3 // CTRL_ATTR_VERSION, u32
	ctrlAttrHdrSize     = 4 // CTRL_ATTR_HDRSIZE, u32
	ctrlAttrMaxAttr     = 5 // CTRL_ATTR_MAXATTR, u32
	ctrlAttrMcastGroups = 7 // CTRL_ATTR_MCAST_GROUPS, nest of nests

	ctrlAttrMcastGrpName = 1 // CTRL_ATTR_MCAST_GRP_NAME, string
	ctrlAttrMcastGrpID   = 2 // CTRL_ATTR_MCAST_GRP_ID, u32

	// ctrlVersion is the controller family's version, which the kernel
	// puts in the generic netlink header of its replies (genl_ctrl in
	// net/netlink/genetlink.c).
	ctrlVersion = 2
	// ctrlRequestVersion is the version libnl's genl_ctrl_resolve sends;
	// the kernel ignores it.
	ctrlRequestVersion = 1

	nlmsgHeaderLen = 16
	genlHeaderLen  = 4
	nlmsgError     = 2 // NLMSG_ERROR
	nlmFRequest    = 0x1
)

// Family is what a CTRL_CMD_NEWFAMILY message says about a generic netlink
// family.
type Family struct {
	ID      uint16
	Version uint32
	Name    string
	HdrSize uint32
	MaxAttr uint32
	Groups  []Group
}

// Group is a multicast group of a family.
type Group struct {
	ID   uint32
	Name string
}

// NETDMFamilyRecord is the first record of a NET_DM capture, which lets
// Wireshark map the alerts' netlink type to its net_dm dissector: the
// kernel's CTRL_CMD_NEWFAMILY reply as fetch returns it (FetchFamily of
// "NET_DM"), or, when that fails or names another family ID than id (the
// one the monitor resolved), an equivalent message built from id.
func NETDMFamilyRecord(ctx context.Context, id uint16, fetch func(context.Context) ([]byte, error)) []byte {
	if b, err := fetch(ctx); err == nil {
		if f, err := ParseFamilyMessage(b); err == nil && f.ID == id {
			return b
		}
	}
	return NewFamilyMessage(NETDMFamily(id, 0))
}

// NETDMFamily returns the NET_DM family as the kernel registers it
// (net/core/drop_monitor.c): version 2, no user header, the single "events"
// group with the fixed ID 1 that genetlink reserves for NET_DM. The ID is
// assigned at registration, so the caller supplies it; maxAttr is
// NET_DM_ATTR_MAX of the running kernel, 0 if unknown (Wireshark ignores it).
func NETDMFamily(id uint16, maxAttr uint32) Family {
	return Family{
		ID:      id,
		Version: 2,
		Name:    "NET_DM",
		MaxAttr: maxAttr,
		Groups:  []Group{{ID: 1, Name: "events"}},
	}
}

// NewFamilyMessage builds the netlink message with which the kernel
// describes family f: a CTRL_CMD_NEWFAMILY from the controller, with the
// attributes in the order of ctrl_fill_info in net/netlink/genetlink.c
// (name, ID, version, header size, maximum attribute, then the multicast
// groups, each a nest of ID and name). It leaves out the operations, which
// Wireshark does not need. Sequence number and port ID are 0.
func NewFamilyMessage(f Family) []byte {
	ae := netlink.NewAttributeEncoder()
	ae.String(ctrlAttrFamilyName, f.Name)
	ae.Uint16(ctrlAttrFamilyID, f.ID)
	ae.Uint32(ctrlAttrVersion, f.Version)
	ae.Uint32(ctrlAttrHdrSize, f.HdrSize)
	ae.Uint32(ctrlAttrMaxAttr, f.MaxAttr)
	if len(f.Groups) > 0 {
		// The kernel opens these nests with nla_nest_start_noflag, so they
		// do not carry NLA_F_NESTED; AttributeEncoder.Nested would set it.
		ae.Do(ctrlAttrMcastGroups, func() ([]byte, error) {
			groups := netlink.NewAttributeEncoder()
			for i, g := range f.Groups {
				groups.Do(uint16(i+1), func() ([]byte, error) {
					ge := netlink.NewAttributeEncoder()
					ge.Uint32(ctrlAttrMcastGrpID, g.ID)
					ge.String(ctrlAttrMcastGrpName, g.Name)
					return ge.Encode()
				})
			}
			return groups.Encode()
		})
	}
	attrs, err := ae.Encode()
	if err != nil {
		// Encoding only fails for values that do not fit a 16-bit
		// attribute length; a family name never comes near that.
		panic(fmt.Sprintf("nlpcap: encoding family %q: %v", f.Name, err))
	}
	return genlMessage(genlIDCtrl, 0, 0, ctrlCmdNewFamily, ctrlVersion, attrs)
}

// getFamilyRequest builds a by-name CTRL_CMD_GETFAMILY request, as libnl's
// genl_ctrl_resolve sends it.
func getFamilyRequest(name string, seq uint32) []byte {
	ae := netlink.NewAttributeEncoder()
	ae.String(ctrlAttrFamilyName, name)
	attrs, err := ae.Encode()
	if err != nil {
		panic(fmt.Sprintf("nlpcap: encoding family name %q: %v", name, err))
	}
	return genlMessage(genlIDCtrl, nlmFRequest, seq, ctrlCmdGetFamily, ctrlRequestVersion, attrs)
}

// genlMessage lays out a netlink header, a generic netlink header and the
// attributes, in host byte order.
func genlMessage(typ, flags uint16, seq uint32, cmd, version uint8, attrs []byte) []byte {
	n := nlmsgHeaderLen + genlHeaderLen + len(attrs)
	bo := binary.NativeEndian
	b := make([]byte, 0, n)
	b = bo.AppendUint32(b, uint32(n))
	b = bo.AppendUint16(b, typ)
	b = bo.AppendUint16(b, flags)
	b = bo.AppendUint32(b, seq)
	b = bo.AppendUint32(b, 0) // port ID: the kernel fills in the sender's
	b = append(b, cmd, version, 0, 0)
	return append(b, attrs...)
}

// ErrNotFamilyMessage is returned by ParseFamilyMessage for bytes that are
// not a controller CTRL_CMD_NEWFAMILY message.
var ErrNotFamilyMessage = errors.New("nlpcap: not a CTRL_CMD_NEWFAMILY message")

// ParseFamilyMessage decodes the first netlink message in b, which must be
// a CTRL_CMD_NEWFAMILY message from the controller, such as FetchFamily
// returns or NewFamilyMessage builds.
func ParseFamilyMessage(b []byte) (Family, error) {
	attrs, err := familyAttributes(b)
	if err != nil {
		return Family{}, err
	}
	ad, err := netlink.NewAttributeDecoder(attrs)
	if err != nil {
		return Family{}, fmt.Errorf("nlpcap: family attributes: %w", err)
	}
	var f Family
	for ad.Next() {
		switch ad.Type() {
		case ctrlAttrFamilyID:
			f.ID = ad.Uint16()
		case ctrlAttrFamilyName:
			f.Name = ad.String()
		case ctrlAttrVersion:
			f.Version = ad.Uint32()
		case ctrlAttrHdrSize:
			f.HdrSize = ad.Uint32()
		case ctrlAttrMaxAttr:
			f.MaxAttr = ad.Uint32()
		case ctrlAttrMcastGroups:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					var g Group
					nad.Nested(parseGroup(&g))
					f.Groups = append(f.Groups, g)
				}
				return nad.Err()
			})
		}
	}
	if err := ad.Err(); err != nil {
		return Family{}, fmt.Errorf("nlpcap: family attributes: %w", err)
	}
	if f.ID == 0 || f.Name == "" {
		return Family{}, fmt.Errorf("%w: no family ID or name", ErrNotFamilyMessage)
	}
	return f, nil
}

func parseGroup(g *Group) func(*netlink.AttributeDecoder) error {
	return func(ad *netlink.AttributeDecoder) error {
		for ad.Next() {
			switch ad.Type() {
			case ctrlAttrMcastGrpID:
				g.ID = ad.Uint32()
			case ctrlAttrMcastGrpName:
				g.Name = ad.String()
			}
		}
		return ad.Err()
	}
}

// familyAttributes checks the headers of the first message in b and
// returns its attribute bytes.
func familyAttributes(b []byte) ([]byte, error) {
	if len(b) < nlmsgHeaderLen+genlHeaderLen {
		return nil, fmt.Errorf("%w: %d bytes", ErrNotFamilyMessage, len(b))
	}
	bo := binary.NativeEndian
	n := int(bo.Uint32(b[0:]))
	typ := bo.Uint16(b[4:])
	if n < nlmsgHeaderLen+genlHeaderLen || n > len(b) {
		return nil, fmt.Errorf("%w: length %d of %d bytes", ErrNotFamilyMessage, n, len(b))
	}
	if typ != genlIDCtrl || b[nlmsgHeaderLen] != ctrlCmdNewFamily {
		return nil, fmt.Errorf("%w: type %#x, command %d", ErrNotFamilyMessage, typ, b[nlmsgHeaderLen])
	}
	return b[nlmsgHeaderLen+genlHeaderLen : n], nil
}
