//go:build linux

package dropmon

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// A /proc/net/netlink as Linux 6.1 prints it (netlink_seq_show).
const procNetNetlink = `sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode
ffff8880035d6000 0   1          00000000 0        0        0     2        0        12
ffff888003748800 16  4026531841 00000001 2176     0        0     2        3177     4711
ffff888003749000 16  0          00000000 0        0        0     2        0        4712
`

func TestNetlinkDrops(t *testing.T) {
	got, err := netlinkDrops(strings.NewReader(procNetNetlink), 4711)
	if err != nil || got != 3177 {
		t.Fatalf("netlinkDrops(4711) = %d, %v; want 3177, nil", got, err)
	}
	if _, err := netlinkDrops(strings.NewReader(procNetNetlink), 99); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("netlinkDrops(99) error = %v, want os.ErrNotExist", err)
	}
	if _, err := netlinkDrops(strings.NewReader("garbage\n1 2 3\n"), 12); err == nil {
		t.Error("netlinkDrops on garbage succeeded")
	}
}
