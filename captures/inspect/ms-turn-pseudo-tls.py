"""Both ends of an MS-TURN session over TCP 443 that starts with MS-TURN's pseudo-TLS exchange
([MS-TURN] 2.1.1), then carries TURN messages in MS-TURN's TCP framing ([MS-TURN] 2.1.4):

    python3 ms-turn-pseudo-tls.py serve SERVER_ADDRESS PORT      (answers one connection, then exits)
    python3 ms-turn-pseudo-tls.py connect SERVER_ADDRESS PORT CLIENT_ADDRESS

The client sends a TLS 1.0 record holding a ClientHello; the server answers with one TLS 1.0 record
holding a ServerHello and a ServerHelloDone (no Certificate: nothing is encrypted after it). Then the
client sends an Allocate request ([MS-TURN] 2.2.1: the older STUN header, a 16-byte transaction id,
the MAGIC-COOKIE attribute first) in a control frame (type 0x02, reserved 0, length), and the server
answers with an Allocate error response, 401 with a REALM and a NONCE, framed the same way. No
Lync edge server is available here: the bytes are written from the specification, over the
machine's own TCP stack, numeric addresses only.
"""
import os
import socket
import struct
import sys

TLS_1_0 = b"\x03\x01"


def record(handshakes):
    body = b"".join(handshakes)
    return b"\x16" + TLS_1_0 + struct.pack("!H", len(body)) + body


def handshake(msg_type, body):
    return bytes([msg_type]) + struct.pack("!I", len(body))[1:] + body


def client_hello():
    suites = [0x0004, 0x0005, 0x000A, 0x002F, 0x0035]  # RC4 and AES suites of the TLS 1.0 era
    body = (TLS_1_0 + os.urandom(32) + b"\x00" + struct.pack("!H", 2 * len(suites))
            + b"".join(struct.pack("!H", s) for s in suites) + b"\x01\x00")
    return record([handshake(1, body)])


def server_hello():
    hello = TLS_1_0 + os.urandom(32) + b"\x00" + struct.pack("!H", 0x0004) + b"\x00"
    return record([handshake(2, hello), handshake(14, b"")])


def attribute(kind, value):
    pad = (4 - len(value) % 4) % 4
    return struct.pack("!HH", kind, len(value)) + value + b"\x00" * pad


def turn(msg_type, transaction, attributes):
    attrs = attribute(0x000F, struct.pack("!I", 0x72C64BC6)) + b"".join(attributes)
    message = struct.pack("!HH", msg_type, len(attrs)) + transaction + attrs
    return b"\x02\x00" + struct.pack("!H", len(message)) + message


def read_exactly(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            sys.exit("the peer closed the connection after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def read_record(conn):
    header = read_exactly(conn, 5)
    if header[0] != 0x16:
        sys.exit("expected a handshake record, got type 0x%02x" % header[0])
    return header + read_exactly(conn, struct.unpack("!H", header[3:5])[0])


def read_frame(conn):
    header = read_exactly(conn, 4)
    if header[0] != 0x02 or header[1] != 0:
        sys.exit("expected an MS-TURN control frame, got 0x%02x 0x%02x" % (header[0], header[1]))
    return read_exactly(conn, struct.unpack("!H", header[2:4])[0])


def serve(address, port):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(1)
    listener.settimeout(10)
    conn, _ = listener.accept()
    with conn:
        read_record(conn)
        conn.sendall(server_hello())
        request = read_frame(conn)
        transaction = request[4:20]
        error = attribute(0x0009, struct.pack("!HBB", 0, 4, 1) + b"Unauthorized")
        realm = attribute(0x0014, b"SIP Communications Service")
        nonce = attribute(0x0015, os.urandom(16).hex().encode())
        conn.sendall(turn(0x0113, transaction, [error, realm, nonce]))
        conn.recv(1)  # until the client closes
    print("answered one Allocate request")


def connect(address, port, source):
    conn = socket.create_connection((address, port), timeout=10, source_address=(source, 0))
    with conn:
        conn.sendall(client_hello())
        read_record(conn)
        conn.sendall(turn(0x0003, os.urandom(16), [attribute(0x0019, struct.pack("!I", 0x11000000))]))
        answer = read_frame(conn)
        print("Allocate answered with type 0x%04x" % struct.unpack("!H", answer[0:2])[0])


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        connect(sys.argv[2], int(sys.argv[3]), sys.argv[4])
