#!/usr/bin/env bash
# make demo: the main job. As root (network namespaces and TUN available) it
# runs the namespace demo: three nodes A - B - C, unmodified programs on A
# (ping6, curl) reach C by its <npub>.fips name. Otherwise it says why and
# runs the loopback variant (no TUN; fipsctl ping instead).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -eq 0 ] && [ -c /dev/net/tun ] && command -v ip >/dev/null; then
  exec bash "$here/demo-netns.sh"
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "demo: not root, so no network namespaces or TUN devices; running the loopback variant"
else
  echo "demo: /dev/net/tun or iproute2 missing; running the loopback variant"
fi
exec bash "$here/demo-loopback.sh"
