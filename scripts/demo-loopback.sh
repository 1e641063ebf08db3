#!/usr/bin/env bash
# make demo without root: three fips daemons on loopback in a line A - B - C
# (A-B over UDP, B-C over TCP), no TUN. Waits for them to link up, shows what
# the operator sees through fipsctl, pings C from A over an end-to-end FSP
# session (fipsctl ping: the echo service), then stops them with SIGTERM
# (each sends Disconnect(Shutdown) to its peers). Everything runs in a scratch directory
# that is removed on exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${FIPS_BIN_DIR:-$root/build/release/apps}
FIPS=$bin/fips
FIPSCTL=$bin/fipsctl
[ -x "$FIPS" ] && [ -x "$FIPSCTL" ] || { echo "demo: build first (make)" >&2; exit 1; }

work=$(mktemp -d /tmp/fips-demo.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Ports: pick a free base so the demo never collides with a running daemon.
base=$(( 30000 + RANDOM % 20000 ))
udp_a=$base; udp_b=$((base+1)); tcp_b=$((base+2)); udp_c=$((base+3)); tcp_c=$((base+4))

for n in a b c; do
  mkdir -p "$work/$n"
  "$FIPSCTL" keygen -d "$work/$n" >/dev/null 2>&1
done
npub() { cat "$work/$1/fips.pub"; }

cat >"$work/a/fips.yaml" <<YAML
node:
  identity: { persistent: true }
  control: { socket_path: "$work/a/control.sock" }
transports:
  udp: { bind_addr: "127.0.0.1:$udp_a" }
dns: { enabled: false }
peers:
  - npub: "$(npub b)"
    alias: node-b
    addresses: [ { transport: udp, addr: "127.0.0.1:$udp_b" } ]
YAML
cat >"$work/b/fips.yaml" <<YAML
node:
  identity: { persistent: true }
  control: { socket_path: "$work/b/control.sock" }
transports:
  udp: { bind_addr: "127.0.0.1:$udp_b" }
  tcp: { bind_addr: "127.0.0.1:$tcp_b" }
dns: { enabled: false }
YAML
cat >"$work/c/fips.yaml" <<YAML
node:
  identity: { persistent: true }
  control: { socket_path: "$work/c/control.sock" }
transports:
  udp: { bind_addr: "127.0.0.1:$udp_c" }
  tcp: { bind_addr: "127.0.0.1:$tcp_c" }
dns: { enabled: false }
peers:
  - npub: "$(npub b)"
    alias: node-b
    addresses: [ { transport: tcp, addr: "127.0.0.1:$tcp_b" } ]
YAML

echo "== three nodes on loopback: A --udp-- B --tcp-- C"
for n in a b c; do echo "   node $n: $(npub $n)"; done
for n in b a c; do
  "$FIPS" -c "$work/$n/fips.yaml" >"$work/$n/log" 2>&1 &
  pids+=($!)
done

ctl() { "$FIPSCTL" -s "$work/$1/control.sock" "${@:2}"; }
peers_of() { ctl "$1" show status 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["peer_count"])' 2>/dev/null || echo 0; }
for i in $(seq 1 100); do
  [ "$(peers_of b)" = 2 ] && [ "$(peers_of a)" = 1 ] && [ "$(peers_of c)" = 1 ] && break
  sleep 0.1
done
[ "$(peers_of b)" = 2 ] || { echo "demo: nodes did not link up; logs:"; tail -n 20 "$work"/*/log; exit 1; }

echo
echo "== fipsctl show peers (on B: one UDP peer, one TCP peer)"
ctl b show peers
echo
echo "== fipsctl show transports (on B)"
ctl b show transports
echo
echo "== fipsctl ping C from A (two hops, through B, over an FSP session)"
for i in $(seq 1 20); do ctl a ping -c 3 -i 0.3 "$(npub c)" && break; sleep 0.5; done
echo
echo "== fipsctl show sessions (on A)"
ctl a show sessions
echo
echo "== stopping: SIGTERM makes every node send Disconnect(Shutdown) to its peers"
kill -TERM "${pids[1]}"   # A
sleep 0.5
grep -h "disconnected\|down" "$work/b/log" | tail -n 2 || true
kill -TERM "${pids[0]}" "${pids[2]}" 2>/dev/null || true
wait 2>/dev/null || true
pids=()
echo "demo: done"
