# shellcheck shell=bash
# Helpers for the daemon integration tests: scratch dirs, configs, daemons,
# bounded waits. Everything is torn down by the trap that sources this sets.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${FIPS_BIN_DIR:-$ROOT/build/release/apps}
FIPS=$BIN/fips
FIPSCTL=$BIN/fipsctl
WORK=$(mktemp -d /tmp/fips-it.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*" >&2; for f in "$WORK"/*/log; do [ -f "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }; done; exit 1; }
pass() { echo "ok - $*"; }

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# node NAME: key pair in $WORK/NAME
node() { mkdir -p "$WORK/$1"; "$FIPSCTL" keygen -d "$WORK/$1" >/dev/null 2>&1; }
npub() { cat "$WORK/$1/fips.pub"; }
ctl() { timeout 10 "$FIPSCTL" -s "$WORK/$1/control.sock" "${@:2}"; }
# mk_config NAME PORT [PEER PEERPORT]: $WORK/NAME/fips.yaml for a loopback
# daemon on UDP PORT (control socket in its dir, no DNS), optionally with one
# configured peer at 127.0.0.1:PEERPORT.
mk_config() {
  {
    echo "node: { identity: { persistent: true }, control: { socket_path: \"$WORK/$1/control.sock\" } }"
    echo "transports: { udp: { bind_addr: \"127.0.0.1:$2\" } }"
    echo "dns: { enabled: false }"
    if [ $# -gt 2 ]; then
      echo "peers:"
      echo "  - npub: \"$(npub "$3")\""
      echo "    addresses: [ { transport: udp, addr: \"127.0.0.1:$4\" } ]"
    fi
  } >"$WORK/$1/fips.yaml"
}
start() {  # start NAME: runs fips with $WORK/NAME/fips.yaml
  "$FIPS" -c "$WORK/$1/fips.yaml" >"$WORK/$1/log" 2>&1 &
  PIDS+=($!)
  echo $! >"$WORK/$1/pid"
}
pid_of() { cat "$WORK/$1/pid"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
peer_count() { ctl "$1" show status 2>/dev/null | json 'd["peer_count"]' 2>/dev/null || echo -1; }
wait_until() {  # wait_until SECONDS CMD...
  local deadline=$(( $(date +%s) + $1 )); shift
  while ! "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.1
  done
}
has_peers() { [ "$(peer_count "$1")" = "$2" ]; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
