package dropmon

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func gz(t *testing.T, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func link(target string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte(target), Mode: fs.ModeSymlink}
}

func TestDiagnose(t *testing.T) {
	const rel = "6.1.0-56-amd64"
	base := func() fstest.MapFS {
		return fstest.MapFS{
			"proc/sys/kernel/osrelease": {Data: []byte(rel + "\n")},
			"proc/self/ns/net":          link("net:[4026531840]"),
			"proc/1/ns/net":             link("net:[4026531840]"),
			"proc/modules":              {Data: []byte("xfs 1 0 - Live 0x0\n")},
		}
	}
	tests := []struct {
		name string
		edit func(fstest.MapFS)
		want Diagnosis
	}{
		{
			name: "module on disk, not loaded",
			edit: func(m fstest.MapFS) {
				m["boot/config-"+rel] = &fstest.MapFile{Data: []byte("CONFIG_NET=y\nCONFIG_NET_DROP_MONITOR=m\n")}
				m["lib/modules/"+rel+"/kernel/net/core/drop_monitor.ko"] = &fstest.MapFile{}
			},
			want: Diagnosis{KernelRelease: rel, Config: Module, ConfigSource: "/boot/config-" + rel,
				ModuleFile: "/lib/modules/" + rel + "/kernel/net/core/drop_monitor.ko"},
		},
		{
			name: "not built, from /proc/config.gz",
			edit: func(m fstest.MapFS) {
				m["proc/config.gz"] = &fstest.MapFile{Data: gz(t, "CONFIG_NET=y\n# CONFIG_NET_DROP_MONITOR is not set\n")}
			},
			want: Diagnosis{KernelRelease: rel, Config: NotBuilt, ConfigSource: "/proc/config.gz"},
		},
		{
			name: "other network namespace, module loaded",
			edit: func(m fstest.MapFS) {
				m["proc/self/ns/net"] = link("net:[4026532300]")
				m["proc/modules"] = &fstest.MapFile{Data: []byte("drop_monitor 28672 0 - Live 0xffffffffc0a00000\n")}
				m["lib/modules/"+rel+"/kernel/net/core/drop_monitor.ko.xz"] = &fstest.MapFile{}
			},
			want: Diagnosis{KernelRelease: rel, OtherNetNS: true, ModuleLoaded: true,
				ModuleFile: "/lib/modules/" + rel + "/kernel/net/core/drop_monitor.ko.xz"},
		},
		{
			name: "init's namespace unreadable",
			edit: func(m fstest.MapFS) { delete(m, "proc/1/ns/net") },
			want: Diagnosis{KernelRelease: rel, NetNSUnknown: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := base()
			tt.edit(fsys)
			if diff := cmp.Diff(tt.want, diagnose(fsys)); diff != "" {
				t.Errorf("diagnose mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// On this machine the answer is whatever it is, but Diagnose must read the
// real system without failing and find the kernel release.
func TestDiagnoseLive(t *testing.T) {
	d := Diagnose()
	if d.KernelRelease == "" {
		t.Errorf("Diagnose found no kernel release: %+v", d)
	}
}

func TestDiagnosisCause(t *testing.T) {
	const ko = "/lib/modules/6.1.0-56-amd64/kernel/net/core/drop_monitor.ko"
	tests := []struct {
		name string
		d    Diagnosis
		want Cause
	}{
		{"nothing known", Diagnosis{}, CauseUnknown},
		{"other namespace hides even a loaded module", Diagnosis{OtherNetNS: true, ModuleLoaded: true, Config: Module}, CauseOtherNetNS},
		{"not built", Diagnosis{Config: NotBuilt}, CauseNotBuilt},
		{"module on disk, config unknown", Diagnosis{ModuleFile: ko}, CauseModuleNotLoaded},
		{"module on disk, =m", Diagnosis{Config: Module, ModuleFile: ko}, CauseModuleNotLoaded},
		{"=m, no module installed", Diagnosis{Config: Module}, CauseModuleMissing},
		{"loaded, yet no family", Diagnosis{Config: Module, ModuleFile: ko, ModuleLoaded: true}, CauseUnknown},
		{"built in, yet no family", Diagnosis{Config: BuiltIn}, CauseUnknown},
	}
	for _, tt := range tests {
		if got := tt.d.Cause(); got != tt.want {
			t.Errorf("%s: Cause() = %d, want %d", tt.name, got, tt.want)
		}
	}
}
