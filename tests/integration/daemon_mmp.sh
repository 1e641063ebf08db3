#!/usr/bin/env bash
# Link MMP between two daemons on loopback, A dialling B through a UDP relay
# that holds each datagram 5 ms per direction (tools/udp_delay_relay.py):
# after ~10 s each side's show mmp lists the other with an SRTT measured from
# the ReceiverReports' timestamp echo, non-zero and below 50 ms (about 10),
# no loss, ETX 1, the spin-bit roles by who dialled, and show peers carries
# the same mmp block. (Without the delay, loopback RTTs truncate to 0 ms and
# are discarded, as the reference discards them, so SRTT may stay unset.)
source "$(dirname "$0")/lib.sh"

node a; node b
ua=$(free_port); ub=$(free_port); ur=$(free_port)
python3 "$(dirname "$0")/tools/udp_delay_relay.py" "$ur" "$ub" 5 &
PIDS+=($!)  # torn down with the daemons
mk_config a "$ua" b "$ur"; mk_config b "$ub"
start b; start a
wait_until 10 has_peers a 1 || fail "A did not link to B"
wait_until 10 has_peers b 1 || fail "B did not link to A"

# A link carries only heartbeats (10 s), tree/bloom announces and the
# reports themselves; an RTT sample needs a frame of ours echoed with a
# dwell shorter than the gap since, so give it up to 25 s.
measured() {  # measured NODE: one peer row with srtt_ms
  [ "$(ctl "$1" show mmp | json 'len(d["peers"]) == 1 and "srtt_ms" in d["peers"][0]["link_layer"]')" = True ]
}
sleep 10
wait_until 15 measured a || fail "A has no SRTT for B: $(ctl a show mmp)"
wait_until 15 measured b || fail "B has no SRTT for A: $(ctl b show mmp)"
for n in a b; do
  out=$(ctl "$n" show mmp)
  echo "$out"
  other=$([ "$n" = a ] && echo b || echo a)
  other_addr=$(ctl "$other" show status | json 'd["node_addr"]')
  [ "$(echo "$out" | json 'd["peers"][0]["peer"]')" = "$other_addr" ] || fail "$n: show mmp peer is not $other"
  [ "$(echo "$out" | json 'd["peers"][0]["mode"]')" = full ] || fail "$n: mode is not full"
  echo "$out" | json '5 < d["peers"][0]["link_layer"]["srtt_ms"] < 50' | grep -q True ||
    fail "$n: SRTT not in (5, 50) ms: $out"
  echo "$out" | json 'd["peers"][0]["link_layer"]["loss_rate"] == 0 and d["peers"][0]["link_layer"]["etx"] == 1' |
    grep -q True || fail "$n: loss or ETX not perfect on loopback: $out"
  role=$(echo "$out" | json 'd["peers"][0]["link_layer"]["spin_bit_role"]')
  [ "$n" = a ] && [ "$role" != initiator ] && fail "A dialled B but is not the spin-bit initiator"
  [ "$n" = b ] && [ "$role" != responder ] && fail "B was dialled but is not the spin-bit responder"
  ctl "$n" show peers | json 'd["peers"][0]["mmp"]["mode"] == "full" and 5 < d["peers"][0]["mmp"]["srtt_ms"] < 50' |
    grep -q True || fail "$n: show peers has no measured mmp block: $(ctl "$n" show peers)"
  sent=$(ctl "$n" stats metrics | json 'd["link"]["mmp_reports_sent"]')
  rr=$(ctl "$n" stats metrics | json 'd["link"]["mmp_receiver_reports_received"]')
  [ "$sent" -gt 0 ] && [ "$rr" -gt 0 ] || fail "$n: reports sent $sent, ReceiverReports received $rr"
  pass "$n: show mmp SRTT $(echo "$out" | json 'd["peers"][0]["link_layer"]["srtt_ms"]') ms, loss 0, ETX 1, spin role $role (reports sent $sent, ReceiverReports received $rr)"
done
