//go:build linux

package lowmem

import (
	"bytes"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// thpEnabledPath is the kernel's transparent huge page setting; tests
// point it elsewhere.
var thpEnabledPath = "/sys/kernel/mm/transparent_hugepage/enabled"

// noTHP keeps transparent huge pages out of the process. With THP
// "always", the kernel's default and Debian's, the first write into any
// 2 MiB-aligned stretch of an anonymous mapping that covers it faults in a
// whole 2 MiB page: the Go heap, reserved in 64 MiB arenas and mapped 4
// MiB at a time, grows RSS in 2 MiB steps though the runtime uses a few
// hundred KiB of each. In the guest of make bench-vm 4-8 MiB of our tools'
// peak RSS were huge pages (docs/benchmarks.md).
//
// PR_SET_THP_DISABLE sets MMF_DISABLE_THP on the process's mm, which the
// kernel checks before it gives any mapping a huge page, the ones it has
// included (since Linux 4.13, "mm: make PR_SET_THP_DISABLE immediately
// active"); fork and execve keep it (prctl(2)). The runtime faults in its
// first heap pages before main runs, as huge pages under "always", and
// the flag does not split those: so under "always" the process sets the
// flag and executes itself again (/proc/self/exe, same arguments and
// environment, same PID), to start with the flag from its first fault.
// That costs one more start of the runtime, about a millisecond, done
// once: the second start finds the flag set. GODEBUG=disablethp=1 would
// keep huge pages from the heap alone from its first page, but the go
// command refuses it as a //go:debug directive, and the environment is
// the user's.
func noTHP() {
	if thpDisabled() {
		return
	}
	// An old kernel's EINVAL leaves things as they were.
	if unix.Prctl(unix.PR_SET_THP_DISABLE, 1, 0, 0, 0) != nil {
		return
	}
	if thpAlways() {
		// Returns only if it failed: then the flag still keeps later
		// faults to small pages.
		_ = syscall.Exec("/proc/self/exe", os.Args, os.Environ())
	}
}

// thpDisabled reports whether the process's PR_SET_THP_DISABLE flag is
// set (PR_GET_THP_DISABLE returns it).
func thpDisabled() bool {
	v, _, errno := unix.Syscall6(unix.SYS_PRCTL, unix.PR_GET_THP_DISABLE, 0, 0, 0, 0, 0)
	return errno == 0 && v == 1
}

// thpAlways reports whether the kernel gives every anonymous mapping huge
// pages: "[always] madvise never" (with "madvise" only the runtime's
// MADV_HUGEPAGE regions, some GC metadata, get them, and the flag covers
// those).
func thpAlways() bool {
	b, err := os.ReadFile(thpEnabledPath)
	return err == nil && bytes.Contains(b, []byte("[always]"))
}
