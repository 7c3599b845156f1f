// Package counters answers "are packets being dropped at all?": it takes
// snapshots of the kernel's packet and drop counters and computes which of
// them moved between two snapshots.
//
// The sources, and the kernel code that fills each of them:
//
//   - Link: per-interface statistics as `ip -s link` shows them, from the
//     IFLA_STATS64 attribute of an RTM_GETLINK dump (struct
//     rtnl_link_stats64, include/uapi/linux/if_link.h). Counter names are
//     that struct's field names (rx_dropped, rx_missed_errors, ...).
//     rx_nohandler (Linux 4.6+) and rx_otherhost_dropped (5.19+) are
//     reported only when the kernel's struct is long enough to hold them.
//   - Ethtool: driver statistics as `ethtool -S` shows them (the
//     ETHTOOL_GSTRINGS/ETHTOOL_GSTATS ioctls, net/ethtool/ioctl.c), for
//     each interface whose driver has any, with the driver's own names;
//     then the standard groups as `ethtool -S DEV --all-groups` shows
//     them ("eth-mac-FrameCheckSequenceErrors", "rmon-etherStatsJabbers"),
//     from one ETHTOOL_MSG_STATS_GET dump of the ethtool generic-netlink
//     family (net/ethtool/stats.c, Linux 5.13+), where drivers fill them.
//   - Softnet: /proc/net/softnet_stat, one line per online CPU
//     (net/core/net-procfs.c softnet_seq_show). The columns depend on the
//     kernel; see softnet.go.
//   - SNMP: /proc/net/netstat, /proc/net/snmp6 and /proc/net/snmp
//     (net/ipv4/proc.c, net/ipv6/proc.c), named as iproute2's nstat names
//     them: UdpRcvbufErrors, TcpExtListenDrops, Udp6InErrors.
//   - Qdisc: per-qdisc bytes, packets, drops, overlimits, requeues and the
//     backlog as `tc -s qdisc` shows them, from the TCA_STATS2 attribute of
//     an RTM_GETQDISC dump (include/uapi/linux/gen_stats.h,
//     net/core/gen_stats.c).
//
// A Reader takes snapshots; Diff compares two of them. Every netlink
// request has a deadline (Config.Timeout). A source that cannot be read is
// reported in Snapshot.Errors as a *SourceError, which matches
// os.ErrPermission, os.ErrNotExist or ErrMalformed with errors.Is, so that a
// caller can say which sources needed privileges. None of the sources needs
// a capability on current kernels: the ethtool ioctls used are in the
// kernel's list of commands anyone may run (__dev_ethtool), and /proc/net
// files and rtnetlink dumps are world-readable.
//
// Explain gives, for each counter that can move because of packet drops and
// for each kernel drop reason (include/net/dropreason-core.h), a one-line
// meaning and the usual remedy.
//
// The package never prints.
package counters
