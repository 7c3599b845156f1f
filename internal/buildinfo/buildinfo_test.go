package buildinfo

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestText(t *testing.T) {
	platform := " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	tests := []struct {
		name   string
		bi     *debug.BuildInfo
		commit string // -X main.commit
		want   string
	}{
		{"no build info", nil, "", "dropwatch 1.0\ngo: " + runtime.Version() + platform + "commit: unknown\n"},
		{"no vcs", &debug.BuildInfo{GoVersion: "go1.99.1"}, "", "dropwatch 1.0\ngo: go1.99.1" + platform + "commit: unknown\n"},
		{"clean tree", &debug.BuildInfo{GoVersion: "go1.99.1", Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "false"},
		}}, "", "dropwatch 1.0\ngo: go1.99.1" + platform + "commit: 0123abcd\n"},
		{"modified tree", &debug.BuildInfo{GoVersion: "go1.99.1", Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "true"},
		}}, "", "dropwatch 1.0\ngo: go1.99.1" + platform + "commit: 0123abcd (with uncommitted changes)\n"},
		{"-X wins", &debug.BuildInfo{GoVersion: "go1.99.1", Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123abcd"},
		}}, "feedface", "dropwatch 1.0\ngo: go1.99.1" + platform + "commit: feedface\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text("dropwatch", "1.0", tt.commit, tt.bi); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	installed := &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}
	tests := []struct {
		v    string
		bi   *debug.BuildInfo
		want string
	}{
		{"v2.0.0", installed, "v2.0.0"}, // -X main.version wins
		{Devel, installed, "v1.2.3"},    // go install module@v1.2.3
		{Devel, &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, Devel},
		{Devel, nil, Devel},
	}
	for _, tt := range tests {
		if got := Version(tt.v, tt.bi); got != tt.want {
			t.Errorf("Version(%q, %+v) = %q, want %q", tt.v, tt.bi, got, tt.want)
		}
	}
}
