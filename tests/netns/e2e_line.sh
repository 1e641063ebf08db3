#!/usr/bin/env bash
# End to end through TUN devices: three namespaces in a line A - B - C (A and
# C not adjacent), one daemon each with fips0 and DNS. Unmodified programs on
# A reach C: ping6 by fd00:: address and by <npub>.fips name, a 50 MB TCP
# transfer with matching checksums, Packet Too Big for an oversized DF ping.
source "$(dirname "$0")/lib.sh"
need_root "e2e_line"

mkhost a; mkhost b; mkhost c
link a b 1; link b c 2
config a b:10.77.1.2
config b
config c b:10.77.2.1
start b; start a; start c
wait_until 15 has_peers b 2 || fail "B did not link to A and C"
wait_until 10 tun_up a || fail "A's TUN did not come up"
wait_until 10 tun_up c || fail "C's TUN did not come up"
pass "three daemons with fips0 up, B linked to A and C"

ca=$(fips_addr c)
# A learns C's key (the identity cache maps fd00:: addresses to keys): a
# lookup does it here; the DNS step below does it for names.
wait_until 20 ctl a lookup "$(npub c)" || fail "A could not look up C: $(ctl a lookup "$(npub c)" 2>&1)"
wait_until 30 nsx a ping6 -c 1 -W 1 "$ca" || fail "ping6 A -> C ($ca) failed"
out=$(nsx a ping6 -c 5 -i 0.2 "$ca") || fail "ping6 A -> C lost packets: $out"
echo "$out" | tail -n 2
pass "ping6 A -> C by address across two hops"

# 50 MB over TCP, checksummed at both ends (python: no extra packages).
MB=${E2E_MB:-50}
tcp_sha_sink c "$ca" 5001 "$WORK/c/recv.sha"
srv=$!
sleep 0.5
t0=$(date +%s.%N)
nsx a python3 - "$ca" "$MB" "$WORK/a/sent.sha" <<'PY' || fail "TCP sender failed"
import hashlib, os, socket, sys
h = hashlib.sha256(); n = 0
c = socket.create_connection((sys.argv[1], 5001), timeout=60)
block = os.urandom(1 << 20)
for i in range(int(sys.argv[2])):
    b = bytes([i & 0xFF]) + block[1:]
    c.sendall(b); h.update(b); n += len(b)
c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
open(sys.argv[3], "w").write(f"{n} {h.hexdigest()}\n")
PY
wait "$srv" || fail "TCP receiver failed"
t1=$(date +%s.%N)
[ "$(cat "$WORK/a/sent.sha")" = "$(cat "$WORK/c/recv.sha")" ] ||
  fail "checksums differ: sent $(cat "$WORK/a/sent.sha") received $(cat "$WORK/c/recv.sha")"
rate=$(python3 -c "print(f'{$MB*8*1.048576/($t1-$t0):.0f}')")
pass "$MB MB TCP A -> C, sha256 matches ($rate Mbit/s)"
# The transfer took the offload paths (unless FIPS_OFFLOAD=0): A read TSO
# super-packets from its TUN, C wrote coalesced (GRO) ones, nothing dropped.
if [ "${FIPS_OFFLOAD:-1}" != 0 ]; then
  tso=$(ctl a stats metrics | json 'd["tun"]["rx_gso_packets"]')
  gro=$(ctl c stats metrics | json 'd["tun"]["tx_gro_writes"]')
  gdrop=$(ctl a stats metrics | json 'd["tun"]["rx_gso_dropped"]')
  [ "$tso" -gt 0 ] && [ "$gro" -gt 0 ] && [ "$gdrop" -eq 0 ] ||
    fail "offloads not used: A TSO reads $tso (dropped $gdrop), C GRO writes $gro"
  pass "the transfer used the TUN offloads (A: $tso TSO reads, C: $gro GRO writes)"
fi

# Four TCP streams at once, A -> C, each checksummed: their segments
# interleave on every hop, so C's writer coalesces per flow (GRO) past other
# flows' segments; each stream must still arrive intact and in order.
for k in 1 2 3 4; do tcp_sha_sink c "$ca" $((5010 + k)) "$WORK/c/recv$k.sha"; eval "sink$k=\$!"; done
sleep 0.5
nsx a python3 - "$ca" "$WORK/a" <<'PY' || fail "parallel TCP senders failed"
import hashlib, os, socket, sys, threading
def send(k):
    h = hashlib.sha256(); n = 0
    c = socket.create_connection((sys.argv[1], 5010 + k), timeout=60)
    block = os.urandom(1 << 20)
    for i in range(8):
        b = bytes([k, i]) + block[2:]
        c.sendall(b); h.update(b); n += len(b)
    c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
    open(f"{sys.argv[2]}/sent{k}.sha", "w").write(f"{n} {h.hexdigest()}\n")
ts = [threading.Thread(target=send, args=(k,)) for k in (1, 2, 3, 4)]
for t in ts: t.start()
for t in ts: t.join()
PY
for k in 1 2 3 4; do
  eval "wait \$sink$k" || fail "TCP receiver $k failed"
  [ "$(cat "$WORK/a/sent$k.sha")" = "$(cat "$WORK/c/recv$k.sha")" ] ||
    fail "stream $k: sent $(cat "$WORK/a/sent$k.sha") received $(cat "$WORK/c/recv$k.sha")"
done
pass "4 parallel 8 MB TCP streams A -> C, every sha256 matches"

# Packet Too Big: 1400 bytes of ICMP payload + headers exceed the 1203-byte
# effective IPv6 MTU (1280 - 77); the kernel learns it and says so.
out=$(nsx a ping6 -c 2 -i 0.3 -W 1 -M do -s 1400 "$ca" 2>&1 || true)
echo "$out" | grep -qiE "too big|mtu" || fail "no Packet Too Big for a 1400-byte DF ping: $out"
out=$(nsx a ping6 -c 2 -i 0.3 -M do -s 1100 "$ca" 2>&1) || fail "a 1100-byte ping failed: $out"
pass "1400-byte DF ping gets Packet Too Big (effective MTU $(ctl a show status | json 'd["effective_ipv6_mtu"]')); 1100 bytes pass"

ctl a show sessions | json 'd["sessions"][0]["state"]' | grep -q established || fail "no session on A"
pass "A's session with C is established (fipsctl show sessions)"

# By name through A's DNS responder ([::1]:53 in A's namespace).
name="$(npub c).fips"
out=$(nsx a ping6 -c 2 -i 0.2 "$name" 2>&1) || fail "ping6 by name failed: $out"
echo "$out" | grep -q "$ca" || fail "the name did not resolve to C's address: $out"
pass "ping6 A -> $name resolves through the node's DNS"

