package report

// Texts dropwatch adds to the C tool's output, all on stderr: why a request
// failed and what to do about it. The exporter's startup errors use the
// same diagnosis texts.

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
	"github.com/dropwatch-go/dropwatch/pkg/drops"
	"github.com/dropwatch-go/dropwatch/pkg/kallsyms"
	"github.com/dropwatch-go/dropwatch/pkg/skbtrace"
)

// NoFamilyCause names the cause dropmon.Diagnose found for a missing NET_DM
// family, in the order a user should check them, or "" if it found none.
func NoFamilyCause(d dropmon.Diagnosis) string {
	switch d.Cause() {
	case dropmon.CauseOtherNetNS:
		return "dropwatch runs outside the initial network namespace (a container), and NET_DM exists only there"
	case dropmon.CauseNotBuilt:
		return "kernel built without CONFIG_NET_DROP_MONITOR, " + d.ConfigSource
	case dropmon.CauseModuleNotLoaded:
		// Resolving the family by name normally loads the module
		// (MODULE_ALIAS_GENL_FAMILY); it did not here.
		return "the drop_monitor module " + d.ModuleFile + " is not loaded: run \"modprobe drop_monitor\""
	case dropmon.CauseModuleMissing:
		return fmt.Sprintf("kernel built with CONFIG_NET_DROP_MONITOR=m (%s) but no drop_monitor module is installed for %s", d.ConfigSource, d.KernelRelease)
	}
	return ""
}

// ShortCause is NoFamilyCause for the one line that says auto fell back
// to the tracepoint.
func ShortCause(d dropmon.Diagnosis) string {
	if c := NoFamilyCause(d); c != "" {
		return c
	}
	return "cause unknown: --backend netdm lists the possible ones"
}

// TryTracepoint ends NoFamilyHelp when the tracepoint was not tried.
const TryTracepoint = "dropwatch --backend tracepoint reads drops from the skb:kfree_skb tracepoint instead.\n"

// NoFamilyHelp follows the C tool's "Unable to find NET_DM family" lines:
// the cause found, or every possible one.
func NoFamilyHelp(d dropmon.Diagnosis) string {
	if c := NoFamilyCause(d); c != "" {
		return "dropwatch: the kernel has no NET_DM (drop monitor) generic netlink family here: " + c + ".\n"
	}
	return `dropwatch: the kernel has no NET_DM (drop monitor) generic netlink family here. Likely causes:
  - the drop_monitor module is not loaded: run "modprobe drop_monitor";
  - the kernel was built without CONFIG_NET_DROP_MONITOR;
  - dropwatch runs outside the initial network namespace (a container): NET_DM exists only there;
    compare "readlink /proc/self/ns/net" with "readlink /proc/1/ns/net".
`
}

// TracepointUnusable says why the skb:kfree_skb tracepoint cannot be read;
// skbtrace's error already carries its hint.
func TracepointUnusable(err error) string {
	return fmt.Sprintf("dropwatch: cannot read the skb:kfree_skb tracepoint: %v", err)
}

// permOps names the requests that need CAP_NET_ADMIN.
var permOps = map[string]string{
	"start":  "starting the drop monitor (NET_DM_CMD_START)",
	"stop":   "stopping the drop monitor (NET_DM_CMD_STOP)",
	"config": "configuring the drop monitor (NET_DM_CMD_CONFIG)",
}

// Hint returns the hint that follows a failed request, or "". op is
// "start", "stop", "config", "get" (show and stats) or "listen".
func Hint(op string, err error, hw bool) string {
	var te *skbtrace.Error
	switch {
	case errors.As(err, &te) && te.Hint != "":
		return "dropwatch: " + te.Hint
	case errors.Is(err, drops.ErrHardwareDrops):
		return "dropwatch: " + drops.ErrHardwareDrops.Error() + "; type set hw false."
	case errors.Is(err, dropmon.ErrAlreadyMonitoring):
		return "dropwatch: the kernel is already monitoring drops: another tool, or a dropwatch that ended without stopping it, started it. Type stop to end it, or run dropwatch --force."
	case errors.Is(err, dropmon.ErrBusy):
		return "dropwatch: the kernel refuses configuration changes while it monitors drops (perhaps for another tool): type stop first."
	case errors.Is(err, os.ErrPermission) && op == "listen":
		// net/core/drop_monitor.c marks its multicast group
		// GENL_MCAST_CAP_SYS_ADMIN since 6.7 (and stable backports).
		return "dropwatch: joining NET_DM's events multicast group needs CAP_SYS_ADMIN on Linux 6.7 and later: run dropwatch as root."
	case errors.Is(err, os.ErrPermission) && permOps[op] != "":
		// START, STOP and CONFIG are GENL_ADMIN_PERM operations.
		return "dropwatch: " + permOps[op] + " needs CAP_NET_ADMIN: run dropwatch as root."
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

// SymbolsUnusable explains on stderr why the kallsyms method fell back to
// raw addresses.
func SymbolsUnusable(path string, err error) string {
	if path == "" {
		path = kallsyms.DefaultPath
	}
	if errors.Is(err, kallsyms.ErrRestricted) {
		return fmt.Sprintf("dropwatch: every address in %s is zero (kernel.kptr_restrict, or not running as root), so drop locations are printed as raw addresses; run as root or set sysctl kernel.kptr_restrict=0", path)
	}
	return fmt.Sprintf("dropwatch: cannot use %s (%v), so drop locations are printed as raw addresses", path, err)
}
