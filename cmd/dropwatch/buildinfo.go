package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// commit is set at build time by the Makefile: -ldflags "-X
// main.commit=...". The go command records the commit itself when it
// builds in a git clone (not in a git worktree, whose .git is a file).
var commit string

// versionText is what --version prints: dropwatch's version, then the Go
// toolchain and the commit the binary was built from ("unknown" for a
// build that recorded none).
func versionText() string {
	bi, _ := debug.ReadBuildInfo()
	return formatVersion(versionString(), commit, bi)
}

func formatVersion(v, commit string, bi *debug.BuildInfo) string {
	goVersion, rev := runtime.Version(), "unknown"
	if bi != nil {
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		rev = vcsCommit(bi.Settings)
	}
	if commit != "" {
		rev = commit
	}
	return fmt.Sprintf("dropwatch %s\ngo: %s %s/%s\ncommit: %s\n", v, goVersion, runtime.GOOS, runtime.GOARCH, rev)
}

// vcsCommit is the revision of the build settings, marked when the tree
// had uncommitted changes.
func vcsCommit(settings []debug.BuildSetting) string {
	rev, modified := "unknown", false
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && rev != "unknown" {
		rev += " (with uncommitted changes)"
	}
	return rev
}
