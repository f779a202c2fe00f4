#!/usr/bin/env bash
# The whole test suite: installs the real peers the tests start (tshark, tcpreplay, openssl, sipp,
# coturn, ...) when missing, then builds and runs every test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-test-deps.sh
mvn -B verify
