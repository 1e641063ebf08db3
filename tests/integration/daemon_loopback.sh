#!/usr/bin/env bash
# Two daemons on loopback link over UDP and over TCP from config files;
# fipsctl show/disconnect/connect work; SIGTERM sends Disconnect(Shutdown).
source "$(dirname "$0")/lib.sh"

node a; node b
ua=$(free_port); ub=$(free_port); tb=$(free_port)
cat >"$WORK/a/fips.yaml" <<YAML
node: { identity: { persistent: true }, control: { socket_path: "$WORK/a/control.sock" } }
transports: { udp: { bind_addr: "127.0.0.1:$ua" }, tcp: {} }
dns: { enabled: false }
peers:
  - npub: "$(npub b)"
    alias: bee
    addresses: [ { transport: udp, addr: "127.0.0.1:$ub" } ]
YAML
cat >"$WORK/b/fips.yaml" <<YAML
node: { identity: { persistent: true }, control: { socket_path: "$WORK/b/control.sock" } }
transports: { udp: { bind_addr: "127.0.0.1:$ub" }, tcp: { bind_addr: "127.0.0.1:$tb" } }
dns: { enabled: false }
YAML
start b; start a
wait_until 10 has_peers a 1 || fail "A and B did not link over UDP"
wait_until 10 has_peers b 1 || fail "B does not list A"
ctl a show peers | json '[p["npub"] for p in d["peers"]]' | grep -q "$(npub b)" || fail "A's show peers lacks B"
ctl b show peers | json '[p["npub"] for p in d["peers"]]' | grep -q "$(npub a)" || fail "B's show peers lacks A"
[ "$(ctl a show peers | json 'd["peers"][0]["transport_type"]')" = udp ] || fail "transport_type not udp"
[ "$(ctl a show peers | json 'd["peers"][0]["display_name"]')" = bee ] || fail "alias not used as display_name"
pass "UDP link from config; show peers on both sides"

ctl a disconnect "$(npub b)" >/dev/null || fail "fipsctl disconnect failed"
wait_until 5 has_peers b 0 || fail "B still lists A after disconnect"
has_peers a 0 || fail "A still lists B after disconnect"
grep -q "disconnected (ConfigurationChange)" "$WORK/b/log" || fail "B did not log Disconnect(ConfigurationChange)"
pass "fipsctl disconnect sends Disconnect and removes the peer on both sides"

out=$(ctl a connect "$(npub b)" "127.0.0.1:$tb" tcp) || fail "fipsctl connect failed"
echo "$out" | json 'd["transport"]' | grep -q tcp || fail "connect reply: $out"
wait_until 10 has_peers a 1 || fail "A did not link to B over TCP"
[ "$(ctl a show peers | json 'd["peers"][0]["transport_type"]')" = tcp ] || fail "link is not over TCP"
[ "$(ctl b show transports | json '[t["stats"]["connections_accepted"] for t in d["transports"] if t["type"]=="tcp"][0]')" -ge 1 ] || fail "B's TCP transport accepted nothing"
pass "fipsctl connect over TCP"

# Error paths of the control socket.
ctl a disconnect npub1xyz >/dev/null 2>&1 && fail "disconnect of a bad npub succeeded"
ctl a connect "$(npub b)" "[fd00::1]:2121" udp >/dev/null 2>&1 && fail "connect to an fd00::/8 address succeeded"
pass "control socket rejects bad npubs and mesh addresses"

kill -TERM "$(pid_of a)"
wait "$(pid_of a)"; rc=$?
[ $rc = 0 ] || fail "A exited $rc after SIGTERM"
wait_until 5 has_peers b 0 || fail "B still lists A after A's SIGTERM"
grep -q "disconnected (Shutdown)" "$WORK/b/log" || fail "B did not receive Disconnect(Shutdown)"
pass "SIGTERM: Disconnect(Shutdown) to peers, exit 0"
