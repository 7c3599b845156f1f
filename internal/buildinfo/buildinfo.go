// Package buildinfo says what a binary was built from, for its --version:
// its version, the Go toolchain and platform, and the commit, from the
// values the Makefile sets with -ldflags -X and the build information the
// go command records in the binary (runtime/debug.BuildInfo).
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Devel is the version of a build that set none.
const Devel = "devel"

// Version is v, the version set at build time, or, when v is Devel and the
// binary was built by "go install module@version", the module's version.
func Version(v string, bi *debug.BuildInfo) string {
	if v == Devel && bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return v
}

// Text is what --version prints: the program and its version, then the Go
// toolchain and the commit the binary was built from: commit when set at
// build time, else the one the go command recorded ("unknown" for a build
// that recorded none). bi may be nil.
func Text(program, version, commit string, bi *debug.BuildInfo) string {
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
	return fmt.Sprintf("%s %s\ngo: %s %s/%s\ncommit: %s\n", program, version, goVersion, runtime.GOOS, runtime.GOARCH, rev)
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
