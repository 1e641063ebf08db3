#!/usr/bin/env bash
# Bad input on the IPv6 side: random bytes injected into A's fips0 (as if the
# kernel had written them: AF_PACKET on the TUN), IPv4 routed into the TUN,
# and garbage DNS queries at A's responder. Every one is dropped and counted,
# and the node keeps working (ping6 to B afterwards, DNS still answers).
source "$(dirname "$0")/lib.sh"
need_root "e2e_bad_input"

mkhost a; mkhost b
link a b 1
config a b:10.77.1.2
config b
start a; start b
wait_until 15 has_peers a 1 || fail "A and B did not link"
wait_until 10 tun_up a || fail "A's TUN did not come up"
metric() { ctl a stats metrics | json "d$1"; }

# 1. Garbage "IPv6" packets into the TUN: too short, wrong version, lying
#    length fields, random bytes; plus valid-looking packets to non-mesh
#    addresses. Sent from inside A's namespace through AF_PACKET on fips0.
nsx a python3 - "$WORK/injected" <<'PY' || fail "injector failed"
import os, random, socket, sys, time
random.seed(7)
s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM)
sent = 0
for i in range(3000):
    k = i % 4
    if k == 0:   p = os.urandom(random.randint(1, 39))                       # runt
    elif k == 1: p = bytes([0x45]) + os.urandom(random.randint(20, 1200))     # not version 6
    elif k == 2: p = bytes([0x60]) + os.urandom(random.randint(39, 1300))     # v6, random rest
    else:        p = bytes([0x60,0,0,0, 0xff,0xff, 17, 64]) + bytes([0xfd]) + os.urandom(15) + bytes([0xfd]) + os.urandom(15) + os.urandom(8)
    try:
        s.sendto(p, ("fips0", 0x86DD)); sent += 1
    except OSError:
        pass
    if i % 100 == 99: time.sleep(0.005)  # stay under the TUN queue
open(sys.argv[1], "w").write(str(sent))
PY
# 2. IPv4 routed into the TUN.
nsx a ip route add 10.99.0.0/24 dev fips0
nsx a ping -c 3 -i 0.2 -W 1 10.99.0.1 >/dev/null 2>&1 || true
sleep 1
# One snapshot for every counter: separate reads race with packets the kernel
# itself sends into fips0 (MLD, router solicitations) between the reads.
snap=$(ctl a stats metrics)
read -r total not_ipv6 classified <<EOF2
$(printf '%s' "$snap" | python3 -c '
import json, sys
d = json.load(sys.stdin)["ipv6"]
# The outcome counters (AdapterCounters::tun_outcomes); one per packet.
kinds = ("not_ipv6 not_for_mesh identity_miss bad_packet ptb_sent ptb_rate_limited "
         "ptb_refused hairpin sent queued_handshaking queued_initiate").split()
print(d["tun_packets"], d["not_ipv6"], sum(d[k] for k in kinds))')
EOF2
echo "   tun_packets $total: not_ipv6 $not_ipv6, classified $classified"
inj=$(cat "$WORK/injected")
[ "$total" -ge $((inj * 9 / 10)) ] || fail "the adapter saw only $total of $inj injected packets"
[ "$classified" -eq "$total" ] || fail "TUN packets unaccounted: $total read, $classified classified"
[ "$not_ipv6" -ge $((total * 4 / 10)) ] || fail "runts and non-IPv6 packets were not counted as such ($not_ipv6 of $total)"
pass "$inj malformed TUN packets and IPv4 into fips0: dropped and counted"

# 3. Garbage DNS: random datagrams at [::1]:53 in A's namespace.
nsx a python3 - <<'PY'
import os, random, socket, time
random.seed(9)
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for i in range(2000):
    s.sendto(os.urandom(random.randint(0, 600)), ("::1", 53))
    if i % 50 == 49: time.sleep(0.005)  # stay under the socket buffer
PY
sleep 0.5
mal=$(metric '["dns"]["malformed"]'); over=$(metric '["dns"]["oversize"]')
got=$(metric '["dns"]["datagrams"]'); ans=$(metric '["dns"]["answered"]')
echo "   dns datagrams $got, malformed $mal, oversize $over, answered $ans"
[ "$got" -ge 1500 ] || fail "the responder saw only $got of 2000 datagrams"
[ $((mal + over + ans)) -eq "$got" ] || fail "DNS datagrams unaccounted: $got received, $mal malformed, $over oversize, $ans answered"
pass "$got garbage DNS datagrams: every one dropped and counted (or answered)"

# 4. DNS still answers: AAAA for B's npub, NXDOMAIN for garbage names.
dnsq() {  # dnsq NAME -> "rcode answers first-aaaa"
  nsx a python3 - "$1" <<'PY'
import socket, struct, sys, ipaddress
q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
for l in sys.argv[1].rstrip(".").split("."): q += bytes([len(l)]) + l.encode()
q += b"\0" + struct.pack(">HH", 28, 1)
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(q, ("::1", 53)); r = s.recv(512)
rcode = r[3] & 0xF; an = struct.unpack(">H", r[6:8])[0]
addr = str(ipaddress.IPv6Address(r[-16:])) if an else "-"
print(rcode, an, addr)
PY
}
read -r rc an addr <<<"$(dnsq "$(npub b).fips")"
[ "$rc" = 0 ] && [ "$an" = 1 ] && [ "$addr" = "$(fips_addr b)" ] || fail "AAAA for B: rcode $rc answers $an addr $addr"
read -r rc an addr <<<"$(dnsq "npub1notakey.fips")"
[ "$rc" = 3 ] && [ "$an" = 0 ] || fail "garbage .fips name: rcode $rc answers $an (want NXDOMAIN)"
read -r rc an addr <<<"$(dnsq "b.fips")"
[ "$rc" = 0 ] && [ "$addr" = "$(fips_addr b)" ] || fail "peer alias b.fips: rcode $rc addr $addr"
pass "DNS: AAAA for <npub>.fips and the peer alias, NXDOMAIN for a garbage name"

wait_until 20 nsx a ping6 -c 1 -W 1 "$(npub b).fips" || fail "A cannot reach B after the garbage"
kill -0 "$(pid_of a)" || fail "A died"
pass "A still routes (ping6 B by name) and is running"
