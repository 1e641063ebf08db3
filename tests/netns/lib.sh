# shellcheck shell=bash
# Network-namespace helpers for end-to-end tests and the demo: hosts are
# namespaces joined by veth pairs, each running one fips daemon with a TUN
# device. Everything is created with a unique prefix and removed by the trap,
# whatever happens. Root only.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${FIPS_BIN_DIR:-$ROOT/build/release/apps}
FIPS=$BIN/fips
FIPSCTL=$BIN/fipsctl
NS_PREFIX=${NS_PREFIX:-fx$$}
WORK=$(mktemp -d /tmp/fips-ns.XXXXXX)
NS_LIST=()
PIDS=()

ns_cleanup() {
  local p n
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for n in "${NS_LIST[@]:-}"; do
    [ -n "$n" ] || continue
    ip netns pids "$n" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$n" 2>/dev/null || true
    rm -rf "/etc/netns/$n"
  done
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap ns_cleanup EXIT INT TERM

need_root() {
  if [ "$(id -u)" -ne 0 ]; then echo "SKIP: $1 needs root (network namespaces, TUN)"; exit 0; fi
  [ -c /dev/net/tun ] || { echo "SKIP: /dev/net/tun missing"; exit 0; }
  command -v ip >/dev/null || { echo "SKIP: iproute2 missing"; exit 0; }
}

fail() {
  echo "FAIL: $*" >&2
  local f
  for f in "$WORK"/*/log; do [ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }; done
  exit 1
}
pass() { echo "ok - $*"; }

ns() { echo "${NS_PREFIX}-$1"; }
nsx() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }

# mkhost NAME: a namespace with loopback up and a key pair in $WORK/NAME.
mkhost() {
  local n; n=$(ns "$1")
  ip netns add "$n"
  NS_LIST+=("$n")
  ip -n "$n" link set lo up
  mkdir -p "$WORK/$1" "/etc/netns/$n"
  # Names resolve through the node's DNS responder on [::1]:53 in this namespace.
  echo "nameserver ::1" >"/etc/netns/$n/resolv.conf"
  "$FIPSCTL" keygen -d "$WORK/$1" >/dev/null 2>&1
}
npub() { cat "$WORK/$1/fips.pub"; }

# link A B SUBNET_INDEX: veth pair A<->B with 10.77.X.1 (A) and 10.77.X.2 (B).
link() {
  local a=$1 b=$2 x=$3
  local va="v${x}a${NS_PREFIX: -4}" vb="v${x}b${NS_PREFIX: -4}"
  ip link add "$va" netns "$(ns "$a")" type veth peer name "$vb" netns "$(ns "$b")"
  ip -n "$(ns "$a")" addr add "10.77.$x.1/24" dev "$va"
  ip -n "$(ns "$b")" addr add "10.77.$x.2/24" dev "$vb"
  ip -n "$(ns "$a")" link set "$va" up
  ip -n "$(ns "$b")" link set "$vb" up
}

# config NAME PEERSPEC...: fips.yaml with TUN + DNS (on DNS_PORT, default 53);
# PEERSPEC = peername:ip
config() {
  local n=$1; shift
  {
    echo "node:"
    echo "  identity: { persistent: true }"
    echo "  control: { socket_path: \"$WORK/$n/control.sock\" }"
    echo "tun: { enabled: true, name: fips0, mtu: ${TUN_MTU:-1280} }"
    echo "dns: { enabled: true, bind_addr: \"::1\", port: ${DNS_PORT:-53} }"
    echo "transports:"
    echo "  udp: { bind_addr: \"0.0.0.0:2121\" }"
    if [ $# -gt 0 ]; then
      echo "peers:"
      local spec
      for spec in "$@"; do
        echo "  - npub: \"$(npub "${spec%%:*}")\""
        echo "    alias: ${spec%%:*}"
        echo "    addresses: [ { transport: udp, addr: \"${spec#*:}:2121\" } ]"
      done
    fi
  } >"$WORK/$n/fips.yaml"
}

start() {
  ip netns exec "$(ns "$1")" "$FIPS" -c "$WORK/$1/fips.yaml" >"$WORK/$1/log" 2>&1 &
  PIDS+=($!)
  echo $! >"$WORK/$1/pid"
}
pid_of() { cat "$WORK/$1/pid"; }
ctl() { timeout 10 "$FIPSCTL" -s "$WORK/$1/control.sock" "${@:2}"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
fips_addr() { ctl "$1" show status | json 'd["ipv6_addr"]'; }
wait_until() {
  local deadline=$(( $(date +%s) + $1 )); shift
  while ! "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}
peer_count() { ctl "$1" show status 2>/dev/null | json 'd["peer_count"]' 2>/dev/null || echo -1; }
has_peers() { [ "$(peer_count "$1")" = "$2" ]; }
tun_up() { [ "$(ctl "$1" show status | json 'd["tun_state"]')" = active ]; }

# tcp_sha_sink NAME ADDR PORT OUT: in NAME's namespace, accept one TCP
# connection on [ADDR]:PORT and write "<bytes> <sha256>" of what arrived to
# OUT. Runs in the background; $! is its pid.
tcp_sha_sink() {
  nsx "$1" python3 - "$2" "$3" "$4" <<'PY' &
import hashlib, socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); s.settimeout(120)
c, _ = s.accept(); c.settimeout(120)
h = hashlib.sha256(); n = 0
while True:
    b = c.recv(1 << 16)
    if not b: break
    h.update(b); n += len(b)
open(sys.argv[3], "w").write(f"{n} {h.hexdigest()}\n")
PY
}
