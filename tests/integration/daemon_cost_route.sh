#!/usr/bin/env bash
# Link cost in parent selection and routing between daemons
# (docs/spec/stp-bloom.md §4.4, docs/spec/lookup-routing.md §5.2).
# Diamond: D has the smallest node_addr (the root); M1 and M2 link to D; S
# links to M1 and M2 and not to D. Every link runs through
# tools/udp_delay_relay.py (2 ms each way, so every link has an SRTT: a 0 ms
# loopback RTT is discarded and an unmeasured peer is no parent candidate):
#   phase 1: S-M1 60 ms each way, S-M2 2 ms -> S's parent is M2 and S
#            sends its pings to D through M2;
#   phase 2: the relays swap delays at run time -> S's parent becomes M1
#            and the pings go through M1.
# Tree timers shortened (hold-down and re-evaluation 2 s) so a switch needs
# seconds, not a minute. About 40 s.
source "$(dirname "$0")/lib.sh"

# Four keys, roles by node_addr: the smallest is D.
for k in k1 k2 k3 k4; do node "$k"; done
addr_of() { "$FIPSCTL" identity "$(npub "$1")" | awk '/node_addr/ {print $2}'; }
mapfile -t order < <(for k in k1 k2 k3 k4; do echo "$(addr_of "$k") $k"; done | sort | awk '{print $2}')
D=${order[0]}; M1=${order[1]}; M2=${order[2]}; S=${order[3]}
for k in k1 k2 k3 k4; do echo "udp_$k=$(free_port)"; done >"$WORK/ports"
source "$WORK/ports"
port() { local v="udp_$1"; echo "${!v}"; }

# relay NAME TARGET_KEY DELAY_MS -> starts a relay, sets rport_NAME / cport_NAME
relay() {
  local rp cp; rp=$(free_port); cp=$(free_port)
  python3 "$(dirname "$0")/tools/udp_delay_relay.py" "$rp" "$(port "$2")" "$3" --control "$cp" &
  PIDS+=($!)
  printf -v "rport_$1" %s "$rp"; printf -v "cport_$1" %s "$cp"
}
relay sm1 "$M1" 60; relay sm2 "$M2" 2; relay m1d "$D" 2; relay m2d "$D" 2

# cfg KEY [PEER_KEY RELAY_PORT]...
cfg() {
  local k=$1; shift
  {
    echo "node: { identity: { persistent: true }, control: { socket_path: \"$WORK/$k/control.sock\" },"
    echo "        tree: { hold_down_secs: 2, reeval_interval_secs: 2 } }"
    echo "transports: { udp: { bind_addr: \"127.0.0.1:$(port "$k")\" } }"
    echo "dns: { enabled: false }"
    if [ $# -gt 0 ]; then echo "peers:"; fi
    while [ $# -gt 0 ]; do
      echo "  - npub: \"$(npub "$1")\""
      echo "    addresses: [ { transport: udp, addr: \"127.0.0.1:$2\" } ]"
      shift 2
    done
  } >"$WORK/$k/fips.yaml"
}
cfg "$D"
cfg "$M1" "$D" "$rport_m1d"
cfg "$M2" "$D" "$rport_m2d"
cfg "$S" "$M1" "$rport_sm1" "$M2" "$rport_sm2"
for k in "$D" "$M1" "$M2" "$S"; do start "$k"; done

wait_until 30 has_peers "$S" 2 || fail "S did not link to M1 and M2"
wait_until 30 has_peers "$D" 2 || fail "D did not link to M1 and M2"
addr_d=$(addr_of "$D")
parent_is() { [ "$(ctl "$S" show tree | json 'd["parent"]')" = "$1" ]; }
# sent_to KEY: frames S has sent to that peer (show peers stats).
sent_to() {
  ctl "$S" show peers | json '[p["stats"]["packets_sent"] for p in d["peers"] if p["npub"] == "'"$(npub "$1")"'"][0]'
}
# pings_via VIA OTHER: 30 pings S -> D; S hands the echo requests to VIA
# (at least 30 frames; OTHER gets only its background of heartbeats, MMP
# reports and announces, well under 30).
# The replies are not checked: D routes them by S's coordinates in its
# cache, which may still name S's old parent for a while.
pings_via() {
  local v0 o0 v1 o1
  v0=$(sent_to "$1"); o0=$(sent_to "$2")
  ctl "$S" ping -c 30 -i 0.02 "$(npub "$D")" >"$WORK/ping.out" 2>&1 || true
  v1=$(sent_to "$1"); o1=$(sent_to "$2")
  echo "$(tail -n 2 "$WORK/ping.out" | head -n 1); frames from S: via $((v1 - v0)), other $((o1 - o0))"
  [ $((v1 - v0)) -ge 30 ] && [ $((o1 - o0)) -lt 25 ]
}

# expect PHASE SECONDS FAST SLOW: within SECONDS S's parent is FAST, and
# S's pings to D go through FAST (the first may wait for a lookup: retried once).
expect() {
  local fast_addr; fast_addr=$(addr_of "$3")
  wait_until "$2" parent_is "$fast_addr" ||
    fail "$1: S's parent is not the fast link's peer: $(ctl "$S" show tree) $(ctl "$S" show peers)"
  ctl "$S" show peers | json '[ (p["display_name"], p["effective_depth"]) for p in d["peers"] ]'
  pings_via "$3" "$4" || { sleep 2; pings_via "$3" "$4"; } ||
    fail "$1: pings S -> D did not go through the fast link"
}

expect "phase 1" 40 "$M2" "$M1"
pass "phase 1: S's parent is M2 (fast), S -> D goes through M2"
# Swap the delays of S's two links.
echo "delay 2" >/dev/udp/127.0.0.1/"$cport_sm1"
echo "delay 60" >/dev/udp/127.0.0.1/"$cport_sm2"
expect "phase 2" 60 "$M1" "$M2"
pass "phase 2: after the swap S's parent is M1, S -> D goes through M1"
[ "$(ctl "$S" show tree | json 'd["root"]')" = "$addr_d" ] || fail "D is not the root"
