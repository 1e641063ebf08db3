#!/usr/bin/env bash
# One node, many links (issue 14, "Scale of one node"): a daemon T on
# loopback and N real peers from tests/tools/fips_swarm.cc (each its own
# identity, UDP socket and Noise IK handshake, then a Heartbeat every 10 s).
# Prints: how long the N handshakes took (handshakes/s on T), T's RSS before
# and with N links (memory per link), and T's CPU over an idle window with N
# links (heartbeats, MMP reports and announces; per 1,000 peers).
#
#   bash bench/scale_links.sh [N ...]      default: 1000
#   IDLE_SECONDS (default 30)
# T runs the defaults except node.limits.max_peers = N + 16, the stranger
# handshake bucket opened (node.rate_limit.handshake_burst/rate), no TUN, no
# DNS. Needs the release build (make) and the fips-swarm tool
# (build/release/tests/fips-swarm). Not in make test: a figure, not a check.
source "$(dirname "$0")/../tests/integration/lib.sh"
SWARM=${FIPS_TOOLS_DIR:-$ROOT/build/release/tests}/fips-swarm
[ -x "$SWARM" ] || fail "missing $SWARM (build the tests)"
IDLE=${IDLE_SECONDS:-30}
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ulimit -n "$(ulimit -Hn)"

run() {
  local n=$1 ut tpid rss0 rss1 c0 c1 pc t0 spid
  node t; ut=$(free_port)
  cat >"$WORK/t/fips.yaml" <<YAML
node:
  identity: { persistent: true }
  control: { socket_path: "$WORK/t/control.sock" }
  limits: { max_peers: $((n + 16)), max_links: $((n + 16)), max_connections: $((n + 16)) }
  rate_limit: { handshake_burst: 100000, handshake_rate: 100000 }
tun: { enabled: false }
dns: { enabled: false }
transports: { udp: { bind_addr: "127.0.0.1:$ut", recv_buf_size: 8388608 } }
YAML
  start t
  wait_until 10 ctl t show status >/dev/null || fail "T did not start"
  tpid=$(pid_of t)
  sleep 2
  rss0=$(rss_kb "$tpid")
  "$SWARM" --to "127.0.0.1:$ut" --npub "$(npub t)" --peers "$n" --ramp 300 --hold $((IDLE + 40)) \
    >"$WORK/swarm.log" 2>&1 &
  spid=$!; PIDS+=("$spid")
  wait_until 320 grep -q "peers linked" "$WORK/swarm.log" || fail "swarm ramp did not finish: $(cat "$WORK/swarm.log")"
  sleep 20  # let the first announces and MMP reports settle
  pc=$(peer_count t)
  rss1=$(rss_kb "$tpid")
  c0=$(cpu_ticks "$tpid"); t0=$(date +%s%N)
  sleep "$IDLE"
  c1=$(cpu_ticks "$tpid")
  local wall_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  local cpu_ms=$(( (c1 - c0) * 1000 / hz ))
  local pc2; pc2=$(peer_count t)
  kill -TERM "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true
  echo "N=$n: $(grep 'peers linked' "$WORK/swarm.log")"
  echo "N=$n: T peer_count $pc after the ramp, $pc2 after the idle window"
  echo "N=$n: T RSS ${rss0} kB with no peer, ${rss1} kB with $pc: $(( (rss1 - rss0) * 1024 / (pc > 0 ? pc : 1) )) bytes per link"
  python3 -c "import sys; c,w,p=map(float,sys.argv[1:]); print(f'N={int(p)}: T CPU {c:.0f} ms over {w/1000:.1f} s idle = {100*c/w:.2f} % of one core, {100*c/w*1000/max(p,1):.3f} % per 1,000 peers')" \
    "$cpu_ms" "$wall_ms" "$pc"
  echo "N=$n: $(tail -n 1 "$WORK/swarm.log")"
  kill -TERM "$tpid"; wait_until 10 bash -c "! kill -0 $tpid" || true
}

for n in "${@:-1000}"; do run "$n"; done
