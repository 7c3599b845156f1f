//go:build !linux

package lowmem

// thpEnabledPath is unused: only Linux has transparent huge pages to keep
// out.
var thpEnabledPath string

func noTHP() {}

func thpDisabled() bool { return false }
