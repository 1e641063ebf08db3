#!/usr/bin/env bash
# Link MMP over an impaired link: A dials B through tools/udp_delay_relay.py,
# which holds every datagram 50 ms each way and drops 10 % of A's datagrams
# to B (none the other way), spaced evenly. With pings keeping frames
# flowing, show mmp must report (docs/spec/mmp.md §4):
#   A: SRTT within 15 % of the 100 ms RTT, loss_rate within 2 points of 10 %
#      (the mean of the per-report values over ~20 s), ETX ~ 1/0.9;
#   B: the same SRTT, loss within 2 points of 0, ETX ~ 1/0.9 (B's reverse
#      ratio sees A's losses);
# and the link cost etx * (1 + srtt/100) in show peers' effective_depth
# (docs/spec/stp-bloom.md §4.4). About 30 s.
source "$(dirname "$0")/lib.sh"

node a; node b
ua=$(free_port); ub=$(free_port); ur=$(free_port)
python3 "$(dirname "$0")/tools/udp_delay_relay.py" "$ur" "$ub" 50 --drop-fwd 0.1 &
PIDS+=($!)
mk_config a "$ua" b "$ur"; mk_config b "$ub"
start b; start a
wait_until 20 has_peers a 1 || fail "A did not link to B"
wait_until 20 has_peers b 1 || fail "B did not link to A"

# Traffic: pings over an A->B session from 24 pingers at once (a lost echo
# stalls its pinger for 3.5 s), so each report interval covers ~50 frames.
for _ in $(seq 24); do
  timeout 60 "$FIPSCTL" -s "$WORK/a/control.sock" ping -i 0 -c 100000 "$(npub b)" >/dev/null 2>&1 &
  PIDS+=($!)
done
measured() { [ "$(ctl "$1" show mmp | json '"srtt_ms" in d["peers"][0]["link_layer"]')" = True ]; }
wait_until 20 measured a || fail "A has no SRTT for B: $(ctl a show mmp)"
wait_until 20 measured b || fail "B has no SRTT for A: $(ctl b show mmp)"
sleep 2  # SRTT settles (alpha 1/8 per report) and the first interval after warm-up passes

# 16 polls, 1 s apart: mean of loss_rate (one value per ReceiverReport) and
# the last SRTT / ETX.
sample() {  # sample NODE -> "srtt loss etx"
  ctl "$1" show mmp | json '"%f %f %f" % (d["peers"][0]["link_layer"]["srtt_ms"], d["peers"][0]["link_layer"]["loss_rate"], d["peers"][0]["link_layer"]["etx"])'
}
: >"$WORK/a.samples"; : >"$WORK/b.samples"
for _ in $(seq 16); do
  sample a >>"$WORK/a.samples"; sample b >>"$WORK/b.samples"
  sleep 1
done
check() {  # check NODE WANT_LOSS
  python3 - "$WORK/$1.samples" "$2" <<'PY'
import sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
want = float(sys.argv[2])
srtt, etx = rows[-1][0], rows[-1][2]
loss = sum(r[1] for r in rows) / len(rows)
ok = 85 <= srtt <= 115 and abs(loss - want) <= 0.02 and abs(etx - 1 / 0.9) <= 0.12
print("%s srtt=%.1f loss=%.4f etx=%.3f samples=%d" % ("OK" if ok else "BAD", srtt, loss, etx, len(rows)))
PY
}
ra=$(check a 0.10); rb=$(check b 0.0)
echo "A: $ra"; echo "B: $rb"
case "$ra" in OK*) ;; *) fail "A's MMP misses the configured 100 ms / 10 %: $ra ($(ctl a show mmp))" ;; esac
case "$rb" in OK*) ;; *) fail "B's MMP misses the configured 100 ms / 0 %: $rb ($(ctl b show mmp))" ;; esac
pass "A: $ra"
pass "B: $rb"

# show peers: effective_depth = tree depth + etx * (1 + srtt/100) for the
# measured peer (B or A is root; the other has depth 1 and sees depth 0).
for n in a b; do
  ctl "$n" show peers | json 'd["peers"][0]["effective_depth"] is not None and abs(d["peers"][0]["effective_depth"] - d["peers"][0]["tree_depth"] - d["peers"][0]["mmp"]["etx"] * (1 + d["peers"][0]["mmp"]["srtt_ms"] / 100)) < 1e-6' |
    grep -q True || fail "$n: effective_depth is not depth + link cost: $(ctl "$n" show peers)"
done
pass "show peers effective_depth = depth + etx * (1 + srtt/100) on both sides"
