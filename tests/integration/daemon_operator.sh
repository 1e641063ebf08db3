#!/usr/bin/env bash
# Operator details (issue 9): configured keys without effect are warned about
# once and listed by show status; RUST_LOG directive lists; connect to a
# connected peer reports `refreshed`; fipsctl stats list/peers/history; hosts-file
# names as display_name (root only: a private mount namespace puts a test
# hosts file at /etc/fips/hosts for one daemon).
source "$(dirname "$0")/lib.sh"
unset RUST_LOG FIPS_LOG_LEVEL

node a; node b
ua=$(free_port); ub=$(free_port)
cat >"$WORK/a/fips.yaml" <<YAML
node:
  identity: { persistent: true }
  control: { socket_path: "$WORK/a/control.sock" }
  rendezvous: { nostr: { enabled: true } }
  mmp: { mode: lightweight }
  session_mmp: { mode: lightweight }
transports: { udp: { bind_addr: "127.0.0.1:$ua" } }
dns: { enabled: false }
peers:
  - npub: "$(npub b)"
    alias: bee
    addresses: [ { transport: udp, addr: "127.0.0.1:$ub" } ]
YAML
cat >"$WORK/b/fips.yaml" <<YAML
node: { identity: { persistent: true }, control: { socket_path: "$WORK/b/control.sock" } }
transports: { udp: { bind_addr: "0.0.0.0:$ub" } }
dns: { enabled: false }
YAML
start b
RUST_LOG="info,fips::node=debug,nostr=trace" start a
wait_until 10 has_peers a 1 || fail "A and B did not link"

# ---- no silent no-ops ----
n=$(grep -c "node.rendezvous.nostr.enabled: .*has no effect in this version" "$WORK/a/log" || true)
[ "$n" = 1 ] || fail "expected one warning for node.rendezvous.nostr.enabled, got $n"
inactive=$(ctl a show status | json 'd.get("inactive_config")')
[ "$inactive" = "['node.rendezvous.nostr.enabled']" ] || fail "show status inactive_config: $inactive"
# node.mmp.mode / node.session_mmp.mode act (link / session MMP): no warning,
# and show mmp runs B's link in it.
grep -q "node.mmp.mode" "$WORK/a/log" && fail "node.mmp.mode warned about although link MMP uses it"
grep -q "node.session_mmp.mode" "$WORK/a/log" && fail "node.session_mmp.mode warned about although session MMP uses it"
[ "$(ctl a show mmp | json 'd["peers"][0]["mode"]')" = lightweight ] || fail "show mmp mode: $(ctl a show mmp)"
[ "$(ctl b show status | json '"inactive_config" in d')" = False ] || fail "default node lists inactive_config"
grep -q "has no effect in this version" "$WORK/b/log" && fail "default node warned about an inactive key"
pass "inactive keys: one warning each at start-up, listed by show status (absent for a default node)"

# ---- RUST_LOG directive list ----
grep -q "RUST_LOG: per-module levels are not supported; \`fips::node=debug\`" "$WORK/a/log" ||
  fail "no per-module RUST_LOG note"
grep -q " DEBUG " "$WORK/a/log" || fail "RUST_LOG fips::node=debug did not enable debug lines"
grep -q " DEBUG " "$WORK/b/log" && fail "B logs DEBUG without RUST_LOG"
node c
cat >"$WORK/c/fips.yaml" <<YAML
node: { control: { socket_path: "$WORK/c/control.sock" } }
transports: { udp: { bind_addr: "127.0.0.1:$(free_port)" } }
dns: { enabled: false }
YAML
RUST_LOG='fips=loud,!!!' start c
wait_until 10 test -S "$WORK/c/control.sock" || fail "C did not start with an unparsable RUST_LOG"
grep -q "RUST_LOG: ignoring directive \`fips=loud\`" "$WORK/c/log" || fail "no warning for fips=loud"
grep -q "RUST_LOG: ignoring directive \`!!!\`" "$WORK/c/log" || fail "no warning for !!!"
grep -q " DEBUG " "$WORK/c/log" && fail "C fell back to something more verbose than info"
pass "RUST_LOG directive lists accepted (debug via fips::node), bad entries warned and skipped"

# ---- connect to a connected peer ----
out=$(ctl a connect "$(npub b)" "127.0.0.1:$ub" udp) || fail "connect (same path) failed: $out"
[ "$(echo "$out" | json 'd["refreshed"]')" = False ] || fail "fresh same path reported refreshed: $out"
out=$(ctl a connect "$(npub b)" "127.0.0.2:$ub" udp) || fail "connect (other address) failed: $out"
[ "$(echo "$out" | json 'd["refreshed"]')" = True ] || fail "new address not refreshed: $out"
[ "$(echo "$out" | json 'd["address"]')" = "127.0.0.2:$ub" ] || fail "connect reply: $out"
has_peers a 1 || fail "A lost B after connect"
pass "connect to a connected peer: same fresh path refreshed=false, other address refreshed=true"

# ---- fipsctl stats (metric history) ----
out=$(ctl a stats list) || fail "fipsctl stats list failed"
[ "$(echo "$out" | json '[d["fast_ring_seconds"], d["slow_ring_minutes"], d["peer_retention_seconds"], len(d["metrics"])]')" = "[3600, 1440, 86400, 17]" ] ||
  fail "stats list: $out"
ctl a stats metrics | json 'd["forwarding"]' >/dev/null || fail "stats metrics"
[ "$(ctl a stats metrics | json 'd["shares"]["coord_cache_share_refused"]')" = 0 ] ||
  fail "stats metrics has no shares family"
# Samples are taken once a second: poll until B's history has some.
history_has() { ctl a stats history "$@" | python3 -c '
import json,sys; v=json.load(sys.stdin)["values"]; sys.exit(0 if any(x is not None for x in v) else 1)'; }
wait_until 20 history_has peer_count --window 10s || fail "stats history peer_count empty: $(ctl a stats history peer_count --window 10s)"
[ "$(ctl a stats history peer_count --window 10s | json '[x for x in d["values"] if x is not None][-1]')" = 1.0 ] ||
  fail "stats history peer_count: $(ctl a stats history peer_count --window 10s)"
wait_until 20 history_has bytes_out --peer "$(npub b)" --window 30s ||
  fail "per-peer history: $(ctl a stats history bytes_out --peer "$(npub b)" --window 30s)"
out=$(ctl a stats peers)
[ "$(echo "$out" | json '[d["count"], d["peers"][0]["display_name"], d["peers"][0]["is_active"]]')" = "[1, 'bee', True]" ] ||
  fail "stats peers: $out"
out=$(ctl a stats history peer_count --window 1m --plot) || fail "stats history --plot failed"
echo "$out" | head -1 | grep -q '^peer_count (peers) — 60 samples @ 1s = 60s window' || fail "plot title: $out"
# The first sample may predate the link (0 then 1: ▁ then █); a flat series
# draws mid-height bars (▄). Either way the last column is a drawn bar.
echo "$out" | sed -n 3p | grep -qE '(▄|█) *$' || fail "plot row: $out"
err=$(ctl a stats history bogus 2>&1) && fail "unknown metric accepted"
[ "$err" = "error: unknown metric: bogus" ] || fail "unknown metric error: $err"
pass "fipsctl stats list / metrics / peers / history (node and per-peer rings fill once a second, --plot)"

# ---- hosts-file display names (root: private mount namespace) ----
if [ "$(id -u)" -ne 0 ]; then
  echo "skip - hosts-file display_name (needs root for a mount namespace)"
  exit 0
fi
made_etc=0
# An empty /etc/fips made only as a mount point goes again, whatever happens.
trap 'cleanup; if [ "$made_etc" = 1 ]; then rmdir /etc/fips 2>/dev/null || true; fi' EXIT INT TERM
[ -d /etc/fips ] || { mkdir -p /etc/fips; made_etc=1; }
mkdir -p "$WORK/etc"
printf '# test hosts\nbravo-host %s\n' "$(npub b)" >"$WORK/etc/hosts"
node d
ud=$(free_port)
cat >"$WORK/d/fips.yaml" <<YAML
node: { control: { socket_path: "$WORK/d/control.sock" } }
transports: { udp: { bind_addr: "127.0.0.1:$ud" } }
dns: { enabled: false }
peers:
  - npub: "$(npub b)"
    alias: bee
    addresses: [ { transport: udp, addr: "127.0.0.1:$ub" } ]
YAML
unshare -m --propagation private sh -c 'mount --bind "$1" /etc/fips && exec "$2" -c "$3"' _ \
  "$WORK/etc" "$FIPS" "$WORK/d/fips.yaml" >"$WORK/d/log" 2>&1 &
dpid=$!
PIDS+=($dpid)
wait_until 10 has_peers d 1 || fail "D did not link to B"
[ "$(ctl d show peers | json 'd["peers"][0]["display_name"]')" = bravo-host ] ||
  fail "hosts-file name not used: $(ctl d show peers | json 'd["peers"][0]["display_name"]')"
[ "$(ctl a show peers | json 'd["peers"][0]["display_name"]')" = bee ] || fail "A (no hosts file) lost the alias"
# The file is re-read when it changes.
printf 'charlie-host %s\n' "$(npub b)" >"$WORK/etc/hosts"
d_name_is() { [ "$(ctl d show peers | json 'd["peers"][0]["display_name"]')" = "$1" ]; }
wait_until 5 d_name_is charlie-host || fail "hosts-file change not picked up"
pass "hosts-file names are display_name (over the alias), reloaded on change"
