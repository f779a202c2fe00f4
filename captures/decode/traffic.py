#!/usr/bin/python3
"""Traffic for the decode/flow captures (captures/decode/record-decode.sh runs it inside network
namespaces of its own). Python standard library only; every address is numeric.

    traffic.py loopback      TCP (FIN and RST endings, a port reused after RST), UDP, ICMP echo,
                             a SYN to a closed port; IPv4 on 127.0.44.0/24 and IPv6 on ::1
    traffic.py midstream-open | midstream-rest
                             a TCP connection opened before the capture starts, used after
    traffic.py tunnel ADDR   (run in the first namespace) UDP datagrams larger than the 1280-byte
                             MTU (IPv4 and IPv6 fragments) to ADDR, and TCP and UDP to the VXLAN
                             peer 198.51.100.2
    traffic.py serve         (run in the second namespace) the servers for `tunnel`
    traffic.py carriers      (run in the first namespace) through VXLAN with the Group Policy
                             extension, whose MTU is larger than the 1280-byte veth under it: a
                             1400-byte UDP datagram each way (the carrier goes in fragments), and TCP
                             with 3000 bytes of data (marked: the VXLAN header carries the group 42
                             and the G flag)
    traffic.py serve-carriers (run in the second namespace) the servers for `carriers`
Each mode exits non-zero if an exchange did not happen as planned.
"""
import os
import socket
import struct
import sys
import threading
import time

V4_SERVER = "127.0.44.1"
V4_CLIENT = "127.0.44.2"
V6 = "::1"
MIDSTREAM_FIFO = os.environ.get("MIDSTREAM_FIFO", "")


def tcp_server(family, addr, port, reply, close_first=False, rounds=1):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(4)

    def run():
        for _ in range(rounds):
            c, _ = s.accept()
            c.settimeout(5)
            data = c.recv(4096)
            if data:
                c.sendall(reply + data[:16])
            if not close_first:
                try:
                    c.recv(4096)  # until the client's FIN (or RST)
                except ConnectionResetError:
                    pass
            c.close()
        s.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def tcp_client(family, src, dst, port, payload, sport=0, rst=False):
    c = socket.socket(family, socket.SOCK_STREAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.settimeout(5)
    c.bind((src, sport))
    c.connect((dst, port))
    c.sendall(payload)
    got = c.recv(4096)
    if not got:
        sys.exit("no TCP reply from %s:%d" % (dst, port))
    if rst:
        # SO_LINGER with a zero timeout: close() sends RST, and no TIME_WAIT keeps the port.
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()


def udp_exchange(family, src, sport, dst, dport, payload, answers=True):
    srv = socket.socket(family, socket.SOCK_DGRAM)
    srv.bind((dst, dport))
    srv.settimeout(5)
    cli = socket.socket(family, socket.SOCK_DGRAM)
    cli.bind((src, sport))
    cli.settimeout(5)
    cli.sendto(payload, (dst, dport))
    data, peer = srv.recvfrom(65535)
    if answers:
        srv.sendto(b"ack:" + data[:8], peer)
        cli.recvfrom(65535)
    srv.close()
    cli.close()


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ping4(dst, ident, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(5)
    for seq in range(count):
        body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"portmatrix"
        body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
        s.sendto(body, (dst, 0))
        while True:
            data, _ = s.recvfrom(2048)
            icmp = data[(data[0] & 0x0F) * 4:]
            if icmp[0] == 0 and struct.unpack("!H", icmp[4:6])[0] == ident:
                break
    s.close()


def ping6(dst, ident, count):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.settimeout(5)
    for seq in range(count):
        # The kernel fills in the ICMPv6 checksum on raw ICMPv6 sockets.
        s.sendto(struct.pack("!BBHHH", 128, 0, 0, ident, seq) + b"portmatrix", (dst, 0))
        while True:
            data, _ = s.recvfrom(2048)
            if data[0] == 129 and struct.unpack("!H", data[4:6])[0] == ident:
                break
    s.close()


def loopback():
    # 1. TCP over IPv4, ended by FIN from both sides.
    t = tcp_server(socket.AF_INET, V4_SERVER, 5061, b"200 OK ")
    tcp_client(socket.AF_INET, V4_CLIENT, V4_SERVER, 5061, b"OPTIONS sip:a SIP/2.0\r\n\r\n")
    t.join(5)
    # 2. TCP over IPv6.
    t = tcp_server(socket.AF_INET6, V6, 8443, b"hello ")
    tcp_client(socket.AF_INET6, V6, V6, 8443, b"GET / HTTP/1.0\r\n\r\n")
    t.join(5)
    # 3. The same 5-tuple twice: the first connection ends with RST, the second starts with a new SYN.
    t = tcp_server(socket.AF_INET, V4_SERVER, 5062, b"again ", rounds=2)
    tcp_client(socket.AF_INET, V4_CLIENT, V4_SERVER, 5062, b"first", sport=45062, rst=True)
    time.sleep(0.2)
    tcp_client(socket.AF_INET, V4_CLIENT, V4_SERVER, 5062, b"second", sport=45062, rst=True)
    t.join(5)
    # 4. A SYN to a port nobody listens on: the kernel answers RST.
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.bind((V4_CLIENT, 0))
    c.settimeout(5)
    try:
        c.connect((V4_SERVER, 5999))
        sys.exit("port 5999 accepted a connection")
    except ConnectionRefusedError:
        pass
    c.close()
    # 5. UDP request/response over IPv4 and IPv6, and a one-way UDP datagram.
    udp_exchange(socket.AF_INET, V4_CLIENT, 40001, V4_SERVER, 3478, b"\x00\x01binding")
    udp_exchange(socket.AF_INET6, V6, 40002, V6, 5354, b"query")
    udp_exchange(socket.AF_INET, V4_CLIENT, 40003, V4_SERVER, 50000, b"\x80\x00rtp", answers=False)
    # 6. ICMP echo, IPv4 and IPv6: two requests and two replies each.
    ping4(V4_SERVER, 0x4401, 2)
    ping6(V6, 0x4402, 2)


def midstream_open():
    """Opens a connection and keeps it, in a child process, until midstream-rest."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((V4_SERVER, 5063))
    srv.listen(1)
    cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    cli.bind((V4_CLIENT, 0))
    cli.connect((V4_SERVER, 5063))
    conn, _ = srv.accept()
    conn.sendall(b"before the capture")
    cli.recv(100)
    r, w = os.pipe()
    if os.fork() == 0:
        # Child: waits for the signal (a line on the FIFO), then talks and closes.
        os.close(w)
        with open(MIDSTREAM_FIFO) as f:
            f.readline()
        cli.sendall(b"after the capture started")
        conn.recv(100)
        conn.sendall(b"reply")
        cli.recv(100)
        cli.close()
        conn.recv(100)
        conn.close()
        os._exit(0)
    os.close(r)


def midstream_rest():
    with open(MIDSTREAM_FIFO, "w") as f:
        f.write("go\n")


def serve():
    """Second namespace: answers the tunnel mode's traffic, then exits."""
    udp4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp4.bind(("0.0.0.0", 7001))
    udp6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    udp6.bind(("::", 7002))
    udpv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udpv.bind(("198.51.100.2", 7003))
    stun4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stun4.bind(("0.0.0.0", 3478))
    stun6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    stun6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    stun6.bind(("::", 3478))
    t = tcp_server(socket.AF_INET, "198.51.100.2", 5061, b"inner ")
    for s in (udp4, udp6, stun4, stun6, udpv):  # in the order tunnel() sends
        s.settimeout(10)
        data, peer = s.recvfrom(65535)
        s.sendto(b"got %d" % len(data), peer)
    t.join(10)


def tunnel(peer4, peer6):
    big = bytes(range(256)) * 12  # 3072 bytes: three fragments at an MTU of 1280
    for family, addr, port in ((socket.AF_INET, peer4, 7001), (socket.AF_INET6, peer6, 7002)):
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.settimeout(5)
        s.sendto(big, (addr, port))
        s.recvfrom(100)
        s.close()
    # A STUN Binding Request of 3,000 bytes (RFC 5389; a PADDING attribute, RFC 5780, fills it) to 3478: three
    # fragments each way, the first holding the message's header with a length that runs past it.
    padding = bytes(2968)
    stun = struct.pack("!HHI12s", 0x0001, 4 + len(padding), 0x2112A442, b"portmatrix-f") + struct.pack("!HH", 0x0026, len(padding)) + padding
    for family, addr in ((socket.AF_INET, peer4), (socket.AF_INET6, peer6)):
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.settimeout(5)
        s.sendto(stun, (addr, 3478))
        s.recvfrom(100)
        s.close()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(b"through vxlan", ("198.51.100.2", 7003))
    s.recvfrom(100)
    s.close()
    tcp_client(socket.AF_INET, "198.51.100.1", "198.51.100.2", 5061, b"TLS? no, plain")


# The carriers part (record-decode.sh): inside the VXLAN-GBP tunnel, 203.0.113.1 (here) and .2 (serve-carriers).
CARRIER_CLIENT, CARRIER_SERVER = "203.0.113.1", "203.0.113.2"
# The packet mark that VXLAN's Group Policy extension sends as the group (Linux: the skb mark, set here by SO_MARK).
GBP_MARK = 0x2A
SO_MARK = 36
IP_MTU_DISCOVER, IP_PMTUDISC_DONT = 10, 0


def carrier_socket(kind):
    """Marked (the group), and without DF: the kernel sends a large datagram whole into the tunnel, whose carrier goes in fragments."""
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, SO_MARK, GBP_MARK)
    s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
    s.settimeout(10)
    return s


def serve_carriers():
    u = carrier_socket(socket.SOCK_DGRAM)
    u.bind((CARRIER_SERVER, 7013))
    t = tcp_server(socket.AF_INET, CARRIER_SERVER, 5061, b"gbp ")
    data, peer = u.recvfrom(65535)
    u.sendto(bytes(1400), peer)
    t.join(10)


def carriers():
    s = carrier_socket(socket.SOCK_DGRAM)
    s.bind((CARRIER_CLIENT, 0))
    s.sendto(bytes(range(200)) * 7, (CARRIER_SERVER, 7013))
    got, _ = s.recvfrom(65535)
    if len(got) != 1400:
        sys.exit("no 1400-byte answer through the tunnel")
    s.close()
    c = carrier_socket(socket.SOCK_STREAM)
    c.bind((CARRIER_CLIENT, 0))
    c.connect((CARRIER_SERVER, 5061))
    c.sendall(bytes(3000))
    if not c.recv(4096):
        sys.exit("no TCP reply through the tunnel")
    c.close()


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "loopback":
        loopback()
    elif mode == "midstream-open":
        midstream_open()
    elif mode == "midstream-rest":
        midstream_rest()
    elif mode == "serve":
        serve()
    elif mode == "tunnel":
        tunnel(sys.argv[2], sys.argv[3])
    elif mode == "carriers":
        carriers()
    elif mode == "serve-carriers":
        serve_carriers()
    else:
        sys.exit("unknown mode " + mode)
