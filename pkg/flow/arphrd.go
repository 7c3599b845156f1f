package flow

// Device types (include/uapi/linux/if_arp.h, ARPHRD_*), as
// /sys/class/net/DEV/type shows them.
const (
	ARPHRDEther    = 1      // ARPHRD_ETHER: Ethernet, veth, bridges, VLAN devices
	ARPHRDRawIP    = 519    // ARPHRD_RAWIP: raw IP (rmnet, some USB modems)
	ARPHRDLoopback = 772    // ARPHRD_LOOPBACK: lo, which builds Ethernet headers
	ARPHRDNone     = 0xfffe // ARPHRD_NONE: tun in IFF_TUN mode, WireGuard
)

// LinkOfARPHRD is where a packet alert's payload starts for a packet that
// came in on a device of type t. The MAC header of an Ethernet or loopback
// device is its Ethernet header (loopback_xmit keeps the header
// eth_header built); a device without link-layer header (ARPHRD_NONE:
// drivers/net/tun.c and drivers/net/wireguard reset the MAC header to the
// network header) starts at IPv4 or IPv6. Other types give LinkAuto.
func LinkOfARPHRD(t uint16) Link {
	switch t {
	case ARPHRDEther, ARPHRDLoopback:
		return LinkEthernet
	case ARPHRDNone, ARPHRDRawIP:
		return LinkRaw
	}
	return LinkAuto
}
