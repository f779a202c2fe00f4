"""One HTTP GET on loopback and its answer: a body of BODY bytes after the status line and headers.

    python3 http-download.py SERVER SERVER_PORT CLIENT CLIENT_PORT BODY

A server on SERVER:SERVER_PORT accepts one connection from CLIENT:CLIENT_PORT, reads the request and answers
"HTTP/1.1 200 OK" with BODY bytes of text in one write; the client reads it all and both close. No name is
resolved (the server is a socket, not http.server).
"""
import socket
import sys

server_addr, server_port, client_addr, client_port, body = sys.argv[1:6]
body = (b"portmatrix " * (int(body) // 11 + 1))[: int(body)]
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((server_addr, int(server_port)))
server.listen(1)
client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
client.settimeout(5)
client.bind((client_addr, int(client_port)))
client.connect((server_addr, int(server_port)))
conn, _ = server.accept()
conn.settimeout(5)
client.sendall(b"GET /download.bin HTTP/1.1\r\nHost: " + server_addr.encode() + b"\r\n\r\n")
got = b""
while not got.endswith(b"\r\n\r\n"):
    got += conn.recv(4096)
head = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n" % len(body)
conn.sendall(head + body)
want = len(head) + len(body)
n = 0
while n < want:
    chunk = client.recv(65536)
    if not chunk:
        break
    n += len(chunk)
client.close()
conn.close()
server.close()
