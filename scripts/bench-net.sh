#!/usr/bin/env bash
# make bench-net: iperf3 and ping through fips0 between network namespaces,
# over 1 hop (A-B) and 2 hops (A-B-C, B routes), with the daemons' CPU time.
# Also measures the same iperf3 runs over the bare veth path in the same run
# (no mesh) as the ceiling. Root only. Prints a markdown table.
#   BENCH_SECONDS  iperf3 duration per test (default 10)
#   TUN_MTU        TUN MTU (default 1280)
# UDP uses 1150-byte datagrams: 1200 + 48 header bytes exceed the effective
# IPv6 MTU of a 1280 TUN (1280 - 77 = 1203), and iperf3 does not fragment.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NS_PREFIX=fipsbench
source "$ROOT/tests/netns/lib.sh"
need_root "bench-net"
command -v iperf3 >/dev/null || { echo "SKIP: iperf3 missing (make deps)"; exit 0; }
SECS=${BENCH_SECONDS:-10}
for n in a b c; do ip netns del "$(ns $n)" 2>/dev/null || true; done

mkhost a; mkhost b; mkhost c
link a b 1; link b c 2
config a b:10.77.1.2
config b
config c b:10.77.2.1
start a; start b; start c
wait_until 20 has_peers b 2 || fail "mesh did not come up"
wait_until 10 tun_up a && wait_until 10 tun_up c || fail "TUN devices did not come up"
addr_b=$(fips_addr b); addr_c=$(fips_addr c)
for t in b c; do wait_until 20 ctl a lookup "$(npub $t)" || fail "A cannot look up $t"; done
for t in "$addr_b" "$addr_c"; do wait_until 20 nsx a ping6 -c 1 -W 1 "$t" || fail "no path to $t"; done

cpu_ticks() { awk '{print $14+$15}' "/proc/$(pid_of "$1")/stat"; }
cpu_all() { echo $(( $(cpu_ticks a) + $(cpu_ticks b) + $(cpu_ticks c) )); }
HZ=$(getconf CLK_TCK)

iperf_run() {  # iperf_run SERVER_NS SERVER_ADDR ARGS... -> Gbit/s (receiver side)
  local sns=$1 saddr=$2; shift 2
  nsx "$sns" iperf3 -s -1 -B "$saddr" >/dev/null 2>&1 &
  local spid=$!
  sleep 0.5
  local out
  out=$(nsx a iperf3 -c "$saddr" -t "$SECS" -J "$@" 2>/dev/null) || { kill "$spid" 2>/dev/null; echo "nan"; return; }
  wait "$spid" 2>/dev/null || true
  echo "$out" | python3 -c '
import json,sys
try:
    d = json.load(sys.stdin)
    e = d["end"]
    s = e["sum"] if "lost_percent" in e.get("sum", {}) else e["sum_received"]
    bps = s["bits_per_second"] * (1 - s.get("lost_percent", 0) / 100)
    print("%.3f" % (bps / 1e9), end=" ")
    if "lost_percent" in s: print("%.2f" % s["lost_percent"], end="")
except Exception as x:
    print("nan", d.get("error", x) if isinstance(d, dict) else x)
'
}

ping_rtt() { nsx a ping6 -c 20 -i 0.05 -q "$1" | awk -F/ '/rtt/ {print $5}'; }

echo "| path | test | result | daemons' CPU s (all three) | CPU s per Gbit |"
echo "|---|---|---|---|---|"
run_case() {  # run_case LABEL SERVER_NS ADDR
  local label=$1 sns=$2 addr=$3 c0 c1 r cpu
  for t in "tcp1:" "tcp4:-P 4" "udp1150:-u -b 0 -l 1150"; do
    c0=$(cpu_all)
    r=$(iperf_run "$sns" "$addr" ${t#*:})
    c1=$(cpu_all)
    cpu=$(python3 -c "print(f'{($c1-$c0)/$HZ:.2f}')")
    local gb=${r%% *}
    local per=$(python3 -c "g=float('$gb'); print(f'{float($cpu)/(g*$SECS):.2f}' if g>0 else '-')")
    local extra=""; [ "${t%%:*}" = udp1150 ] && extra=" Gbit/s, loss ${r#* }%" || extra=" Gbit/s"
    echo "| $label | ${t%%:*} | ${gb}${extra} | $cpu | $per |"
  done
  echo "| $label | ping rtt avg | $(ping_rtt "$addr") ms | | |"
}
run_case "fips 1 hop (A-B)" b "$addr_b"
run_case "fips 2 hops (A-B-C)" c "$addr_c"
offload_line() {  # TSO reads on the sender, GRO writes on the receivers
  ctl "$1" stats metrics | python3 -c '
import json, sys
j = json.load(sys.stdin)
t = j.get("tun", {})
r = lambda a, b: "%.1f" % (t[a] / t[b]) if t.get(b) else "-"
gm = sum(u["gso_messages"] for u in j.get("udp_gso", []))
gd = sum(u["gso_datagrams"] for u in j.get("udp_gso", []))
rm = sum(u.get("gro_messages", 0) for u in j.get("udp_gso", []))
rd = sum(u.get("gro_datagrams", 0) for u in j.get("udp_gso", []))
print("offload %s: %s; TSO reads %d (%s segments each), GRO writes %d (%s segments each), gso drops %d; UDP GSO sends %d (%s datagrams each), UDP GRO reads %d (%s datagrams each)" % (
    sys.argv[1], "on" if t.get("offload") else "off", t.get("rx_gso_packets", 0), r("rx_gso_segments", "rx_gso_packets"),
    t.get("tx_gro_writes", 0), r("tx_gro_segments", "tx_gro_writes"), t.get("rx_gso_dropped", 0),
    gm, "%.1f" % (gd / gm) if gm else "-", rm, "%.1f" % (rd / rm) if rm else "-"))' "$1"
}

# Ceiling in the same run: the same namespaces without the mesh (veth, IPv4).
r=$(iperf_run b 10.77.1.2)
echo "| bare veth A-B (no mesh) | tcp1 | ${r%% *} Gbit/s | | |"
echo
for n in a b c; do offload_line $n; done
echo
echo "iperf3 ${SECS}s per test, TUN MTU ${TUN_MTU:-1280}, $(nproc) cores; CPU = utime+stime of the three fips daemons during the test"
