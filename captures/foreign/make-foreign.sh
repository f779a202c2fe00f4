#!/usr/bin/env bash
# Makes the files of captures/foreign/: the first packets of captures/sample.pcap in the formats and
# compressions portmatrix does not read, as real programs write them (editcap, bzip2, xz, zstd, lz4,
# zip), so that the tests can check that each is named with how to read it anyway (CapturesTest).
# Needs editcap (tshark), bzip2, xz-utils, zstd, lz4 and zip: scripts/install-test-deps.sh installs them.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
editcap -r "$here/../sample.pcap" "$work/first.pcap" 1-4
editcap -F netmon1 "$work/first.pcap" "$here/sample-netmon1.cap"
editcap -F netmon2 "$work/first.pcap" "$here/sample-netmon2.cap"
editcap -F snoop "$work/first.pcap" "$here/sample.snoop"
bzip2 -c "$work/first.pcap" >"$here/sample.pcap.bz2"
xz -c "$work/first.pcap" >"$here/sample.pcap.xz"
zstd -q -c "$work/first.pcap" >"$here/sample.pcap.zst"
lz4 -q -c "$work/first.pcap" >"$here/sample.pcap.lz4"
rm -f "$here/sample.zip"
(cd "$work" && zip -q -X "$here/sample.zip" first.pcap)
