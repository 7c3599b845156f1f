package report

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/flow"
)

// maxLinkNames bounds the interface names a LinkTypes remembers.
const maxLinkNames = 1024

// LinkTypes says where the payloads of packet alerts start, from the type
// of the interface each came in on (/sys/class/net/NAME/type, an ARPHRD_*
// number). NET_DM names the input interface (NET_DM_ATTR_PORT_NETDEV_NAME)
// in the device's own network namespace, and sysfs shows this process's:
// a name it does not show, or a packet without an input interface, is
// guessed from the bytes (flow.LinkAuto). The zero LinkTypes reads
// /sys/class/net. It is not safe for concurrent use.
type LinkTypes struct {
	// Dir is the sysfs directory of interfaces; "" is /sys/class/net.
	Dir   string
	known map[string]flow.Link
}

// Of returns where p's payload starts. A name is read from sysfs once.
func (l *LinkTypes) Of(p *dropmon.PacketAlert) flow.Link {
	if l == nil || p.InPort == nil || p.InPort.Name == "" {
		return flow.LinkAuto
	}
	name := p.InPort.Name
	if k, ok := l.known[name]; ok {
		return k
	}
	link := flow.LinkAuto
	if !strings.ContainsAny(name, "/") && name != "." && name != ".." {
		dir := l.Dir
		if dir == "" {
			dir = "/sys/class/net"
		}
		if b, err := os.ReadFile(filepath.Join(dir, name, "type")); err == nil {
			if t, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 16); err == nil {
				link = flow.LinkOfARPHRD(uint16(t))
			}
		}
	}
	if l.known == nil {
		l.known = make(map[string]flow.Link)
	}
	if len(l.known) < maxLinkNames {
		l.known[name] = link
	}
	return link
}
