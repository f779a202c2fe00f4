#!/usr/bin/python3
"""DTLS-SRTP (RFC 5764) between two GStreamer pipelines on numeric loopback addresses.

    dtls-srtp.py CLIENT_ADDRESS CLIENT_PORT SERVER_ADDRESS SERVER_PORT [SECONDS]

Each end sends PCMU audio through dtlssrtpenc and reads the other's through dtlssrtpdec; both
elements of an end share one UDP socket (udpsink sends from the socket udpsrc bound), so the DTLS
handshake and the SRTP that follows it are one 5-tuple, as a DTLS-SRTP media session is. The
client (is-client) starts the handshake. Exits 0 once each end has decoded SRTP from the other.
"""
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def end(name, address, port, peer, peer_port, client):
    p = Gst.parse_launch(
        f"udpsrc name=src address={address} port={port} ! dtlssrtpdec name=dec connection-id={name} "
        f"dtlssrtpenc name=enc connection-id={name} is-client={'true' if client else 'false'} ! "
        f"udpsink name=sink host={peer} port={peer_port} sync=false async=false "
        # (the payloader linked to a named request pad: linked by caps alone, Python's parse_launch crashed)
        f"audiotestsrc is-live=true samplesperbuffer=160 ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! "
        f"rtppcmupay pt=0 ! enc.rtp_sink_0"
    )
    dec = p.get_by_name("dec")
    got = {"rtp": 0}

    def probe(_pad, _info):
        got["rtp"] += 1
        return Gst.PadProbeReturn.OK

    # (rtp_src and rtcp_src are always pads: each linked to a fakesink here, the decrypted RTP counted)
    for pad in ("rtp_src", "rtcp_src"):
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        sink.set_property("async", False)
        p.add(sink)
        dec.get_static_pad(pad).link(sink.get_static_pad("sink"))
        if pad == "rtp_src":
            dec.get_static_pad(pad).add_probe(Gst.PadProbeType.BUFFER, probe)
    src = p.get_by_name("src")
    src.set_state(Gst.State.READY)  # binds udpsrc's socket, which udpsink then sends from
    p.get_by_name("sink").set_property("socket", src.get_property("used-socket"))
    return p, got


def main():
    client, client_port, server, server_port = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0
    Gst.init(None)
    s, got_s = end("server", server, server_port, client, client_port, False)
    c, got_c = end("client", client, client_port, server, server_port, True)
    loop = GLib.MainLoop()
    s.set_state(Gst.State.PLAYING)
    c.set_state(Gst.State.PLAYING)
    GLib.timeout_add(int(seconds * 1000), loop.quit)
    GLib.timeout_add(8000, loop.quit)
    loop.run()
    c.set_state(Gst.State.NULL)
    s.set_state(Gst.State.NULL)
    print(f"client decoded {got_c['rtp']} SRTP packets, server decoded {got_s['rtp']}")
    sys.exit(0 if got_c["rtp"] > 0 and got_s["rtp"] > 0 else 1)


main()
