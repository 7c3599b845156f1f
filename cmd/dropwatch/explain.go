package main

// Texts dropwatch adds to the C tool's output, all on stderr: why a request
// failed and what to do about it.

import (
	"context"
	"errors"
	"os"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/skbtrace"
)

const noteNeitherSource = "note: with neither sw nor hw set to true, START carries no flag and the kernel monitors software drops"

// noFamilyHelp follows the C tool's "Unable to find NET_DM family" line.
const noFamilyHelp = `dropwatch: the kernel has no NET_DM (drop monitor) generic netlink family here. Likely causes:
  - the drop_monitor module is not loaded: run "modprobe drop_monitor";
  - the kernel was built without CONFIG_NET_DROP_MONITOR;
  - dropwatch runs outside the initial network namespace (a container): NET_DM exists only there;
    compare "readlink /proc/self/ns/net" with "readlink /proc/1/ns/net".
dropwatch --backend tracepoint reads drops from the skb:kfree_skb tracepoint instead.
`

// explain returns the hint that follows a failed request, or "". op is
// "start", "stop", "config", "get" (show and stats) or "listen".
func explain(op string, err error, hw bool) string {
	var te *skbtrace.Error
	switch {
	case errors.As(err, &te) && te.Hint != "":
		return "dropwatch: " + te.Hint
	case errors.Is(err, errHardwareDrops):
		return "dropwatch: " + errHardwareDrops.Error() + "; type set hw false."
	case errors.Is(err, dropmon.ErrAlreadyMonitoring):
		return "dropwatch: the kernel is already monitoring drops: another tool, or a dropwatch that ended without stopping it, started it. Type stop to end it, or run dropwatch --force."
	case errors.Is(err, dropmon.ErrBusy):
		return "dropwatch: the kernel refuses configuration changes while it monitors drops (perhaps for another tool): type stop first."
	case errors.Is(err, os.ErrPermission) && op == "listen":
		return "dropwatch: receiving drop alerts needs CAP_SYS_ADMIN on Linux 6.7 and later: run dropwatch as root."
	case errors.Is(err, os.ErrPermission):
		return "dropwatch: starting, stopping and configuring the drop monitor needs CAP_NET_ADMIN: run dropwatch as root."
	case errors.Is(err, errors.ErrUnsupported) && op == "start" && hw:
		return "dropwatch: this kernel cannot monitor hardware drops (it needs Linux 5.4 or later with devlink, CONFIG_NET_DEVLINK)."
	case errors.Is(err, errors.ErrUnsupported) && (op == "config" || op == "get"):
		return "dropwatch: this kernel's drop monitor predates Linux 5.4: packet mode, trunc, queue, show and stats need 5.4 or later."
	case errors.Is(err, dropmon.ErrTimeout) || errors.Is(err, context.DeadlineExceeded):
		if op == "stop" {
			return "dropwatch: the kernel may still be monitoring: type stop to try again."
		}
		return "dropwatch: the kernel did not answer; the request may or may not have taken effect."
	}
	return ""
}
