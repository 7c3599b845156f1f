package main

import (
	"runtime/debug"

	"github.com/dropwatch-go/dropwatch/internal/buildinfo"
)

// version and commit are set at build time by the Makefile: -ldflags "-X
// main.version=... -X main.commit=...". The go command records the commit
// itself when it builds in a git clone (not in a git worktree, whose .git
// is a file).
var (
	version = buildinfo.Devel
	commit  string
)

// versionText is what --version prints: dropwatch's version, then the Go
// toolchain and the commit the binary was built from (internal/buildinfo).
func versionText() string {
	bi, _ := debug.ReadBuildInfo()
	return buildinfo.Text("dropwatch", buildinfo.Version(version, bi), commit, bi)
}
