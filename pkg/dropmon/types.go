package dropmon

import (
	"errors"
	"time"
)

// AlertMode is the kind of alert the kernel sends (NET_DM_ATTR_ALERT_MODE).
type AlertMode uint8

// Alert modes, from enum net_dm_alert_mode in include/uapi/linux/net_dropmon.h.
const (
	ModeSummary AlertMode = 0
	ModePacket  AlertMode = 1
)

// String returns "summary", "packet" or "invalid alert mode".
func (m AlertMode) String() string {
	switch m {
	case ModeSummary:
		return "summary"
	case ModePacket:
		return "packet"
	}
	return "invalid alert mode"
}

// Origin says whether a packet was dropped by software (the network stack)
// or by hardware (a device's devlink trap).
type Origin uint16

// Origins, from enum net_dm_origin in include/uapi/linux/net_dropmon.h.
const (
	OriginSoftware Origin = 0
	OriginHardware Origin = 1
)

// String returns "software", "hardware" or "unknown".
func (o Origin) String() string {
	switch o {
	case OriginSoftware:
		return "software"
	case OriginHardware:
		return "hardware"
	}
	return "unknown"
}

// Source selects which drops START and STOP act on.
type Source uint8

// Sources. A zero Source sends neither NET_DM_ATTR_SW_DROPS nor
// NET_DM_ATTR_HW_DROPS; the kernel then acts on software drops only, for
// compatibility with pre-5.4 userspace (net_dm_cmd_trace in drop_monitor.c).
const (
	SourceSoftware Source = 1 << iota
	SourceHardware
)

// String returns "software", "hardware", "software+hardware", or "default"
// for the zero Source.
func (s Source) String() string {
	switch s & (SourceSoftware | SourceHardware) {
	case SourceSoftware:
		return "software"
	case SourceHardware:
		return "hardware"
	case SourceSoftware | SourceHardware:
		return "software+hardware"
	}
	return "default"
}

// Config is the kernel's drop monitor configuration (NET_DM_CMD_CONFIG_NEW).
// It is global to the kernel and persists until reboot or module reload.
type Config struct {
	Mode     AlertMode
	TruncLen uint32 // bytes of payload kept per packet alert; 0 means no limit
	QueueLen uint32 // per-CPU queue of packets waiting to be sent
}

// ConfigUpdate is a NET_DM_CMD_CONFIG request: only the non-nil fields are
// sent, and the kernel leaves the others unchanged.
type ConfigUpdate struct {
	Mode     *AlertMode
	TruncLen *uint32
	QueueLen *uint32
}

// Stats are the kernel's drop monitor statistics (NET_DM_CMD_STATS_NEW).
// A nil field means the kernel did not report that origin.
type Stats struct {
	Software *OriginStats
	Hardware *OriginStats
}

// OriginStats are the statistics of one origin.
type OriginStats struct {
	// Dropped counts packet alerts the kernel discarded because its per-CPU
	// queue was full (the C tool's "Tail dropped").
	Dropped uint64
}

// DropPoint is one software drop location of a summary alert.
type DropPoint struct {
	PC    uint64 // kernel address of the drop; 0 for a device's rx_dropped
	Count uint32
	// Reason is the drop reason of the tracepoint backend's summaries
	// (pkg/drops), which count per location and reason; NET_DM's summary
	// alerts carry none (NET_DM_ATTR_ALERT is PCs and counts only).
	Reason string
}

// HWEntry is one hardware trap of a summary alert.
type HWEntry struct {
	TrapName string
	Count    uint32
}

// Alert is a summary alert (NET_DM_CMD_ALERT).
type Alert struct {
	Points    []DropPoint
	HWEntries []HWEntry
}

// MaxSummaryPoints is the number of distinct drop locations the kernel keeps
// per CPU per alert (dm_hit_limit in drop_monitor.c). An alert that holds
// this many may have lost further locations: the kernel silently ignores them.
const MaxSummaryPoints = 64

// Full reports whether the alert carries MaxSummaryPoints locations, so that
// the kernel may have ignored further ones.
func (a *Alert) Full() bool { return len(a.Points) >= MaxSummaryPoints }

// Port is a NET_DM_ATTR_IN_PORT nest.
type Port struct {
	Ifindex    uint32
	HasIfindex bool
	Name       string
}

// PacketAlert is a packet alert (NET_DM_CMD_PACKET_ALERT). The Has* fields
// and nil or empty values say which attributes the kernel sent.
type PacketAlert struct {
	Origin    Origin
	HasOrigin bool

	PC     uint64 // software drops
	HasPC  bool
	Symbol string // the kernel's "%pS" text of PC, at most 39 bytes

	HWTrapGroupName string // hardware drops
	HWTrapName      string

	InPort *Port

	Cookie []byte // NET_DM_ATTR_FLOW_ACTION_COOKIE

	Timestamp    time.Time // wall-clock time of the drop
	HasTimestamp bool

	Proto    uint16 // EtherType, host order
	HasProto bool

	Payload    []byte // the packet from its MAC header, possibly truncated
	HasPayload bool

	OrigLen    uint32 // the packet's length before truncation
	HasOrigLen bool

	Reason string // "NO_SOCKET", ...; 5.18+ kernels
}

// Event is one message received from the drop monitor's multicast group.
// Exactly one of Alert, Packet and Err is set.
type Event struct {
	Alert  *Alert
	Packet *PacketAlert
	// Err is a decoding error for a message that could not be understood;
	// receiving goes on after it.
	Err error
	// Raw is the whole netlink message, header included, when the monitor
	// was opened with MonitorConfig.KeepRaw.
	Raw []byte
}

// Sentinel errors. *Error values match them with errors.Is.
var (
	// ErrFamilyNotFound: the NET_DM family is not registered in this network
	// namespace. It also matches os.ErrNotExist.
	ErrFamilyNotFound error = familyNotFound{}

	// ErrAlreadyMonitoring: START was refused with EAGAIN because monitoring
	// of the requested origin is already on, started by another tool or by
	// one that exited without stopping it.
	ErrAlreadyMonitoring = errors.New("drop monitoring is already active")

	// ErrBusy: CONFIG was refused with EBUSY because monitoring is on.
	ErrBusy = errors.New("drop monitor cannot be configured while monitoring")

	// ErrTimeout: the kernel did not answer a request in time.
	ErrTimeout = errors.New("timed out waiting for the kernel's reply")

	// ErrMalformed: a message from the kernel could not be decoded.
	ErrMalformed = errors.New("malformed NET_DM message")
)
