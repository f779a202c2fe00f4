#!/usr/bin/python3
"""Makes captures/decode/gre-ipip-fragments.pcap from veth-vxlan-gbp-fragments.pcap (record-decode.sh,
part carriers): the same inner packets, which the Linux kernel sent through a VXLAN tunnel, carried
instead by GRE (RFC 2784) and by IP-in-IP between 192.0.2.1 and 192.0.2.2, each outer packet
fragmented as a router on a 1280-byte path fragments it (the outer DF unset). The machine that
recorded the VXLAN capture had no GRE or IP-in-IP module, so the carriers are written here with
scapy; the inner packets and their times are the kernel's. GRE carries the 1400-byte UDP exchange and
the TCP connection as they were; IP-in-IP the same with the inner client's port plus one, so that
the two tunnels' flows stay apart.

    /usr/bin/python3 captures/decode/craft-carriers.py      (needs python3-scapy)
"""
import os

from scapy.all import GRE, IP, TCP, UDP, VXLAN, Ether, PcapReader, defragment, fragment, wrpcap

HERE = os.path.dirname(os.path.abspath(__file__))
PATH_MTU = 1280
OUTER = ("192.0.2.1", "192.0.2.2")
MAC = ("02:00:00:00:00:01", "02:00:00:00:00:02")


def inner_packets():
    """The IPv4 packets the VXLAN tunnel carried (its fragmented carriers put back together), with their times."""
    frames = list(PcapReader(os.path.join(HERE, "veth-vxlan-gbp-fragments.pcap")))
    whole = defragment([f for f in frames if IP in f])
    out = []
    for f in whole:
        if VXLAN in f and IP in f[VXLAN] and (TCP in f[VXLAN] or UDP in f[VXLAN][IP]):
            inner = f[VXLAN][IP].copy()
            inner.time = f.time
            out.append(inner)
    return out


def carried(inner, proto, bump):
    forward = inner.src.endswith(".1")
    ip = inner.copy()
    if bump:
        layer = ip[TCP] if TCP in ip else ip[UDP]
        if forward:
            layer.sport += 1
        else:
            layer.dport += 1
        del layer.chksum
    del ip.chksum
    src, dst = OUTER if forward else OUTER[::-1]
    mac = MAC if forward else MAC[::-1]
    outer = IP(src=src, dst=dst, id=(ip.id + bump * 0x100) & 0xFFFF, flags=0, ttl=64) / (GRE() / ip if proto == "gre" else ip)
    if proto == "ipip":
        outer[IP].proto = 4
    outer = IP(bytes(outer))
    frames = fragment(outer, fragsize=PATH_MTU - 20) if len(outer) > PATH_MTU else [outer]
    result = []
    for i, fr in enumerate(frames):
        e = Ether(src=mac[0], dst=mac[1]) / fr
        e.time = inner.time + i * 0.000001
        result.append(e)
    return result


def main():
    inner = inner_packets()
    frames = []
    for bump, proto in ((0, "gre"), (1, "ipip")):
        for p in inner:
            frames.extend(carried(p, proto, bump))
    frames.sort(key=lambda f: f.time)
    wrpcap(os.path.join(HERE, "gre-ipip-fragments.pcap"), frames)


if __name__ == "__main__":
    main()
