package dropmon

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// Availability says whether the kernel was built with the drop monitor.
type Availability int

// Values of Availability, from CONFIG_NET_DROP_MONITOR in the kernel's
// configuration.
const (
	AvailabilityUnknown Availability = iota // no configuration file found
	BuiltIn                                 // =y
	Module                                  // =m
	NotBuilt                                // "is not set" or absent
)

// Diagnosis gathers the facts that explain why the NET_DM family is
// missing. The causes, in the order a user should check them:
//
//   - the process is not in the initial network namespace, where the family
//     lives (it is not netnsok: genl_family in drop_monitor.c);
//   - the kernel was built without CONFIG_NET_DROP_MONITOR;
//   - the module exists but is not loaded (resolving the family by name
//     normally auto-loads it through MODULE_ALIAS_GENL_FAMILY, unless
//     module loading is disabled or modprobe is missing).
type Diagnosis struct {
	// KernelRelease is uname -r.
	KernelRelease string
	// OtherNetNS: /proc/self/ns/net differs from /proc/1/ns/net.
	OtherNetNS bool
	// NetNSUnknown: the namespaces could not be compared (no permission to
	// read /proc/1/ns/net, or no /proc).
	NetNSUnknown bool
	// Config is what the kernel configuration says, and ConfigSource the
	// file it was read from ("/proc/config.gz", "/boot/config-6.1.0-…").
	Config       Availability
	ConfigSource string
	// ModuleFile is the drop_monitor module's path under /lib/modules, if
	// it exists.
	ModuleFile string
	// ModuleLoaded: drop_monitor is listed in /proc/modules.
	ModuleLoaded bool
}

// Cause is what a Diagnosis shows to be the reason the family is missing.
type Cause int

// Causes, in the order a user should check them.
const (
	CauseUnknown         Cause = iota // the facts show none of the others
	CauseOtherNetNS                   // not in the initial network namespace
	CauseNotBuilt                     // CONFIG_NET_DROP_MONITOR is not set
	CauseModuleNotLoaded              // the module is on disk but not loaded
	CauseModuleMissing                // =m, but no module installed for this kernel
)

// Cause returns the first cause the facts show, in the order of the
// Cause constants: a namespace hides even a loaded module, and a module
// matters only in a kernel built with it.
func (d Diagnosis) Cause() Cause {
	switch {
	case d.OtherNetNS:
		return CauseOtherNetNS
	case d.Config == NotBuilt:
		return CauseNotBuilt
	case d.ModuleFile != "" && !d.ModuleLoaded:
		return CauseModuleNotLoaded
	case d.Config == Module && d.ModuleFile == "" && !d.ModuleLoaded:
		return CauseModuleMissing
	}
	return CauseUnknown
}

// Diagnose inspects the running system. It never fails: what it cannot
// read it leaves unknown.
func Diagnose() Diagnosis { return diagnose(os.DirFS("/")) }

// diagnose reads from fsys, the root of the file system (tests pass an
// fstest.MapFS).
func diagnose(fsys fs.FS) Diagnosis {
	var d Diagnosis
	if b, err := fs.ReadFile(fsys, "proc/sys/kernel/osrelease"); err == nil {
		d.KernelRelease = strings.TrimSpace(string(b))
	}
	self, err1 := readlink(fsys, "proc/self/ns/net")
	init, err2 := readlink(fsys, "proc/1/ns/net")
	if err1 != nil || err2 != nil {
		d.NetNSUnknown = true
	} else {
		d.OtherNetNS = self != init
	}
	d.Config, d.ConfigSource = kernelConfig(fsys, d.KernelRelease)
	if d.KernelRelease != "" {
		dir := path.Join("lib/modules", d.KernelRelease, "kernel/net/core")
		for _, ext := range []string{".ko", ".ko.xz", ".ko.zst", ".ko.gz"} {
			p := path.Join(dir, "drop_monitor"+ext)
			if _, err := fs.Stat(fsys, p); err == nil {
				d.ModuleFile = "/" + p
				break
			}
		}
	}
	if b, err := fs.ReadFile(fsys, "proc/modules"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "drop_monitor ") {
				d.ModuleLoaded = true
			}
		}
	}
	return d
}

// readlink reads a namespace link ("net:[4026531840]"); both os.DirFS and
// fstest.MapFS implement fs.ReadLinkFS.
func readlink(fsys fs.FS, name string) (string, error) {
	if rl, ok := fsys.(fs.ReadLinkFS); ok {
		return rl.ReadLink(name)
	}
	b, err := fs.ReadFile(fsys, name)
	return string(b), err
}

// kernelConfig looks for CONFIG_NET_DROP_MONITOR in /proc/config.gz
// (CONFIG_IKCONFIG_PROC) and then /boot/config-<release>, as distributions
// install it.
func kernelConfig(fsys fs.FS, release string) (Availability, string) {
	if f, err := fsys.Open("proc/config.gz"); err == nil {
		defer f.Close()
		if zr, err := gzip.NewReader(f); err == nil {
			return configValue(zr), "/proc/config.gz"
		}
	}
	if release != "" {
		p := "boot/config-" + release
		if b, err := fs.ReadFile(fsys, p); err == nil {
			return configValue(bytes.NewReader(b)), "/" + p
		}
	}
	return AvailabilityUnknown, ""
}

func configValue(r io.Reader) Availability {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		switch strings.TrimSpace(sc.Text()) {
		case "CONFIG_NET_DROP_MONITOR=y":
			return BuiltIn
		case "CONFIG_NET_DROP_MONITOR=m":
			return Module
		}
	}
	return NotBuilt
}
