#!/usr/bin/env bash
# Runs every tests/integration/*.sh (loopback daemons; no root needed) with a
# time bound each. Namespace tests (tests/netns/*.sh) run only as root.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
failed=0
# run_one SECONDS TEST: runs TEST with a time bound. A failing test's logs can
# be long, so its FAIL: lines (stderr) are repeated on the FAILED line, where
# a reader of a truncated CI log still finds them.
run_one() {
  local err rc
  err=$(mktemp)
  timeout "$1" bash "$2" 2> >(tee "$err" >&2)
  rc=$?
  sleep 0.2  # let tee drain
  if [ "$rc" -ne 0 ]; then
    echo "FAILED: $(basename "$2") (exit $rc) $(grep -m3 '^FAIL' "$err" | tr '\n' ' ')"
  fi
  rm -f "$err"
  return "$rc"
}
for t in "$root"/tests/integration/*.sh; do
  [ "$(basename "$t")" = lib.sh ] && continue
  echo "== $(basename "$t")"
  run_one 180 "$t" || failed=1
done
if [ -d "$root/tests/netns" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "== netns tests skipped: they need root (network namespaces, TUN devices)"
  else
    for t in "$root"/tests/netns/*.sh; do
      [ -e "$t" ] || continue
      [ "$(basename "$t")" = lib.sh ] && continue
      echo "== $(basename "$t")"
      run_one 600 "$t" || failed=1
    done
  fi
fi
exit $failed
