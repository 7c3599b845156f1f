package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dropwatch-go/dropwatch/pkg/dropmon"
)

// TestNoFamilyDiagnosis names the cause dropmon.Diagnose found.
func TestNoFamilyDiagnosis(t *testing.T) {
	const lead = "dropwatch: the kernel has no NET_DM (drop monitor) generic netlink family here: "
	tests := []struct {
		name  string
		d     dropmon.Diagnosis
		short string
		help  string
	}{
		{
			name:  "other netns",
			d:     dropmon.Diagnosis{OtherNetNS: true, Config: dropmon.BuiltIn, ConfigSource: "/proc/config.gz"},
			short: "dropwatch runs outside the initial network namespace (a container), and NET_DM exists only there",
			help:  lead + "dropwatch runs outside the initial network namespace (a container), and NET_DM exists only there.\n",
		},
		{
			name:  "not built, from /boot",
			d:     dropmon.Diagnosis{KernelRelease: "6.1.0-9-amd64", Config: dropmon.NotBuilt, ConfigSource: "/boot/config-6.1.0-9-amd64"},
			short: "kernel built without CONFIG_NET_DROP_MONITOR, /boot/config-6.1.0-9-amd64",
			help:  lead + "kernel built without CONFIG_NET_DROP_MONITOR, /boot/config-6.1.0-9-amd64.\n",
		},
		{
			name:  "module on disk, not loaded",
			d:     dropmon.Diagnosis{Config: dropmon.Module, ConfigSource: "/boot/config-6.1", ModuleFile: "/lib/modules/6.1/kernel/net/core/drop_monitor.ko"},
			short: `the drop_monitor module /lib/modules/6.1/kernel/net/core/drop_monitor.ko is not loaded: run "modprobe drop_monitor"`,
			help:  lead + `the drop_monitor module /lib/modules/6.1/kernel/net/core/drop_monitor.ko is not loaded: run "modprobe drop_monitor".` + "\n",
		},
		{
			name:  "module configured, not installed",
			d:     dropmon.Diagnosis{KernelRelease: "6.1.0", Config: dropmon.Module, ConfigSource: "/boot/config-6.1.0"},
			short: "kernel built with CONFIG_NET_DROP_MONITOR=m (/boot/config-6.1.0) but no drop_monitor module is installed for 6.1.0",
			help:  lead + "kernel built with CONFIG_NET_DROP_MONITOR=m (/boot/config-6.1.0) but no drop_monitor module is installed for 6.1.0.\n",
		},
		{
			name:  "unknown: every possibility",
			d:     dropmon.Diagnosis{NetNSUnknown: true, Config: dropmon.AvailabilityUnknown},
			short: "cause unknown: --backend netdm lists the possible ones",
			help: "dropwatch: the kernel has no NET_DM (drop monitor) generic netlink family here. Likely causes:\n" +
				"  - the drop_monitor module is not loaded: run \"modprobe drop_monitor\";\n" +
				"  - the kernel was built without CONFIG_NET_DROP_MONITOR;\n" +
				"  - dropwatch runs outside the initial network namespace (a container): NET_DM exists only there;\n" +
				"    compare \"readlink /proc/self/ns/net\" with \"readlink /proc/1/ns/net\".\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.short, ShortCause(tt.d)); diff != "" {
				t.Errorf("short cause (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.help, NoFamilyHelp(tt.d)); diff != "" {
				t.Errorf("help (-want +got):\n%s", diff)
			}
		})
	}
}
