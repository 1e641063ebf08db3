#!/usr/bin/env bash
# A session survives a change of route: a square A - B - C - D - A gives two
# disjoint paths between A and C. A paced TCP transfer A -> C runs while the
# transit node carrying it is restarted (SIGTERM, start again); the mesh
# reroutes through the other one and the transfer completes with matching
# checksums.
source "$(dirname "$0")/lib.sh"
need_root "e2e_reroute"

mkhost a; mkhost b; mkhost c; mkhost d
link a b 1; link b c 2; link c d 3; link d a 4
config a b:10.77.1.2 d:10.77.4.1
config b c:10.77.2.2
config c d:10.77.3.2
config d
start a; start b; start c; start d
wait_until 20 has_peers a 2 || fail "A did not link to B and D"
wait_until 20 has_peers c 2 || fail "C did not link to B and D"
wait_until 10 tun_up a && wait_until 10 tun_up c || fail "TUN devices did not come up"
ca=$(fips_addr c)
wait_until 30 nsx a ping6 -c 1 -W 1 "$(npub c).fips" || fail "A cannot reach C"
pass "square A-B-C-D up, A reaches C"

# Receiver on C; sender on A paced at ~40 Mbit/s so the transfer lasts ~6 s.
MB=${REROUTE_MB:-30}
tcp_sha_sink c "$ca" 5002 "$WORK/c/recv.sha"
srv=$!
sleep 0.5
nsx a python3 - "$ca" "$MB" "$WORK/a/sent.sha" <<'PY' &
import hashlib, os, socket, sys, time
h = hashlib.sha256(); n = 0
c = socket.create_connection((sys.argv[1], 5002), timeout=120)
block = os.urandom(1 << 18)
for i in range(int(sys.argv[2]) * 4):
    b = bytes([i & 0xFF]) + block[1:]
    c.sendall(b); h.update(b); n += len(b)
    time.sleep(0.05)
c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
open(sys.argv[3], "w").write(f"{n} {h.hexdigest()}\n")
PY
snd=$!
fwd() { ctl "$1" stats metrics | json 'd["forwarding"]["forwarded_packets"]'; }
# Restart the transit node that carries the transfer: wait (up to 5 s) until
# one of them has forwarded a good part of it.
fb=0; fd=0
for _ in $(seq 1 25); do
  sleep 0.2
  fb=$(fwd b); fd=$(fwd d)
  [ $((fb + fd)) -ge 2000 ] && break
done
if [ "$fb" -ge "$fd" ]; then mid=b; else mid=d; fi
echo "   transit: B forwarded $fb, D forwarded $fd; restarting $mid"
kill -TERM "$(pid_of "$mid")"
sleep 2
start "$mid"
wait "$snd" || fail "sender failed"
wait "$srv" || fail "receiver failed"
[ "$(cat "$WORK/a/sent.sha")" = "$(cat "$WORK/c/recv.sha")" ] ||
  fail "checksums differ: sent $(cat "$WORK/a/sent.sha") received $(cat "$WORK/c/recv.sha")"
other=$([ "$mid" = b ] && echo d || echo b)
before=$([ "$other" = b ] && echo "$fb" || echo "$fd")
[ $(( $(fwd "$other") - before )) -gt 100 ] ||
  fail "the other transit node ($other) carried nothing after the restart ($before before, $(fwd "$other") now)"
pass "$MB MB A -> C completed across the restart of $mid, sha256 matches; $other carried $(fwd "$other") packets"
