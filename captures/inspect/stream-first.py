"""A TCP server that streams as soon as it accepts, and a TLS client that sends only its ClientHello.

    python3 stream-first.py server ADDRESS PORT BYTES
    python3 stream-first.py client SERVER PORT SOURCE

server: listens on ADDRESS:PORT, accepts one connection, a quarter of a second later writes BYTES bytes of cleartext
lines ("event NNNNNN ...") without reading first (a program that is not the TLS server the port documents), then reads
until it has a TLS record's header and 100 bytes more of what the client sent, prints "request" and closes. client:
connects from SOURCE to SERVER:PORT, sends a ClientHello (Python's ssl, through a memory BIO: the handshake goes no
further), prints "sent", reads until the server closes, printing "received N" at each 10,000 bytes, and closes. No name
is resolved (addresses only; the ClientHello names no server).
"""
import socket
import ssl
import sys
import time

mode = sys.argv[1]
if mode == "server":
    address, port, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((address, port))
    server.listen(1)
    conn, _ = server.accept()
    time.sleep(0.25)  # (the client's segments are in by then: the lost one's follower comes before the stream)
    line = 0
    out = bytearray()
    while len(out) < count:
        out += b"event %06d state=active queue=0 detail=%s\r\n" % (line, b"x" * 40)
        line += 1
    conn.sendall(bytes(out[:count]))
    got = b""
    while len(got) < 105:
        chunk = conn.recv(4096)
        if not chunk:
            break
        got += chunk
    print("request" if got[:1] == b"\x16" else "no request", flush=True)
    conn.close()
    server.close()
elif mode == "client":
    server, port, source = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    incoming, out_bio = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, out_bio, server_side=False)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out_bio.read()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))
    sock.connect((server, port))
    sock.sendall(hello)
    print("sent %d" % len(hello), flush=True)
    total = 0
    mark = 10000
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        total += len(chunk)
        while total >= mark:
            print("received %d" % mark, flush=True)
            mark += 10000
    sock.close()
else:
    sys.exit("mode: server or client")
