#!/usr/bin/env bash
# capture.sh: recapture corpus.pcap, the real packets that pkg/flow and
# pkg/pcapfilter are tested on (see README.md beside this script).
#
# It makes two network namespaces joined by a veth pair (with an 802.1Q
# subinterface on each end), captures on one end with tcpdump, and sends
# traffic only between those two namespaces: every address used is the
# namespaces' own (documentation ranges 192.0.2.0/24, 198.51.100.0/24,
# 2001:db8::/64), and nothing leaves them. The namespaces are removed on
# exit. Needs root, iproute2, tcpdump, ping (iputils) and python3.
set -euo pipefail

for c in ip tcpdump ping python3; do command -v "$c" >/dev/null || { echo "capture.sh: $c is needed" >&2; exit 1; }; done

out=${1:-$(dirname "$0")/corpus.pcap}
a=dwflows-a
b=dwflows-b

cleanup() {
	ip netns del "$a" 2>/dev/null || true
	ip netns del "$b" 2>/dev/null || true
}
trap cleanup EXIT
cleanup

ip netns add "$a"
ip netns add "$b"
ip -n "$a" link add veth0 type veth peer name veth0 netns "$b"
for ns in "$a" "$b"; do
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip -n "$a" link set veth0 address 02:00:00:00:00:0a
ip -n "$b" link set veth0 address 02:00:00:00:00:0b
ip -n "$a" addr add 192.0.2.1/24 dev veth0
ip -n "$b" addr add 192.0.2.2/24 dev veth0
ip -n "$a" addr add 2001:db8::1/64 dev veth0 nodad
ip -n "$b" addr add 2001:db8::2/64 dev veth0 nodad
for ns in "$a" "$b"; do
	ip -n "$ns" link set veth0 up
done
sleep 1

# Capture on a's veth0: Ethernet frames (LINKTYPE_ETHERNET); libpcap puts
# the VLAN tag that veth carries out of band back into the frames.
ip netns exec "$a" tcpdump -i veth0 -nn -U -s 0 -w "$out" 2>/dev/null &
dump=$!
sleep 2

# A UDP listener on 53 and a TCP listener on 8080 in b; 9 (discard) stays
# closed, for ICMP port unreachable and TCP RST.
ip netns exec "$b" python3 - <<'PY' &
import socket, threading
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u.bind(("::", 53))
t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("::", 8080)); t.listen(8)
def udp():
    while True:
        d, addr = u.recvfrom(2048)
        u.sendto(b"reply:" + d, addr)
threading.Thread(target=udp, daemon=True).start()
t.settimeout(20)
try:
    while True:
        c, _ = t.accept()
        c.recv(1024); c.sendall(b"HTTP/1.0 200 OK\r\n\r\nok"); c.close()
except Exception:
    pass
PY
server=$!
sleep 1

na() { ip netns exec "$a" "$@"; }
na ping -c 1 -W 1 192.0.2.2 >/dev/null                 # ARP who-has/reply, ICMP echo
na ping -6 -c 1 -W 1 2001:db8::2 >/dev/null            # ICMPv6 NS/NA, echo
na ping -c 1 -W 1 -s 3000 192.0.2.2 >/dev/null         # IPv4 fragments
na ping -6 -c 1 -W 1 -s 3000 2001:db8::2 >/dev/null    # IPv6 fragment headers
na ping -c 1 -W 1 -R 192.0.2.2 >/dev/null            # IPv4 options: record route
# Fixed source ports, so that a recapture gives the same flows.
na python3 - <<'PY'
import socket, time
def udp(fam, addr, port, sport, data, ipopts=None, **opt):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", sport))
    for k, v in opt.items():
        s.setsockopt(socket.IPPROTO_IPV6, {"hop": 54, "dst": 59}[k], v)
    if ipopts:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, ipopts)
    s.sendto(data, (addr, port)); s.settimeout(0.5)
    try: s.recv(2048)
    except Exception: pass
    s.close()
udp(socket.AF_INET, "192.0.2.2", 53, 41001, b"query-v4")      # UDP both ways
udp(socket.AF_INET6, "2001:db8::2", 53, 41002, b"query-v6")
udp(socket.AF_INET, "192.0.2.2", 9, 41003, b"closed")         # ICMP port unreachable
udp(socket.AF_INET6, "2001:db8::2", 9, 41004, b"closed")      # ICMPv6 port unreachable
# IPv6 extension headers: hop-by-hop options (PadN), destination options.
padn = bytes([0, 0, 1, 4, 0, 0, 0, 0])
udp(socket.AF_INET6, "2001:db8::2", 53, 41005, b"hbh", hop=padn)
udp(socket.AF_INET6, "2001:db8::2", 53, 41006, b"dstopt", dst=padn)
# IPv4 options (NOP NOP NOP EOL): a 24-byte header before the UDP one.
udp(socket.AF_INET, "192.0.2.2", 53, 41007, b"ipopts", ipopts=bytes([1, 1, 1, 0]))
def tcp(fam, addr, port, sport):
    s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", sport))
    try:
        s.connect((addr, port)); s.sendall(b"GET / HTTP/1.0\r\n\r\n"); s.recv(1024)
    except Exception: pass
    s.close(); time.sleep(0.2)
tcp(socket.AF_INET, "192.0.2.2", 8080, 42001)                 # SYN, SYN-ACK, PSH, FIN
tcp(socket.AF_INET6, "2001:db8::2", 8080, 42002)
tcp(socket.AF_INET, "192.0.2.2", 9, 42003)                    # SYN, RST-ACK
tcp(socket.AF_INET6, "2001:db8::2", 9, 42004)
PY
# 802.1Q frames. This machine's kernel has no CONFIG_VLAN_8021Q, so a VLAN
# subinterface cannot be made: the frames are built here and sent with an
# AF_PACKET socket on a's veth0 (so they reach only b). b has no VLAN 100
# and drops them; they are real frames on the veth all the same.
na python3 - <<'PY'
import socket, struct
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
mac_a = bytes.fromhex("02000000000a"); mac_b = bytes.fromhex("02000000000b")
def vlan(vid, etype, payload, dst=mac_b):
    return dst + mac_a + struct.pack("!HHH", 0x8100, vid, etype) + payload
def ip4(src, dst, proto, l4):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + l4
def udp4(src, dst, sport, dport, data):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, len(u))
    u = u[:6] + struct.pack("!H", csum(ph + u)) + u[8:]
    return ip4(src, dst, 17, u)
def tcp4(src, dst, sport, dport, flags):
    t = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, flags, 64240, 0, 0)
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(t))
    t = t[:16] + struct.pack("!H", csum(ph + t)) + t[18:]
    return ip4(src, dst, 6, t)
def udp6(src, dst, sport, dport, data):
    u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    s6, d6 = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    ph = s6 + d6 + struct.pack("!IxxxB", len(u), 17)
    u = u[:6] + struct.pack("!H", csum(ph + u)) + u[8:]
    return struct.pack("!IHBB", 6 << 28, len(u), 17, 64) + s6 + d6 + u
arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac_a,
                  socket.inet_aton("198.51.100.1"), b"\0" * 6, socket.inet_aton("198.51.100.2"))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("veth0", 0))
for f in (vlan(100, 0x0806, arp, dst=b"\xff" * 6),
          vlan(100, 0x0800, udp4("198.51.100.1", "198.51.100.2", 40000, 53, b"query-vlan")),
          vlan(100, 0x0800, tcp4("198.51.100.1", "198.51.100.2", 40001, 8080, 0x02)),
          vlan(200 | (5 << 13), 0x86dd, udp6("2001:db8:100::1", "2001:db8:100::2", 40002, 5353, b"v6-in-vlan"))):
    s.send(f.ljust(60, b"\0"))
s.close()
PY
sleep 1
kill "$server" 2>/dev/null || true
kill -INT "$dump"
wait "$dump" || true
tcpdump -r "$out" -nn 2>/dev/null | wc -l | xargs echo "packets:"
