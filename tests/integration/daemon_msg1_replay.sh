#!/usr/bin/env bash
# A captured Noise IK msg1 replayed from another port never moves a live link
# (issue 15, attack 1). A dials B through a transparent UDP relay that keeps
# A's first msg1; once the link is old enough to rekey (30 s) the relay
# replays the capture to B from a fresh port five times while A pings B over
# an FSP session. Every echo must come back (no gap), B must count the
# replays as msg1_duplicate/msg1_replay and keep its link keys (no rekey
# cutover, no restart).
source "$(dirname "$0")/lib.sh"

node a; node b
ua=$(free_port); ub=$(free_port); ur=$(free_port)
mk_config a "$ua" b "$ur"; mk_config b "$ub"

# The relay: A <-> 127.0.0.1:$ur <-> B. Bounded to 90 s.
cat >"$WORK/relay.py" <<'EOF'
import socket, select, sys, time
relay_port, b_port, replay_after = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); front.bind(("127.0.0.1", relay_port))
back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); back.bind(("127.0.0.1", 0))
attacker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); attacker.bind(("127.0.0.1", 0))
a_addr, capture, start, replays, deadline = None, None, time.time(), 0, time.time() + 90
while time.time() < deadline:
    r, _, _ = select.select([front, back], [], [], 0.1)
    for s in r:
        data, src = s.recvfrom(65535)
        if s is front:
            a_addr = src
            if capture is None and len(data) == 114 and data[0] == 0x01:
                capture = data
            back.sendto(data, ("127.0.0.1", b_port))
        elif a_addr:
            front.sendto(data, a_addr)
    if capture and replays < 5 and time.time() - start >= replay_after + replays:
        attacker.sendto(capture, ("127.0.0.1", b_port))
        replays += 1
        print(f"replayed msg1 #{replays} at {time.time() - start:.1f} s", flush=True)
EOF
timeout 95 python3 "$WORK/relay.py" "$ur" "$ub" 33 >"$WORK/relay.log" 2>&1 &
PIDS+=($!)
start b; start a
wait_until 10 has_peers b 1 || fail "A did not link to B through the relay"
pass "A linked to B through the relay"

metric() { ctl b stats metrics | json "d['link']['$1']"; }
index_of_a() { ctl b show links | json 'd["links"][0]["our_index"]' 2>/dev/null || true; }
before_index=$(index_of_a)
sleep 30  # the link is now old enough for a rekey; replays start at 33 s
out=$(ctl a ping -c 16 -i 0.5 "$(npub b)" 2>&1) || fail "ping A -> B failed during the replays: $out"
echo "$out" | tail -n 2
echo "$out" | grep -q "16 received" || fail "echoes were lost while the msg1 was replayed: $out"
cat "$WORK/relay.log"
grep -q "replayed msg1 #5" "$WORK/relay.log" || fail "the relay did not replay five times"
seen=$(( $(metric msg1_duplicate) + $(metric msg1_replay) ))
[ "$seen" -ge 5 ] || fail "B counted $seen replayed msg1s, expected 5"
[ "$(metric rekeys_completed)" = 0 ] || fail "B cut over to new keys: rekeys_completed=$(metric rekeys_completed)"
has_peers a 1 && has_peers b 1 || fail "a link went down"
grep -q "restarted" "$WORK/b/log" && fail "B took the replay for a restart"
[ -z "$before_index" ] || [ "$(index_of_a)" = "$before_index" ] || fail "B's link index changed"
pass "5 replays of A's msg1 from another port: 16/16 echoes answered, $seen counted as replay/duplicate, no rekey, no restart"
