"""One exchange of a line of text each way, the side named first speaking first.

    python3 speak-first.py udp FIRST FIRST_PORT SECOND SECOND_PORT TEXT ANSWER
    python3 speak-first.py tcp SERVER SERVER_PORT CLIENT CLIENT_PORT TEXT ANSWER

udp: a socket on FIRST:FIRST_PORT and one on SECOND:SECOND_PORT (both bound, so that no datagram is
refused with ICMP port unreachable); FIRST sends TEXT, SECOND answers ANSWER. tcp: a server on
SERVER:SERVER_PORT accepts one connection from CLIENT:CLIENT_PORT and speaks first (TEXT, a greeting),
the client answers ANSWER, and both close. Each line gets \\r\\n appended. No name is resolved.
"""
import socket
import sys

mode, first, first_port, second, second_port, text, answer = sys.argv[1:8]
text = text.encode() + b"\r\n"
answer = answer.encode() + b"\r\n"
if mode == "udp":
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    a.bind((first, int(first_port)))
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b.bind((second, int(second_port)))
    a.settimeout(3)
    b.settimeout(3)
    a.sendto(text, (second, int(second_port)))
    _, peer = b.recvfrom(2048)
    b.sendto(answer, peer)
    a.recvfrom(2048)
elif mode == "tcp":
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((first, int(first_port)))
    server.listen(1)
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    client.settimeout(3)
    client.bind((second, int(second_port)))
    client.connect((first, int(first_port)))
    conn, _ = server.accept()
    conn.settimeout(3)
    conn.sendall(text)
    got = b""
    while not got.endswith(b"\r\n"):
        got += client.recv(2048)
    client.sendall(answer)
    got = b""
    while not got.endswith(b"\r\n"):
        got += conn.recv(2048)
    client.close()
    conn.close()
    server.close()
else:
    sys.exit("mode: udp or tcp")
