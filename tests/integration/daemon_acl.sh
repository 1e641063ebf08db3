#!/usr/bin/env bash
# Peer ACL files on a live daemon (docs/spec/peer-acl.md). B reads its
# peers.allow / peers.deny from its scratch dir (FIPS_PEERS_ALLOW /
# FIPS_PEERS_DENY); A and C dial B. A is in B's peers.deny and never links
# (counted in show_metrics.link.acl_denied), C links; show_acl shows the
# loaded state. Emptying the deny file lets A in without a restart. Denying
# the linked C keeps its link (the reference does not disconnect on reload);
# once that link ends, C's redials are refused, and so is `connect` from B.
source "$(dirname "$0")/lib.sh"

node a; node b; node c
ua=$(free_port); ub=$(free_port); uc=$(free_port)
# Diallers that retry fast, so the test does not wait on default backoffs.
dialler() {  # dialler NAME PORT
  {
    echo "node:"
    echo "  identity: { persistent: true }"
    echo "  control: { socket_path: \"$WORK/$1/control.sock\" }"
    echo "  retry: { base_interval_secs: 1, max_backoff_secs: 2 }"
    echo "  rate_limit: { handshake_resend_interval_ms: 500, handshake_resend_backoff: 1.0, handshake_max_resends: 100 }"
    echo "transports: { udp: { bind_addr: \"127.0.0.1:$2\" } }"
    echo "dns: { enabled: false }"
    echo "peers:"
    echo "  - npub: \"$(npub b)\""
    echo "    alias: hub"
    echo "    addresses: [ { transport: udp, addr: \"127.0.0.1:$ub\" } ]"
  } >"$WORK/$1/fips.yaml"
}
dialler a "$ua"; dialler c "$uc"
# B knows C under an alias: peers.deny may name it later.
mk_config b "$ub" c "$uc"
sed -i 's/^  - npub: \(.*\)$/  - npub: \1\n    alias: spoke\n    connect_policy: manual/' "$WORK/b/fips.yaml"

allow=$WORK/b/peers.allow; deny=$WORK/b/peers.deny
printf '# peers B refuses\n%s   # node a\n' "$(npub a)" >"$deny"
FIPS_PEERS_ALLOW=$allow FIPS_PEERS_DENY=$deny start b
start a; start c

metric() { ctl b stats metrics | json "d['link']['$1']"; }
b_has() { ctl b show peers | json "'$(npub "$1")' in [p['npub'] for p in d['peers']]" | grep -qx True; }
b_lacks() { ctl b show peers | json "'$(npub "$1")' in [p['npub'] for p in d['peers']]" | grep -qx False; }
denied_at_least() { [ "$(metric acl_denied)" -ge "$1" ]; }

wait_until 15 b_has c || fail "C (not listed) did not link to B"
wait_until 15 denied_at_least 2 || fail "B did not count A's msg1s as acl_denied"
b_lacks a || fail "A linked although B's peers.deny lists it"
[ "$(peer_count a)" = 0 ] || fail "A believes it is linked: $(ctl a show peers)"
grep -q "Rejected peer by ACL.*$(npub a).*context=inbound_handshake decision=denylist match" "$WORK/b/log" ||
  fail "B did not log the refusal"
pass "A in peers.deny never links ($(metric acl_denied) msg1s refused, no msg2), C links"

acl=$(ctl b acl show) || fail "fipsctl acl show failed"
echo "$acl" | json 'sorted(d.keys())' | grep -qx "\['allow_all', 'allow_entries', 'allow_file', 'allow_file_entries', 'default_decision', 'deny_all', 'deny_entries', 'deny_file', 'deny_file_entries', 'effective_mode', 'enforcement_active'\]" ||
  fail "show_acl keys differ from the reference's: $acl"
[ "$(echo "$acl" | json 'd["deny_entries"]')" = "['$(npub a)']" ] || fail "deny_entries: $acl"
[ "$(echo "$acl" | json '(d["effective_mode"], d["enforcement_active"], d["deny_file"], d["default_decision"])')" = \
  "('denylist', True, '$deny', 'allow')" ] || fail "show_acl state: $acl"
pass "fipsctl acl show: denylist, the file's path, A's npub"

# The operator empties the deny file: A's next msg1 is answered, no restart.
b_pid=$(pid_of b)
printf '# nobody\n' >"$deny"
wait_until 15 b_has a || fail "A did not link after its entry was removed"
[ "$(pid_of b)" = "$b_pid" ] && kill -0 "$b_pid" || fail "B restarted"
grep -q "Reloaded peer ACL files" "$WORK/b/log" || fail "B did not log the reload"
[ "$(ctl b acl show | json 'd["effective_mode"]')" = default_open ] || fail "show_acl did not follow the edit"
pass "emptying peers.deny lets A link without a restart"

# Deny the linked C by its alias: its link stays (reload never disconnects,
# as the reference); after it ends, C's redials are refused.
printf 'SPOKE\n' >"$deny"
deny_has_c() { ctl b acl show | json 'd["deny_entries"]' | grep -q "$(npub c)"; }
wait_until 10 deny_has_c || fail "B did not resolve the alias in peers.deny"
before=$(metric acl_denied)
sleep 3
b_has c || fail "B dropped C on reload (the reference keeps linked peers)"
pass "a linked peer newly denied keeps its link"
ctl b disconnect "$(npub c)" >/dev/null || fail "disconnect C failed"
more_denied() { [ "$(metric acl_denied)" -gt "$before" ]; }
wait_until 15 more_denied || fail "C's redial was not refused"
sleep 2
b_lacks c || fail "C linked again although denied"
out=$(ctl b connect "$(npub c)" "127.0.0.1:$uc" udp 2>&1) && fail "connect to a denied peer succeeded: $out"
echo "$out" | grep -q "access denied: peer $(npub c) rejected by ACL: denylist match" || fail "connect error: $out"
[ "$(metric acl_dial_refused)" -ge 1 ] || fail "acl_dial_refused not counted"
pass "once C's link ends its redials are refused ($(metric acl_denied) acl_denied), connect answers access denied"
