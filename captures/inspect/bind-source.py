"""Runs a Python client program with its sockets bound to one source address.

    python3 bind-source.py SOURCE_ADDRESS PROGRAM.py [ARGS...]

Impacket's example clients (rdp_check.py, smbclient.py, mssqlclient.py, rpcdump.py) connect without
choosing a source address, so on loopback they would all send from 127.0.0.1. This wrapper binds
every socket the program opens to SOURCE_ADDRESS (port 0: the kernel picks the port) before it
connects or sends, then runs the program unchanged, so that its packets carry the address of the
role it stands for in the capture.
"""
import runpy
import socket
import sys

SOURCE = sys.argv[1]
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_sendto = socket.socket.sendto


def _bind_first(sock):
    try:
        if sock.getsockname()[1] == 0:
            sock.bind((SOURCE, 0))
    except OSError:
        pass


def connect(self, address):
    _bind_first(self)
    return _connect(self, address)


def connect_ex(self, address):
    _bind_first(self)
    return _connect_ex(self, address)


def sendto(self, *args):
    _bind_first(self)
    return _sendto(self, *args)


socket.socket.connect = connect
socket.socket.connect_ex = connect_ex
socket.socket.sendto = sendto
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
