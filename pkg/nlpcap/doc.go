// Package nlpcap writes netlink datagrams to classic pcap files that
// Wireshark and tshark decode, in the format of dwdump (nhorman/dropwatch
// src/dwdump.c): link type 253 (LINKTYPE_NETLINK), each record a 16-byte
// Linux cooked header followed by one netlink datagram.
//
// Wireshark's netlink dissector (epan/dissectors/packet-netlink.c) only
// dissects a record whose cooked header carries ARPHRD_NETLINK (824) at
// offset 2, and takes the netlink protocol from offset 14 (16 is
// NETLINK_GENERIC). Its generic netlink dissector learns which family name
// a dynamic family ID stands for from CTRL_CMD_NEWFAMILY messages seen
// earlier in the same file, so a capture of NET_DM alerts must begin with a
// record that maps NET_DM's ID to its name; only then does the net_dm
// dissector (Wireshark 3.2+) decode the alerts, and hand the dropped
// packet's bytes to the Ethernet dissector.
//
// FetchFamily asks the kernel for one family by name and returns its reply
// as it came; NewFamilyMessage builds an equivalent message from known
// values, for tests and for when the kernel's reply is unavailable.
package nlpcap
