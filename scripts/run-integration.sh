#!/usr/bin/env bash
# Runs every tests/integration/*.sh (loopback daemons; no root needed) with a
# time bound each. Namespace tests (tests/netns/*.sh) run only as root.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
failed=0
for t in "$root"/tests/integration/*.sh; do
  [ "$(basename "$t")" = lib.sh ] && continue
  echo "== $(basename "$t")"
  if ! timeout 180 bash "$t"; then echo "FAILED: $(basename "$t")"; failed=1; fi
done
if [ -d "$root/tests/netns" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "== netns tests skipped: they need root (network namespaces, TUN devices)"
  else
    for t in "$root"/tests/netns/*.sh; do
      [ -e "$t" ] || continue
      [ "$(basename "$t")" = lib.sh ] && continue
      echo "== $(basename "$t")"
      if ! timeout 600 bash "$t"; then echo "FAILED: $(basename "$t")"; failed=1; fi
    done
  fi
fi
exit $failed
