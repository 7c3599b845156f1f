// Command dwdump captures the kernel's packet drop alerts (NET_DM packet
// mode, Linux 5.4+) to a pcap file that Wireshark and tshark decode. It is
// a Go rewrite of dwdump from nhorman/dropwatch 1.5.4 and takes the same
// options, prints the same messages on the same streams and exits with the
// same statuses:
//
//	dwdump [ -w <file> -t <length> -q -l <limit> -p -s -b <size> -e -o <sw|hw> ]
//
// Where the C tool is weak, dwdump does better:
//
//   - the first record maps NET_DM's family ID to its name in every case:
//     it is the kernel's reply to a by-name CTRL_CMD_GETFAMILY, not the
//     first datagram of a dump of all families (which, cut to a small -t's
//     snapshot length, loses NET_DM's entry and with it every alert's
//     decoding);
//   - a record longer than the snapshot length keeps its original length;
//   - a bad -w fails before the kernel's monitor is configured or started;
//   - failures are followed by the error and what to do: another tool is
//     monitoring ("dwdump -e" stops it), which capability is missing, why
//     the NET_DM family is missing;
//   - requests to the kernel time out instead of hanging;
//   - -q, -s and -e do not join the alert group, so they need no
//     CAP_SYS_ADMIN on Linux 6.7+;
//   - without -b the receive buffer is 32 MiB (SO_RCVBUFFORCE), not 1 MiB
//     capped at net.core.rmem_max, and records are written in batches
//     while alerts are queued, so a burst of drops loses no alerts;
//   - alerts lost to a full socket buffer are reported when the capture
//     ends;
//   - a failed -e exits 1 rather than with libnl's error code.
package main
