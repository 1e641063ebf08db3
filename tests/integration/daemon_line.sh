#!/usr/bin/env bash
# Three daemons on loopback in a line A - B - C (A and C not adjacent): the
# spanning tree converges on one root, A finds C's coordinates with a lookup
# routed through B (fipsctl lookup), and show_tree agrees with it; fipsctl
# probe A -> C opens a session, measures its RTT and tears it down; session
# MMP measures the ping session's SRTT on both ends. A reaches B through a UDP
# relay holding each datagram 5 ms (tools/udp_delay_relay.py): loopback RTTs
# truncate to 0 ms, which MMP discards as the reference does.
source "$(dirname "$0")/lib.sh"

node a; node b; node c
ua=$(free_port); ub=$(free_port); uc=$(free_port); ur=$(free_port)
python3 "$(dirname "$0")/tools/udp_delay_relay.py" "$ur" "$ub" 5 &
PIDS+=($!)  # torn down with the daemons
mk_config a "$ua" b "$ur"; mk_config b "$ub"; mk_config c "$uc" b "$ub"
start b; start a; start c
wait_until 10 has_peers b 2 || fail "B did not link to A and C"
has_peers a 1 && has_peers c 1 || fail "A or C has the wrong peer count"

root_of() { ctl "$1" show status | json 'd["root"]'; }
same_root() { [ "$(root_of a)" = "$(root_of b)" ] && [ "$(root_of b)" = "$(root_of c)" ]; }
wait_until 15 same_root || fail "roots differ: $(root_of a) $(root_of b) $(root_of c)"
pass "spanning tree: one root for A, B, C ($(root_of a))"
[ "$(ctl b show tree | json 'len(d["peers"])')" = 2 ] || fail "B's show tree does not list both neighbours"
[ "$(ctl a show tree | json 'd["root"]')" = "$(root_of a)" ] || fail "show tree root disagrees with show status"
pass "show tree on A and B is consistent"

out=""
found() { out=$(ctl a lookup "$(npub c)" 2>&1) && echo "$out" | grep -q '"coords"'; }
wait_until 20 found || fail "A could not look up C: $out"
c_addr=$(ctl c show status | json 'd["node_addr"]')
[ "$(echo "$out" | json 'd["coords"][0]')" = "$c_addr" ] || fail "lookup coords do not start at C: $out"
depth=$(echo "$out" | json 'd["depth"]')
echo "$out"
pass "A found C through B: depth $depth, path_mtu $(echo "$out" | json 'd["path_mtu"]')"

# A lookup for a node that does not exist fails cleanly.
ghost=$("$FIPSCTL" keygen -s | tail -n 1)
ctl a lookup "$ghost" >/dev/null 2>&1 && fail "lookup of an absent node succeeded"
pass "lookup of an absent node fails with an error"

# Probe A -> C across two hops: C's coordinates are cached (the lookup
# above), the probe opens its own session, a CoordsWarmup draws C's session
# ReceiverReport, whose echo is the RTT; then the session is torn down.
probe() { timeout 60 "$FIPSCTL" -s "$WORK/a/control.sock" probe "$@"; }
rep=$(probe --json "$(npub c)") || fail "fipsctl probe A -> C failed: $rep"
[ "$(echo "$rep" | json 'd["overall"]')" = ok ] || fail "probe overall not ok: $rep"
[ "$(echo "$rep" | json 'd["rtt"]["rtt_ms"] >= 0 and d["rtt"]["samples"] >= 1')" = True ] || fail "probe has no RTT: $rep"
[ "$(echo "$rep" | json 'd["path"]["next_hop"]["node_addr"]')" = "$(ctl b show status | json 'd["node_addr"]')" ] ||
  fail "probe's next hop is not B: $rep"
[ "$(echo "$rep" | json 'd["cleanup"]["session_created_and_torn_down"]')" = True ] || fail "probe left its session: $rep"
[ "$(ctl a show sessions | json 'len(d["sessions"])')" = 0 ] || fail "A still holds the probe's session"
pass "fipsctl probe A -> C: rtt $(echo "$rep" | json 'd["rtt"]["rtt_ms"]') ms via B, session torn down"

# End to end: an echo over an FSP session A -> C (two hops, through B).
out=$(ctl a ping -c 3 -i 0.2 "$(npub c)" 2>&1) || fail "fipsctl ping A -> C failed: $out"
echo "$out"
echo "$out" | grep -q "3 received" || fail "not every echo came back: $out"
sessions=$(ctl a show sessions)
[ "$(echo "$sessions" | json 'd["sessions"][0]["state"]')" = established ] || fail "A has no established session: $sessions"
[ "$(echo "$sessions" | json 'd["sessions"][0]["npub"]')" = "$(npub c)" ] || fail "A's session is not with C: $sessions"
[ "$(ctl c show sessions | json 'd["sessions"][0]["state"]')" = established ] || fail "C has no established session"
[ "$(ctl b show sessions | json 'len(d["sessions"])')" = 0 ] || fail "B (transit) holds a session"
[ "$(ctl a show status | json 'd["session_count"]')" = 1 ] || fail "A's show status session_count: $(ctl a show status)"
[ "$(ctl b show status | json 'd["session_count"]')" = 0 ] || fail "B's show status session_count"
pass "fipsctl ping A -> C over a 2-hop FSP session; show sessions on A and C, none on B; show status session_count 1 / 0"
ctl a ping -c 1 "$ghost" >/dev/null 2>&1 && fail "ping of an absent node succeeded"
pass "ping of an absent node fails"

# Session MMP: both ends of the ping session measure an SRTT from each
# other's ReceiverReports (show_sessions mmp, show_mmp session rows).
srtt_of() { ctl "$1" show sessions | json 'd["sessions"][0]["mmp"].get("srtt_ms", -1)'; }
measured() { [ "$(srtt_of a | cut -d. -f1)" -ge 0 ] && [ "$(srtt_of c | cut -d. -f1)" -ge 0 ]; }
wait_until 15 measured || fail "session MMP measured no SRTT: $(ctl a show sessions)"
[ "$(ctl a show mmp | json '"srtt_ms" in d["sessions"][0]["session_layer"]')" = True ] || fail "show mmp: $(ctl a show mmp)"
pass "session MMP: SRTT A->C $(srtt_of a) ms, C->A $(srtt_of c) ms"
out=$(probe "$(npub c)") || fail "probe over the existing session failed: $out"
echo "$out"
echo "$out" | grep -q "^cleanup   session left in place (preexisting)" || fail "probe touched the ping session: $out"
echo "$out" | grep -q "^overall   ok" || fail "text report has no ok verdict: $out"
[ "$(ctl a show sessions | json 'd["sessions"][0]["state"]')" = established ] || fail "the ping session is gone"
pass "a probe over an existing session leaves it in place"
probe --json "$ghost" >/dev/null 2>&1 && fail "probe of an absent node reported ok"
pass "probe of an absent node fails"
