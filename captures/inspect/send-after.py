"""Sends datagrams that are no media protocol on a UDP 5-tuple that STUN or RTP opened.

    python3 send-after.py stun|none SOURCE SOURCE_PORT DESTINATION PORT TEXT COUNT

From SOURCE:SOURCE_PORT to DESTINATION:PORT: with "stun", first a STUN Binding Request (RFC 5389),
waiting for the server's Binding Success Response (a STUN server must be listening there); then
TEXT (with \\r\\n appended) COUNT times, 20 ms apart, as a program that keeps a port open by STUN
and speaks its own protocol over it would. With "none" only the datagrams of TEXT are sent (run
after another program, GStreamer, sent RTP from the same source port).
"""
import os
import socket
import struct
import sys
import time

mode, source, source_port, destination, port, text, count = sys.argv[1:8]
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind((source, int(source_port)))
if mode == "stun":
    transaction = os.urandom(12)
    sock.sendto(struct.pack("!HHI", 0x0001, 0, 0x2112A442) + transaction, (destination, int(port)))
    sock.settimeout(3)
    answer, _ = sock.recvfrom(2048)
    if answer[:2] != b"\x01\x01" or answer[8:20] != transaction:
        sys.exit("no STUN Binding Success Response")
for _ in range(int(count)):
    sock.sendto(text.encode() + b"\r\n", (destination, int(port)))
    time.sleep(0.02)
