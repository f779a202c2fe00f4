"""Relays RTP through a TURN server over UDP in ChannelData messages (RFC 5766), on a channel number.

    python3 turn-channel.py SOURCE SOURCE_PORT SERVER PORT PEER PEER_PORT CHANNEL COUNT

From SOURCE:SOURCE_PORT to the TURN server SERVER:PORT (one that asks for no credentials): an Allocate
request, a ChannelBind of CHANNEL (hexadecimal, as 0x6f28) to PEER:PEER_PORT, then COUNT RTP packets
(PCMU, 172 bytes) in ChannelData messages of that channel, 20 ms apart, each answer (the peer's echo,
relayed back in ChannelData) read before the next. RFC 5766 numbers channels 0x4000-0x7FFF, and
coturn's own client (turnutils_uclient) binds any of them; RFC 8656 later narrowed them to 0x4FFF.
"""
import os
import socket
import struct
import sys
import time

source, source_port, server, port, peer, peer_port, channel, count = sys.argv[1:9]
channel = int(channel, 16)
COOKIE = 0x2112A442
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((source, int(source_port)))
sock.settimeout(3)
to = (server, int(port))


def request(method, attributes):
    transaction = os.urandom(12)
    body = b"".join(struct.pack("!HH", t, len(v)) + v + bytes(-len(v) % 4) for t, v in attributes)
    sock.sendto(struct.pack("!HHI", method, len(body), COOKIE) + transaction + body, to)
    answer, _ = sock.recvfrom(2048)
    if answer[8:20] != transaction or struct.unpack("!H", answer[:2])[0] != (method | 0x0100):
        sys.exit("no success response to method 0x%04x: %r" % (method, answer[:2]))


# Allocate: REQUESTED-TRANSPORT UDP (17).
request(0x0003, [(0x0019, struct.pack("!B3x", 17))])
# ChannelBind: CHANNEL-NUMBER and XOR-PEER-ADDRESS (IPv4).
address = struct.unpack("!I", socket.inet_aton(peer))[0] ^ COOKIE
xor_peer = struct.pack("!BBHI", 0, 1, int(peer_port) ^ (COOKIE >> 16), address)
request(0x0009, [(0x000C, struct.pack("!H2x", channel)), (0x0012, xor_peer)])
ssrc = struct.unpack("!I", os.urandom(4))[0]
for i in range(int(count)):
    rtp = struct.pack("!BBHII", 0x80, 0, 1000 + i, 160 * i, ssrc) + bytes([0xFF]) * 160
    sock.sendto(struct.pack("!HH", channel, len(rtp)) + rtp, to)
    answer, _ = sock.recvfrom(2048)
    if struct.unpack("!H", answer[:2])[0] != channel:
        sys.exit("the echo did not come back on channel 0x%04x" % channel)
    time.sleep(0.02)
