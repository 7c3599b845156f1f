// Package dropmon is a client for the Linux kernel's drop monitor, the
// NET_DM generic-netlink family implemented in net/core/drop_monitor.c, with
// its user API in include/uapi/linux/net_dropmon.h.
//
// The kernel reports packet drops in one of two alert modes:
//
//   - summary mode (the default): per CPU, at most once a second, a list of
//     drop locations (program counters) with a count each;
//   - packet mode (Linux 5.4+): one message per dropped packet, with the
//     location, the kernel's symbol text, the drop reason (5.18+), the input
//     interface, a timestamp and the packet itself, possibly truncated.
//
// The family exists only when the kernel has CONFIG_NET_DROP_MONITOR and the
// drop_monitor module is loaded (resolving the family by name auto-loads it
// where module autoloading works), and only in the initial network namespace.
// Configuring, starting and stopping need CAP_NET_ADMIN; since Linux 6.7 (and
// stable backports) joining the "events" multicast group needs CAP_SYS_ADMIN.
//
// The package never prints. Errors from the kernel are returned as *Error,
// which matches os.ErrPermission, os.ErrNotExist and this package's sentinel
// errors with errors.Is.
package dropmon
