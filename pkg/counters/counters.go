package counters

import (
	"errors"
	"fmt"
	"time"
)

// Source is where a counter comes from.
type Source uint8

// The sources, in the order a snapshot reads them.
const (
	Link    Source = iota + 1 // rtnetlink IFLA_STATS64 (ip -s link)
	Ethtool                   // driver statistics (ethtool -S)
	Softnet                   // /proc/net/softnet_stat
	SNMP                      // /proc/net/netstat, snmp6, snmp (nstat)
	Qdisc                     // rtnetlink TCA_STATS2 (tc -s qdisc)

	// DropReason is no counter source: it marks the explanations of the
	// kernel's drop reasons (enum skb_drop_reason).
	DropReason
)

// AllSources lists every source.
var AllSources = []Source{Link, Ethtool, Softnet, SNMP, Qdisc}

func (s Source) String() string {
	switch s {
	case Link:
		return "link"
	case Ethtool:
		return "ethtool"
	case Softnet:
		return "softnet"
	case SNMP:
		return "snmp"
	case Qdisc:
		return "qdisc"
	case DropReason:
		return "reason"
	}
	return fmt.Sprintf("source(%d)", uint8(s))
}

// Counter is one value of a snapshot.
type Counter struct {
	Source Source
	// Object is what the counter belongs to: the interface name for Link
	// and Ethtool, "cpu<N>" for Softnet, "" for SNMP, and for Qdisc the
	// qdisc as tc names it: "<kind> <handle> dev <interface> root" or
	// "... parent <major>:<minor>".
	Object string
	// Name is the counter's name within its source (rx_dropped, dropped,
	// UdpRcvbufErrors, drops).
	Name  string
	Value uint64
	// Bits is the counter's width in the kernel (32 or 64): at 2^Bits it
	// wraps to 0.
	Bits uint8
	// Gauge is true for values that go up and down (queue lengths) rather
	// than count events.
	Gauge bool
	// Gen tells objects of the same name apart: the ifindex for Link,
	// Ethtool and Qdisc counters, 0 otherwise. An interface deleted and
	// created again under the same name has a new ifindex, and its
	// counters start again from zero.
	Gen uint32
}

// Class says how a counter relates to drops; Diff sorts by it.
type Class uint8

// The classes, most important first.
const (
	ClassDrop    Class = iota + 1 // counts packets dropped
	ClassError                    // counts errors (that usually also lose the packet)
	ClassTraffic                  // counts packets or bytes handled
	ClassOther                    // everything else
)

func (c Class) String() string {
	switch c {
	case ClassDrop:
		return "drop"
	case ClassError:
		return "error"
	case ClassTraffic:
		return "traffic"
	case ClassOther:
		return "other"
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// Class classifies the counter: the explanation table's class where the
// counter has an entry there, else a guess from words in its name.
func (c Counter) Class() Class { return Classify(c.Source, c.Name) }

// Snapshot is the state of every source at one time.
type Snapshot struct {
	Time time.Time
	// Counters holds every counter read, grouped by source in the order of
	// AllSources, then by object and in each object in the source's order.
	Counters []Counter
	// Errors lists the sources (or the objects of a source) that could not
	// be read, and why.
	Errors []*SourceError
	// Read lists the sources that were read at least in part.
	Read []Source
}

// ErrMalformed is matched by errors.Is for a source whose data could not be
// parsed: a truncated line, a header and a value line of different lengths,
// a netlink attribute shorter than its structure.
var ErrMalformed = errors.New("malformed")

// ErrClosed is returned by Snapshot on a closed Reader.
var ErrClosed = errors.New("counters: reader closed")

// SourceError says why a source, or one object of it, could not be read.
// errors.Is matches os.ErrPermission when privileges were missing,
// os.ErrNotExist when the file or the kernel feature is missing, and
// ErrMalformed when the data could not be parsed.
type SourceError struct {
	Source Source
	// Object is the interface for a per-interface failure, else "".
	Object string
	// Path is the file read, for the /proc sources, or the request when
	// only a part of a source failed: "ETHTOOL_MSG_STATS_GET" (the
	// standard ethtool groups), "RTM_GETLINK" or "RTM_GETQDISC" (some
	// messages of the dump could not be decoded; the others were).
	Path string
	Err  error
}

func (e *SourceError) Error() string {
	s := "counters: " + e.Source.String()
	if e.Object != "" {
		s += " " + e.Object
	}
	if e.Path != "" {
		s += " " + e.Path
	}
	return s + ": " + e.Err.Error()
}

func (e *SourceError) Unwrap() error { return e.Err }

// malformed builds an error that matches ErrMalformed.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}
