#!/usr/bin/env bash
# Three daemons on loopback in a line A - B - C (A and C not adjacent): the
# spanning tree converges on one root, A finds C's coordinates with a lookup
# routed through B (fipsctl lookup), and show_tree agrees with it.
source "$(dirname "$0")/lib.sh"

node a; node b; node c
ua=$(free_port); ub=$(free_port); uc=$(free_port)
mk_config a "$ua" b "$ub"; mk_config b "$ub"; mk_config c "$uc" b "$ub"
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

# End to end: an echo over an FSP session A -> C (two hops, through B).
out=$(ctl a ping -c 3 -i 0.2 "$(npub c)" 2>&1) || fail "fipsctl ping A -> C failed: $out"
echo "$out"
echo "$out" | grep -q "3 received" || fail "not every echo came back: $out"
sessions=$(ctl a show sessions)
[ "$(echo "$sessions" | json 'd["sessions"][0]["state"]')" = established ] || fail "A has no established session: $sessions"
[ "$(echo "$sessions" | json 'd["sessions"][0]["npub"]')" = "$(npub c)" ] || fail "A's session is not with C: $sessions"
[ "$(ctl c show sessions | json 'd["sessions"][0]["state"]')" = established ] || fail "C has no established session"
[ "$(ctl b show sessions | json 'len(d["sessions"])')" = 0 ] || fail "B (transit) holds a session"
pass "fipsctl ping A -> C over a 2-hop FSP session; show sessions on A and C, none on B"
ctl a ping -c 1 "$ghost" >/dev/null 2>&1 && fail "ping of an absent node succeeded"
pass "ping of an absent node fails"
