package dropmon

// NET_DM constants, from include/uapi/linux/net_dropmon.h as of Linux 6.12
// (golang.org/x/sys/unix does not carry this header). Only what is used.

// Commands (the generic netlink command byte).
const (
	cmdAlert       = 1 // kernel -> multicast: summary alert
	cmdConfig      = 2 // user -> kernel: set configuration (5.4+)
	cmdStart       = 3
	cmdStop        = 4
	cmdPacketAlert = 5 // kernel -> multicast: one dropped packet (5.4+)
	cmdConfigGet   = 6
	cmdConfigNew   = 7 // reply to cmdConfigGet
	cmdStatsGet    = 8
	cmdStatsNew    = 9 // reply to cmdStatsGet
)

// Attributes (enum net_dm_attr).
const (
	attrUnspec           = 0 // carries struct net_dm_alert_msg in summary alerts
	attrAlertMode        = 1 // u8
	attrPC               = 2 // u64
	attrSymbol           = 3 // string
	attrInPort           = 4 // nested, port attributes below
	attrTimestamp        = 5 // u64, ns since the epoch (ktime_get_real)
	attrProto            = 6 // u16, host order
	attrPayload          = 7 // binary
	attrPad              = 8
	attrTruncLen         = 9  // u32
	attrOrigLen          = 10 // u32
	attrQueueLen         = 11 // u32
	attrStats            = 12 // nested, stats attributes below
	attrHWStats          = 13 // nested
	attrOrigin           = 14 // u16
	attrHWTrapGroupName  = 15 // string
	attrHWTrapName       = 16 // string
	attrHWEntries        = 17 // nested list of attrHWEntry
	attrHWEntry          = 18 // nested {attrHWTrapName, attrHWTrapCount}
	attrHWTrapCount      = 19 // u32
	attrSWDrops          = 20 // flag
	attrHWDrops          = 21 // flag
	attrFlowActionCookie = 22 // binary
	attrReason           = 23 // string, enum skb_drop_reason name without SKB_DROP_REASON_ (5.18+)
)

// Port attributes (NET_DM_ATTR_IN_PORT nest). Type 0 is data here.
const (
	attrPortNetdevIfindex = 0 // u32
	attrPortNetdevName    = 1 // string
)

// Stats attributes (NET_DM_ATTR_STATS and NET_DM_ATTR_HW_STATS nests).
const attrStatsDropped = 0 // u64

// groupName is the only multicast group of the family. genetlink gives
// NET_DM the fixed group id 1 (NET_DM_GRP_ALERT) for the legacy bind
// bitmask, but the id is resolved by name all the same.
const groupName = "events"

// familyName is the generic netlink family name.
const familyName = "NET_DM"

// Netlink attribute header flags (include/uapi/linux/netlink.h). The kernel
// sets NLA_F_NESTED on nests (nla_nest_start, 5.2+); types are masked.
const (
	nlaFNested       = 0x8000
	nlaFNetByteorder = 0x4000
	nlaTypeMask      = ^uint16(nlaFNested | nlaFNetByteorder)
)

// Sizes of the summary alert payload (struct net_dm_alert_msg and struct
// net_dm_drop_point): a u32 entry count, then {u8 pc[8]; u32 count} points
// with no padding.
const (
	alertMsgHeaderLen = 4
	dropPointLen      = 12
)
