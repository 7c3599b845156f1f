package main

// What dwdump adds, on stderr, to the C tool's one-line failure messages:
// the error itself and, where the cause is known, what to do about it.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
)

// failed prints dwdump's message for a failed step, then the error and a
// hint. op is "config", "start", "stop", "get" (-q, -s) or "listen".
func failed(stderr io.Writer, msg, op string, err error) {
	fmt.Fprintln(stderr, msg)
	fmt.Fprintf(stderr, "dwdump: %v\n", err)
	if h := explain(op, err); h != "" {
		fmt.Fprintf(stderr, "dwdump: %s\n", h)
	}
}

const stopAdvice = `"dwdump -e" stops it, which also ends the other tool's capture.`

// explain returns what to do about a failed request, or "".
func explain(op string, err error) string {
	switch {
	case errors.Is(err, dropmon.ErrBusy), errors.Is(err, dropmon.ErrAlreadyMonitoring):
		// CONFIG gets EBUSY and START gets EAGAIN while monitoring is on
		// (net_dm_cmd_config_get and net_dm_cmd_trace in drop_monitor.c);
		// the monitor is global, so someone else turned it on.
		return "the kernel is already monitoring drops: another dropwatch or dwdump is running, or one exited without stopping it. " + stopAdvice
	case errors.Is(err, os.ErrPermission) && op == "listen":
		return "receiving drop alerts needs CAP_SYS_ADMIN on Linux 6.7 and later (the \"events\" group is GENL_MCAST_CAP_SYS_ADMIN): run dwdump as root."
	case errors.Is(err, os.ErrPermission):
		return "configuring the drop monitor needs CAP_NET_ADMIN, and so do starting and stopping it on Linux 6.7 and later: run dwdump as root."
	case errors.Is(err, errors.ErrUnsupported) && op == "start":
		return "this kernel cannot monitor hardware drops (that needs devlink, CONFIG_NET_DEVLINK): use -o sw."
	case errors.Is(err, errors.ErrUnsupported):
		return "this kernel's drop monitor predates Linux 5.4; dwdump needs its packet mode."
	case errors.Is(err, dropmon.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		if op == "stop" {
			return `the kernel did not answer, and may still be monitoring: run "dwdump -e" to stop it.`
		}
		return "the kernel did not answer in time."
	}
	return ""
}

// openFailed reports a failure to reach the drop monitor.
func (a *app) openFailed(stderr io.Writer, err error) {
	if !errors.Is(err, dropmon.ErrFamilyNotFound) {
		fmt.Fprintln(stderr, "Failed to connect data socket")
		fmt.Fprintf(stderr, "dwdump: %v\n", err)
		return
	}
	fmt.Fprintln(stderr, `Failed to resolve ID of "NET_DM" family`)
	fmt.Fprintln(stderr, "dwdump: "+familyHint(a.diagnose()))
}

// familyHint explains a missing NET_DM family from what Diagnose found.
func familyHint(d dropmon.Diagnosis) string {
	kernel := "this kernel"
	if d.KernelRelease != "" {
		kernel = "kernel " + d.KernelRelease
	}
	switch d.Cause() {
	case dropmon.CauseOtherNetNS:
		// The family is not netnsok: it exists in the initial namespace only.
		return "NET_DM exists only in the initial network namespace, and dwdump runs in another one (a container?): run it on the host."
	case dropmon.CauseNotBuilt:
		return fmt.Sprintf("%s was built without CONFIG_NET_DROP_MONITOR (says %s): it has no drop monitor.", kernel, d.ConfigSource)
	case dropmon.CauseModuleNotLoaded:
		return `the drop_monitor module is not loaded, and could not be loaded on demand: run "modprobe drop_monitor" as root.`
	case dropmon.CauseModuleMissing:
		return fmt.Sprintf("%s was built with CONFIG_NET_DROP_MONITOR=m (says %s), but no drop_monitor module is installed for it.", kernel, d.ConfigSource)
	}
	return fmt.Sprintf("%s has no NET_DM generic netlink family: it needs CONFIG_NET_DROP_MONITOR (\"modprobe drop_monitor\" if it is a module), and dwdump must run in the initial network namespace.", kernel)
}

// strerror gives an errno's text as C's strerror does (glibc capitalises
// what Go spells in lower case), or the error's own text.
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return err.Error()
}
