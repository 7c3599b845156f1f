package counters

import (
	"time"
)

// Config says where a Reader reads from. The zero value reads every source
// of the caller's network namespace.
type Config struct {
	// ProcRoot is the procfs mount to read /proc/net files from: "" means
	// /proc. Tests point it at a directory of captured files
	// (ProcRoot/net/snmp, ...).
	ProcRoot string
	// NetNS, if not 0, is an open file descriptor of a network namespace
	// (/run/netns/NAME, /proc/PID/ns/net): the link, ethtool and qdisc
	// sources are read there, and, when ProcRoot is "", so are the SNMP
	// files (through /proc/thread-self/net on a thread that joined the
	// namespace). softnet_stat is per CPU and the same in every
	// namespace. The Reader does not close it.
	NetNS int
	// Timeout bounds each netlink request (a link or qdisc dump); 0 means
	// 5 seconds. ethtool ioctls are synchronous calls that the kernel
	// answers without waiting for hardware events, so they cannot be given
	// a deadline; the Reader checks the time between interfaces and gives
	// up on the rest when it has passed.
	Timeout time.Duration
	// Sources lists the sources to read; nil means AllSources. Ethtool
	// needs the interface list, so it reads the links too.
	Sources []Source
}

const defaultTimeout = 5 * time.Second

func (c Config) wants(s Source) bool {
	if c.Sources == nil {
		return true
	}
	for _, x := range c.Sources {
		if x == s {
			return true
		}
	}
	return false
}
