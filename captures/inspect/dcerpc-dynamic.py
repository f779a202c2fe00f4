"""The DCE/RPC clients of record-dcerpc-dynamic.sh, on Impacket.

    python3 bind-source.py SOURCE dcerpc-dynamic.py map-and-call SERVER
    python3 bind-source.py SOURCE dcerpc-dynamic.py bind SERVER PORT

map-and-call asks SERVER's endpoint mapper on TCP 135 (ept_map, [C706] and [MS-RPCE] 2.2.1.2.5)
where SAMR ([MS-SAMR]) listens over ncacn_ip_tcp, prints the answer ("mapped SAMR to
ncacn_ip_tcp:SERVER[PORT]"), then connects to that port, binds to SAMR and makes one call,
SamrConnect, with no authentication; Samba's answer (a handle or a fault) is printed, either will do.
bind connects to SERVER:PORT straight away and binds to SAMR, with no call after it.

Neither chooses a source address: bind-source.py binds every socket to SOURCE. Addresses are numeric;
nothing resolves a name.
"""
import re
import sys

from impacket.dcerpc.v5 import epm, samr, transport
from impacket.dcerpc.v5.rpcrt import DCERPCException


def connect(server, port):
    rpc = transport.DCERPCTransportFactory(f"ncacn_ip_tcp:{server}[{port}]")
    rpc.set_connect_timeout(5)
    dce = rpc.get_dce_rpc()
    dce.connect()
    dce.bind(samr.MSRPC_UUID_SAMR)
    print(f"bound to SAMR on {server}:{port}", flush=True)
    return dce


def map_and_call(server):
    binding = epm.hept_map(server, samr.MSRPC_UUID_SAMR, protocol="ncacn_ip_tcp")
    print(f"mapped SAMR to {binding}", flush=True)
    found = re.fullmatch(r"ncacn_ip_tcp:([0-9.]+)\[([0-9]+)\]", binding)
    if found is None:
        sys.exit(f"the endpoint mapper answered {binding!r}")
    port = int(found.group(2))
    dce = connect(server, port)
    try:
        samr.hSamrConnect(dce, serverName=server + "\x00")
        print("SamrConnect answered with a handle", flush=True)
    except DCERPCException as fault:
        print(f"SamrConnect answered with a fault: {fault}", flush=True)
    dce.disconnect()


def bind(server, port):
    connect(server, int(port)).disconnect()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "map-and-call":
        map_and_call(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "bind":
        bind(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
