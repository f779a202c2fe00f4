#!/usr/bin/env bash
# Installs the external programs that the test captures and their recording script need
# (captures/record-sample.sh, captures/topology/record-dns.sh, ...): tshark, tcpdump, tcpreplay, sipp,
# coturn, openssl, socat, iproute2, GStreamer, GNU time, libpcap, dnsmasq and dig.
#
# Idempotent: when every package is installed and every program is on PATH it prints nothing
# and exits 0. Otherwise it runs `apt-get update` once and installs what is missing.
# Debian/Ubuntu only; needs root (or sudo).
set -euo pipefail

# package:probe — the probe is a command on PATH, an absolute path, or "gst:ELEMENT" for a
# GStreamer element; "-" means the package has no program to look for (the dpkg status is
# checked for every package anyway).
readonly REQUIREMENTS=(
  tshark:tshark
  tcpdump:tcpdump
  tcpreplay:tcpreplay
  sip-tester:sipp
  coturn:turnserver
  coturn:turnutils_stunclient
  openssl:openssl
  socat:socat
  iproute2:ss
  iproute2:ip
  gstreamer1.0-tools:gst-launch-1.0
  gstreamer1.0-tools:gst-inspect-1.0
  gstreamer1.0-plugins-base:gst:audiotestsrc
  gstreamer1.0-plugins-good:gst:rtppcmupay
  gstreamer1.0-plugins-good:gst:udpsink
  # captures/inspect/record-lookalikes.sh: DTLS-SRTP (GStreamer through its Python bindings), QUIC (ngtcp2)
  gstreamer1.0-plugins-bad:gst:dtlssrtpenc
  python3-gi:-
  gir1.2-gstreamer-1.0:-
  ngtcp2-client:gtlsclient
  ngtcp2-server:/usr/sbin/gtlsserver
  # ... and WireGuard, NTP and SNMP on the STUN and media ports
  wireguard-tools:wg
  wireguard-go:wireguard-go
  chrony:chronyd
  snmpd:snmpd
  snmp:snmpget
  time:/usr/bin/time
  libpcap0.8:-
  # captures/inspect/record-inspect.sh: HTTP, SSH, RDP/SMB/DCE-RPC/TDS/SSRP clients and servers
  curl:curl
  openssh-client:ssh
  dropbear-bin:dropbear
  python3-impacket:/usr/share/doc/python3-impacket/examples/rdp_check.py
  # captures/inspect/record-dcerpc-dynamic.sh: Samba's endpoint mapper and RPC servers (samba-dcerpcd)
  samba:/usr/libexec/samba/samba-dcerpcd
  dnsmasq-base:dnsmasq
  dnsutils:dig
  # captures/foreign/make-foreign.sh: the compressors whose output the tests read
  bzip2:bzip2
  xz-utils:xz
  zstd:zstd
  lz4:lz4
  zip:zip
  # report tests: the HTML report opened in headless Chromium (and printed to PDF, read back by pdftotext); a pseudo-terminal for the progress bar
  chromium:chromium
  poppler-utils:pdftotext
  bsdutils:script
  util-linux:unshare
  util-linux:setpriv
  # capture/decode/flow tests (tshark oracle, tcpdump corpus vs capinfos, merged and split captures)
  # and captures/decode/record-decode.sh
  wireshark-common:capinfos
  wireshark-common:editcap
  wireshark-common:mergecap
  wireshark-common:dumpcap
  tcpreplay:tcprewrite
  gzip:gzip
  python3:/usr/bin/python3
  # hostile/DiskReadErrorTest: a capture on a loop device whose backing file is cut short under it (EIO)
  e2fsprogs:mkfs.ext4
  e2fsprogs:filefrag
  mount:losetup
  # captures/icmp/record-icmp.sh: a REJECT rule that answers with ICMP "administratively prohibited"
  iptables:iptables
  # live tests (src/test/java/org/portmatrix/live): namespaces and veth pairs (iproute2, above),
  # tcpreplay onto them, SIGINT with kill, capture capabilities dropped with setpriv
  procps:kill
  util-linux:setpriv
)

package_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" == ii* ]]
}

probe_present() {
  local probe=$1
  case "$probe" in
    -) return 0 ;;
    /*) [[ -x "$probe" ]] ;;
    gst:*) command -v gst-inspect-1.0 >/dev/null 2>&1 &&
      gst-inspect-1.0 --exists "${probe#gst:}" >/dev/null 2>&1 ;;
    *) command -v "$probe" >/dev/null 2>&1 ;;
  esac
}

missing=()
for requirement in "${REQUIREMENTS[@]}"; do
  package=${requirement%%:*}
  probe=${requirement#*:}
  if ! package_installed "$package" || ! probe_present "$probe"; then
    [[ " ${missing[*]-} " == *" $package "* ]] || missing+=("$package")
  fi
done

((${#missing[@]} == 0)) && exit 0

if ((EUID == 0)); then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-test-deps: missing ${missing[*]}; run this script as root" >&2
  exit 1
fi

# Another apt-get/dpkg run (for example a provisioning job) may hold the dpkg locks: wait for
# it instead of failing on the lock. Bounded: apt's own lock timeout takes over after that.
wait_for_package_manager() {
  local waited=0
  command -v pgrep >/dev/null 2>&1 || return 0
  while pgrep -x 'apt-get|apt|dpkg|unattended-upgr' >/dev/null 2>&1; do
    if ((waited == 0)); then
      echo "install-test-deps: waiting for a running apt-get/dpkg to finish" >&2
    fi
    if ((waited >= 900)); then
      break
    fi
    sleep 3
    waited=$((waited + 3))
  done
}

echo "install-test-deps: installing ${missing[*]}" >&2
wait_for_package_manager

# tshark asks whether non-root users may capture; answer "no" up front.
echo 'wireshark-common wireshark-common/install-setuid boolean false' |
  "${as_root[@]}" debconf-set-selections

# Several packages are daemons (coturn, snmpd, chrony, dnsmasq, samba) that the tests and the recording scripts start
# themselves, in network namespaces of their own. Installed on a machine with an init system they would start there,
# on every interface: chronyd asking the NTP pool, nmbd broadcasting NetBIOS names on the LAN. Debian's policy-rc.d
# (exit status 101: "action forbidden") keeps the installation from starting them; one already there is left as is.
policy=/usr/sbin/policy-rc.d
made_policy=""
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\n# install-test-deps.sh: no service starts while the test packages are installed\nexit 101\n' |
    "${as_root[@]}" tee "$policy" >/dev/null
  "${as_root[@]}" chmod 755 "$policy"
  made_policy=1
  trap '"${as_root[@]}" rm -f "$policy"' EXIT
fi

apt_options=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
"${as_root[@]}" apt-get "${apt_options[@]}" update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get "${apt_options[@]}" install -y --no-install-recommends "${missing[@]}"
if [[ -n "$made_policy" ]]; then
  "${as_root[@]}" rm -f "$policy"
  trap - EXIT
fi

still_missing=()
for requirement in "${REQUIREMENTS[@]}"; do
  package=${requirement%%:*}
  probe=${requirement#*:}
  if ! package_installed "$package" || ! probe_present "$probe"; then
    still_missing+=("$package(${probe})")
  fi
done
if ((${#still_missing[@]} > 0)); then
  echo "install-test-deps: still missing after install: ${still_missing[*]}" >&2
  exit 1
fi
