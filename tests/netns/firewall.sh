#!/usr/bin/env bash
# The mesh firewall baseline (packaging/fips.nft) and show_listening_sockets,
# in two namespaces A - B linked by fips daemons with fips0. A TCP service on
# A's [::] is reachable from B over the mesh; after the unit's ExecStart
# (packaging/fips-firewall.service) in A's namespace it is not (ping6 still
# is, and A's own connections and Packet Too Big still work) and
# show_listening_sockets says "drop"; a drop-in accepting its port
# (applied with ExecReload) opens it again ("accept"); ExecStop removes the
# table. The unit's command lines are run as written except that /etc/fips/
# is this test's directory (the .nft file's include line likewise), so the
# host's /etc is never touched; the root namespace's ruleset is checked to be
# unchanged.
source "$(dirname "$0")/lib.sh"
need_root "firewall"
command -v nft >/dev/null || { echo "SKIP: firewall needs nft (scripts/install-deps.sh installs nftables)"; exit 0; }

UNIT=$ROOT/packaging/fips-firewall.service
ETC=$WORK/etc
mkdir -p "$ETC/fips.d"
sed "s#/etc/fips/#$ETC/#g" "$ROOT/packaging/fips.nft" >"$ETC/fips.nft"
changed=$(diff <(grep -v '^ *#' "$ROOT/packaging/fips.nft") <(grep -v '^ *#' "$ETC/fips.nft") | grep -c '^>' || true)
[ "$changed" -eq 1 ] || fail "expected one /etc/fips path in fips.nft's rules (the include), found $changed"
# unit_cmd KEY: the unit's KEY= command line with /etc/fips/ moved, and
# systemd's leading '-' (ignore failure) dropped.
unit_cmd() {
  local line
  line=$(grep -m1 "^$1=" "$UNIT") || fail "$UNIT has no $1="
  line=${line#*=}
  line=${line#-}
  echo "${line//\/etc\/fips\//$ETC/}"
}
start_cmd=$(unit_cmd ExecStart)
reload_cmd=$(unit_cmd ExecReload)
stop_cmd=$(unit_cmd ExecStop)
host_tables_before=$(nft list tables 2>/dev/null || true)

mkhost a; mkhost b
link a b 1
config a b:10.77.1.2
config b
nsx a nft list tables >/dev/null 2>&1 || { echo "SKIP: nftables does not work in a namespace here"; exit 0; }
start a; start b
wait_until 15 has_peers a 1 || fail "A did not link to B"
wait_until 10 tun_up a || fail "A's TUN did not come up"
wait_until 10 tun_up b || fail "B's TUN did not come up"
aa=$(fips_addr a)
wait_until 20 ctl b lookup "$(npub a)" || fail "B could not look up A"
pass "two daemons with fips0 up, A at $aa"

ab=$(fips_addr b)

# A service on both nodes: answers "hi" to every connection, on [::]:8088.
PORT=8088
for h in a b; do
  nsx "$h" python3 - "$PORT" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", int(sys.argv[1]))); s.listen(8)
while True:
    c, _ = s.accept(); c.sendall(b"hi\n"); c.close()
PY
  PIDS+=($!)
done
# reach [FROM TO_ADDR]: FROM (default B) opens a TCP connection to the
# service at TO_ADDR (default A's), which has 3 s to answer.
reach() {
  nsx "${1:-b}" python3 -c '
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
sys.exit(0 if c.recv(3) == b"hi\n" else 1)' "${2:-$aa}" "$PORT"
}
# row FIELD: FIELD of A's show_listening_sockets row for tcp/$PORT ("none"
# when absent); active: its firewall_active.
row() {
  ctl a show listening-sockets | json "next((str(s['$1']) for s in d['sockets'] if s['proto']=='tcp' and s['port']==$PORT), 'none')"
}
active() { ctl a show listening-sockets | json 'd["firewall_active"]'; }

wait_until 30 reach || fail "B could not reach A's [::]:$PORT over the mesh without the baseline"
[ "$(active)" = False ] || fail "firewall_active without the table: $(ctl a show listening-sockets)"
[ "$(row filter)" = no_firewall ] || fail "listener not shown as no_firewall: $(ctl a show listening-sockets)"
[ "$(row process)" = python3 ] || fail "listener's process not python3: $(ctl a show listening-sockets)"
[ "$(row wildcard_bind)" = True ] || fail "listener not shown as a wildcard bind"
pass "without the baseline: B reaches A's :$PORT; listed as tcp $PORT python3, no_firewall"

nsx a sh -c "$start_cmd" || fail "ExecStart failed: $start_cmd"
nsx a nft list table inet fips >/dev/null || fail "ExecStart did not create table inet fips"
! reach 2>/dev/null || fail "B still reaches A's :$PORT with the baseline loaded"
nsx b ping6 -c 2 -i 0.3 -W 2 "$aa" >/dev/null || fail "ping6 B -> A blocked by the baseline"
[ "$(active)" = True ] || fail "firewall_active false with the table loaded"
[ "$(row filter)" = drop ] || fail "listener not shown as drop: $(ctl a show listening-sockets)"
drops=$(nsx a nft -j list table inet fips | json 'next(e["counter"]["packets"] for x in d["nftables"] if "rule" in x for e in x["rule"]["expr"] if "counter" in e)')
[ "$drops" -gt 0 ] || fail "the drop counter did not count B's SYNs"
pass "ExecStart: :$PORT unreachable ($drops packets dropped), ping6 answered, listed as drop"
# What A starts still works: replies come back (conntrack established), and
# the Packet Too Big A's own daemon writes into fips0 for a packet above the
# effective MTU (1203 < 1248 bytes < fips0's 1280) gets through (related).
reach a "$ab" || fail "A cannot reach B's :$PORT with A's baseline loaded (replies dropped?)"
out=$(nsx a ping6 -c 2 -i 0.3 -W 2 -M "do" -s 1200 "$ab" 2>&1 || true)
echo "$out" | grep -qi "too big" || fail "no Packet Too Big through the baseline: $out"
pass "with the baseline on A: A -> B TCP works, Packet Too Big reaches A's ping6"

echo "tcp dport $PORT accept" >"$ETC/fips.d/service.nft"
nsx a sh -c "$reload_cmd" || fail "ExecReload with the drop-in failed: $reload_cmd"
wait_until 10 reach || fail "B cannot reach A's :$PORT after the drop-in"
[ "$(row filter)" = accept ] || fail "listener not shown as accept: $(ctl a show listening-sockets)"
pass "drop-in 'tcp dport $PORT accept' + ExecReload: reachable, listed as accept"

echo "tcp dport $PORT jump nowhere" >"$ETC/fips.d/broken.nft"
! nsx a sh -c "$reload_cmd" 2>/dev/null || fail "a broken drop-in was accepted"
reach || fail "a failed reload changed the loaded table"
rm "$ETC/fips.d/broken.nft"
pass "a broken drop-in is refused and the loaded table stays"

nsx a sh -c "$stop_cmd" || fail "ExecStop failed: $stop_cmd"
! nsx a nft list tables | grep -q 'inet fips' || fail "table inet fips still there after ExecStop"
[ "$(active)" = False ] || fail "firewall_active after ExecStop"
reach || fail "B cannot reach A's :$PORT after ExecStop"
[ "$(nft list tables 2>/dev/null || true)" = "$host_tables_before" ] || fail "the root namespace's tables changed"
pass "ExecStop: table gone, listener back to no_firewall, host ruleset untouched"
