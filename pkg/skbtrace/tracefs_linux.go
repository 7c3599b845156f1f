package skbtrace

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

const (
	tracefsDefault = "/sys/kernel/tracing"
	tracefsDebugfs = "/sys/kernel/debug/tracing"
	eventDir       = "events/skb/kfree_skb"
	mountHint      = "mount it as root: mount -t tracefs nodev " + tracefsDefault
)

// findTracefs returns the tracefs directory to use: dir if given; else the
// first standard place with an events directory; else tracefs freshly
// mounted at /sys/kernel/tracing.
func findTracefs(dir string) (path string, mounted bool, err error) {
	if dir != "" {
		return dir, false, nil
	}
	var denied error
	for _, d := range []string{tracefsDefault, tracefsDebugfs} {
		_, err := os.Stat(filepath.Join(d, "events"))
		if err == nil {
			return d, false, nil
		}
		if errors.Is(err, os.ErrPermission) && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", false, &Error{Op: "find tracefs", Err: denied, Hint: "tracefs is readable only by root"}
	}
	// Not mounted (the debugfs path automounts tracefs only if debugfs is
	// mounted): mount it where the kernel provides a mount point (4.1+).
	if err := unix.Mount("nodev", tracefsDefault, "tracefs", 0, ""); err != nil {
		return "", false, &Error{Op: "mount tracefs", Path: tracefsDefault, Err: err, Hint: "tracefs is not mounted; " + mountHint}
	}
	return tracefsDefault, true, nil
}

// loadFormat reads and parses events/skb/kfree_skb/format under dir.
func loadFormat(dir string) (*Format, error) {
	path := filepath.Join(dir, eventDir, "format")
	b, err := os.ReadFile(path)
	if err != nil {
		e := &Error{Op: "read format", Path: path, Err: err}
		switch {
		case errors.Is(err, os.ErrPermission):
			e.Hint = "tracefs is readable only by root"
		case !errors.Is(err, os.ErrNotExist):
		case dirExists(filepath.Join(dir, "events")):
			e.Hint = "this kernel has no skb:kfree_skb tracepoint"
		default:
			e.Hint = dir + " is not a tracefs mount; " + mountHint
		}
		return nil, e
	}
	f, err := ParseFormat(strings.NewReader(string(b)))
	if err != nil {
		return nil, &Error{Op: "read format", Path: path, Err: err}
	}
	if f.ID == 0 {
		return nil, &Error{Op: "read format", Path: path, Err: errors.New("format has no event ID")}
	}
	return f, nil
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// onlineCPUs lists the online CPUs (/sys/devices/system/cpu/online).
func onlineCPUs() ([]int, error) {
	const path = "/sys/devices/system/cpu/online"
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Op: "list CPUs", Path: path, Err: err}
	}
	cpus, err := parseCPUList(string(b))
	if err != nil {
		return nil, &Error{Op: "list CPUs", Path: path, Err: err}
	}
	return cpus, nil
}

// Capability numbers (include/uapi/linux/capability.h).
const (
	capSysAdmin = 21
	capPerfmon  = 38
)

// permissionHint explains a perf_event_open EACCES or EPERM: the paranoid
// level and the capabilities the process has.
func permissionHint() string {
	paranoid := "unknown"
	if b, err := os.ReadFile("/proc/sys/kernel/perf_event_paranoid"); err == nil {
		paranoid = strings.TrimSpace(string(b))
	}
	caps, capsKnown := effectiveCaps()
	has := caps&(1<<capSysAdmin|1<<capPerfmon) != 0
	if capsKnown && has {
		return fmt.Sprintf("kernel.perf_event_paranoid is %s and the process has CAP_PERFMON or CAP_SYS_ADMIN: a security module (SELinux, lockdown) may be refusing perf events", paranoid)
	}
	return fmt.Sprintf("system-wide tracepoint sampling needs root, CAP_PERFMON (Linux 5.8+) or CAP_SYS_ADMIN, or kernel.perf_event_paranoid -1; kernel.perf_event_paranoid is %s and the process has neither capability", paranoid)
}

// effectiveCaps reads CapEff from /proc/self/status.
func effectiveCaps() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return caps, err == nil
		}
	}
	return 0, false
}
