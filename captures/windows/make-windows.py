#!/usr/bin/python3
"""Makes the Windows-origin captures of captures/windows/ (see README.md there) from the TLS and SIP
payloads of captures/sample.pcap, written again in the shapes Windows capture tools give them:

  npcap-lso.pcapng       Wireshark/Npcap on a Front End: the server's outgoing packets caught before
                         Large Send Offload and checksum offload (one TCP segment per send, IPv4
                         total length 0, checksums left for the NIC), the received ones as the wire had them
  pktmon.pcapng          pktmon etl2pcap: one interface per network stack component, each packet once
                         per component it passed, with pktmon's packet comments

    /usr/bin/python3 captures/windows/make-windows.py      (needs python3-scapy)
"""
import os
import struct

from scapy.all import IP, IPv6, TCP, UDP, Ether, Raw, rdpcap

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(HERE, "..", "sample.pcap")
T0 = 1796000000.0  # 2026-11-29

FE = "10.1.1.10"
DIRECTOR = "10.1.2.10"
EDGE = "10.1.3.10"
FE6 = "fd00:10:1:1::10"
CLIENT6 = "fd00:10:2::21"
MAC_FE = "00:15:5d:01:01:0a"
MAC_GW = "00:15:5d:01:01:01"
MSS = 1460


# ---------------------------------------------------------------- pcapng (written by hand: options scapy does not write)
def opt(code, value):
    if isinstance(value, str):
        value = value.encode()
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def block(kind, body):
    n = 12 + len(body)
    return struct.pack("<II", kind, n) + body + struct.pack("<I", n)


def shb(os_name, appl):
    body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + opt(3, os_name) + opt(4, appl) + opt(0, b"")
    return block(0x0A0D0D0A, body)


def idb(linktype, name, descr=None, snaplen=262144):
    body = struct.pack("<HHI", linktype, 0, snaplen) + opt(2, name)
    if descr:
        body += opt(3, descr)
    body += opt(9, b"\x06") + opt(0, b"")
    return block(1, body)


def epb(iface, t, data, orig=None, comment=None, flags=None):
    us = int(round(t * 1e6))
    orig = len(data) if orig is None else orig
    body = struct.pack("<IIIII", iface, us >> 32, us & 0xFFFFFFFF, len(data), orig) + data + b"\0" * (-len(data) % 4)
    opts = b""
    if comment:
        opts += opt(1, comment)
    if flags is not None:
        opts += opt(2, struct.pack("<I", flags))
    if opts:
        body += opts + opt(0, b"")
    return block(6, body)


# ---------------------------------------------------------------- the sample's payloads
def streams(port):
    """The TCP payloads of the sample's connection from client port `port`, in order: [(from_client, bytes)]."""
    out = []
    for p in rdpcap(SAMPLE):
        if TCP in p and port in (p[TCP].sport, p[TCP].dport) and len(p[TCP].payload) > 0:
            out.append((p[TCP].sport == port, bytes(p[TCP].payload)))
    return out


def pad_certificate(flight, copies):
    """The server flight with its Certificate message's chain lengthened by `copies` more copies of its first
    certificate (an RSA chain of several intermediates is this long; the record grows to match)."""
    out = b""
    i = 0
    while i < len(flight):
        ctype, ver, n = flight[i], flight[i + 1:i + 3], struct.unpack(">H", flight[i + 3:i + 5])[0]
        body = flight[i + 5:i + 5 + n]
        i += 5 + n
        if ctype == 0x16 and body[0] == 11:
            msg = body[4:]
            chain_len = int.from_bytes(msg[0:3], "big")
            first_len = int.from_bytes(msg[3:6], "big")
            chain = msg[3:3 + chain_len] + msg[3:6 + first_len] * copies
            msg = len(chain).to_bytes(3, "big") + chain + msg[3 + chain_len:]
            body = bytes([11]) + len(msg).to_bytes(3, "big") + msg
        out += bytes([ctype]) + ver + struct.pack(">H", len(body)) + body
    return out


class Tcp:
    """One TCP connection seen on the capturing host `local`: what it sends goes out in one segment per send
    (caught before Large Send Offload: IPv4 total length 0, checksums not yet filled in), what it receives came
    in MSS-sized segments with their checksums."""

    def __init__(self, client, cport, server, sport, local, v6=False):
        self.c, self.cp, self.s, self.sp, self.local, self.v6 = client, cport, server, sport, local, v6
        self.seq = {True: 1000, False: 500000}
        self.frames = []

    def pkt(self, from_client, flags, data=b"", lso=None):
        src, dst = (self.c, self.s) if from_client else (self.s, self.c)
        sport, dport = (self.cp, self.sp) if from_client else (self.sp, self.cp)
        out = src == self.local
        lso = out if lso is None else lso
        tcp = TCP(sport=sport, dport=dport, flags=flags, seq=self.seq[from_client],
                  ack=self.seq[not from_client] if "A" in flags else 0, window=8212)
        if "S" in flags:
            tcp.options = [("MSS", MSS), ("NOP", None), ("WScale", 8), ("NOP", None), ("NOP", None), ("SAckOK", b"")]
        ip = IPv6(src=src, dst=dst, hlim=128) if self.v6 else IP(src=src, dst=dst, ttl=128, flags="DF")
        mac = (MAC_FE, MAC_GW) if out else (MAC_GW, MAC_FE)
        frame = Ether(src=mac[0], dst=mac[1]) / ip / tcp / Raw(data) if data else Ether(src=mac[0], dst=mac[1]) / ip / tcp
        raw = bytearray(bytes(frame))  # checksums and lengths filled in, as the wire has them
        if lso and data:
            if self.v6:
                raw[14 + 4:14 + 6] = b"\0\0"  # IPv6 payload length 0 (LSOv2)
            else:
                raw[14 + 2:14 + 4] = b"\0\0"  # IPv4 total length 0
                raw[14 + 10:14 + 12] = b"\0\0"  # header checksum for the NIC to fill in
            ip_len = 40 if self.v6 else 20
            raw[14 + ip_len + 16:14 + ip_len + 18] = b"\x5a\x5a"  # TCP checksum: the pseudo-header's only
        self.seq[from_client] = (self.seq[from_client] + len(data) + (1 if "S" in flags or "F" in flags else 0)) & 0xFFFFFFFF
        self.frames.append((bytes(raw), out))

    def handshake(self):
        self.pkt(True, "S")
        self.pkt(False, "SA")
        self.pkt(True, "A")

    def send(self, from_client, data):
        local = (self.c if from_client else self.s) == self.local
        if local:
            self.pkt(from_client, "PA", data)
        else:
            for k in range(0, len(data), MSS):
                self.pkt(from_client, "PA" if k + MSS >= len(data) else "A", data[k:k + MSS])
            self.pkt(not from_client, "A")

    def close(self):
        self.pkt(True, "FA")
        self.pkt(False, "FA")
        self.pkt(True, "A")


def timed(frames, t):
    return [(t + i * 0.0005, raw, out) for i, (raw, out) in enumerate(frames)]


def sip_notify():
    body = ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<roamingData xmlns=\"http://schemas.microsoft.com/2006/09/sip/roaming-self\">\r\n"
            + "".join("<contact uri=\"sip:user%04d@contoso.test\" name=\"User %04d\" groups=\"1 \" subscribed=\"true\"/>\r\n" % (i, i)
                      for i in range(220))
            + "</roamingData>\r\n").encode()
    head = ("NOTIFY sip:dir01.contoso.test:5060;transport=tcp SIP/2.0\r\n"
            "Via: SIP/2.0/TCP 10.1.1.10:50412;branch=z9hG4bK7d2a1c\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:pool01.contoso.test>;tag=8a1f\r\n"
            "To: <sip:dir01.contoso.test>\r\n"
            "Call-ID: 5c2e9b0d41f7\r\n"
            "CSeq: 1 NOTIFY\r\n"
            "Event: vnd-microsoft-roaming-contacts\r\n"
            "Content-Type: application/vnd-microsoft-roaming-contacts+xml\r\n"
            "Content-Length: %d\r\n\r\n" % len(body)).encode()
    return head + body


def npcap_lso():
    """A Front End's own capture (Npcap, one Ethernet interface)."""
    mtls = streams(36009)  # the sample's MTLS connection: Edge internal -> Front End 5061
    edge = Tcp(EDGE, 50123, FE, 5061, FE)
    edge.handshake()
    for i, (from_client, data) in enumerate(mtls):
        if i == 1:
            data = pad_certificate(data, 13)  # ServerHello .. ServerHelloDone in one 9 KB segment
        edge.send(from_client, data)
    edge.close()

    notify = Tcp(FE, 50412, DIRECTOR, 5060, FE)  # the Front End sends a 20 KB NOTIFY in one send
    notify.handshake()
    notify.send(True, sip_notify())
    notify.send(False, b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 10.1.1.10:50412;branch=z9hG4bK7d2a1c\r\n"
                       b"From: <sip:pool01.contoso.test>;tag=8a1f\r\nTo: <sip:dir01.contoso.test>;tag=31\r\n"
                       b"Call-ID: 5c2e9b0d41f7\r\nCSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n")
    notify.close()

    https = streams(45695)  # the sample's TLS 1.3 HTTPS connection, over IPv6: client -> Front End 443
    web = Tcp(CLIENT6, 51034, FE6, 443, FE6, v6=True)
    web.handshake()
    for from_client, data in https:
        web.send(from_client, data)
    web.close()

    frames = timed(edge.frames, T0) + timed(notify.frames, T0 + 1) + timed(web.frames, T0 + 2)
    out = shb("64-bit Windows Server 2019 (1809), build 17763", "Dumpcap (Wireshark) 4.2.5 (v4.2.5-0-g4aa814ac25a1)")
    out += idb(1, "\\Device\\NPF_{6E2B4A7C-1F0D-4C58-9E3A-2D7B5C1A9F04}", "Microsoft Hyper-V Network Adapter")
    for t, raw, _ in frames:
        out += epb(0, t, raw)
    with open(os.path.join(HERE, "npcap-lso.pcapng"), "wb") as f:
        f.write(out)


MEDIATION = "10.1.4.10"
CLIENT = "10.2.0.21"
# pktmon's components on a Front End that is a Hyper-V guest, one pcapng interface each, in the order a sent packet
# passes them (a received one the other way round): TCPIP's protocol edge, the QoS Packet Scheduler and two WFP
# lightweight filters, the virtual NIC's miniport ("pktmon list" names them so).
COMPONENTS = [(12, "TCPIP", "TCP/IP Driver"),
              (9, "QoS Packet Scheduler-0000", "QoS Packet Scheduler"),
              (8, "WFP 802.3 MAC Layer LightWeight Filter-0000", "WFP 802.3 MAC Layer LightWeight Filter"),
              (7, "WFP Native MAC Layer LightWeight Filter-0000", "WFP Native MAC Layer LightWeight Filter"),
              (4, "Microsoft Hyper-V Network Adapter", "Microsoft Hyper-V Network Adapter")]


def rtp(seq, ts, ssrc, payload_type=0):
    return struct.pack(">BBHII", 0x80, payload_type, seq, ts, ssrc) + bytes([0xFF]) * 160


def udp_frame(src, sport, dst, dport, data):
    out = src == FE
    mac = (MAC_FE, MAC_GW) if out else (MAC_GW, MAC_FE)
    raw = bytearray(bytes(Ether(src=mac[0], dst=mac[1]) / IP(src=src, dst=dst, ttl=128) / UDP(sport=sport, dport=dport) / Raw(data)))
    if out:
        raw[14 + 20 + 6:14 + 20 + 8] = b"\x5a\x5a"  # UDP checksum left to the NIC
    return bytes(raw), out


def pktmon():
    """pktmon on a Front End (pktmon start -c --pkt-size 0; pktmon etl2pcap): every packet once per component."""
    mtls = streams(36009)
    med = Tcp(FE, 50777, MEDIATION, 5070, FE)  # the Front End is the MTLS client here; the Mediation Server's flight comes in MSS segments
    med.handshake()
    for i, (from_client, data) in enumerate(mtls):
        if i == 1:
            data = pad_certificate(data, 13)
        med.send(from_client, data)
    med.close()
    media = []
    for i in range(6):
        media.append(udp_frame(FE, 50010, CLIENT, 20000, rtp(100 + i, 160 * i, 0x1A2B3C4D)))
        media.append(udp_frame(CLIENT, 20000, FE, 50010, rtp(7000 + i, 320 + 160 * i, 0x5E6F7081)))
    frames = timed(med.frames, T0) + timed(media, T0 + 1)
    out = shb("64-bit Windows Server 2019 (1809), build 17763", "PktMon")
    for cid, name, descr in COMPONENTS:
        out += idb(1, name, descr, snaplen=65535)
    group = 0x5000000000000
    for n, (t, raw, sent) in enumerate(frames):
        order = range(len(COMPONENTS)) if sent else reversed(range(len(COMPONENTS)))
        for k, c in enumerate(order):
            cid = COMPONENTS[c][0]
            comment = ("PktGroupId %d, PktNumber %d, Appearance %d, Direction %s , Type Ethernet , Component %d, Edge 1, "
                       "Filter 0, OriginalSize %d, LoggedSize %d" % (group + n, n + 1, k + 1, "Tx" if sent else "Rx", cid, len(raw), len(raw)))
            out += epb(c, t + k * 0.000004, raw, comment=comment, flags=2 if sent else 1)
    with open(os.path.join(HERE, "pktmon.pcapng"), "wb") as f:
        f.write(out)


def main():
    npcap_lso()
    pktmon()


if __name__ == "__main__":
    main()
