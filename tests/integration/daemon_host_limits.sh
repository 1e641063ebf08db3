#!/usr/bin/env bash
# Host limits a service operator is told about (issue 13, daemon/host_limits.h):
#  1. a soft RLIMIT_NOFILE below what the configured connection limits need
#     is raised to the hard limit (info); a hard limit below it is warned
#     about with the numbers;
#  2. a UDP receive buffer the kernel clamps (request above
#     net.core.rmem_max, no CAP_NET_ADMIN to force it) gets one warning
#     naming net.core.rmem_max;
#  3. a datagram longer than the receive buffer (MTU + 100) is counted as
#     stats.truncated in show_transports, not lost silently.
source "$(dirname "$0")/lib.sh"
command -v prlimit >/dev/null || { echo "SKIP: daemon_host_limits needs prlimit (util-linux)"; exit 0; }

# Run a daemon with no capabilities (root would force the buffer sizes past
# the sysctl): setpriv clears them when we are root; others have none.
nocaps=()
if [ "$(id -u)" -eq 0 ]; then
  command -v setpriv >/dev/null || { echo "SKIP: daemon_host_limits as root needs setpriv"; exit 0; }
  nocaps=(setpriv --inh-caps=-all --bounding-set=-all)
fi
rmem_max=$(cat /proc/sys/net/core/rmem_max)
want_rcv=$(( rmem_max * 2 ))
# The daemon caps a request at INT_MAX / 2; above that nothing can be clamped.
[ "$want_rcv" -gt 1073741823 ] && { echo "SKIP: net.core.rmem_max $rmem_max is too large to clamp"; exit 0; }

node a
port=$(free_port); tport=$(free_port)
cat >"$WORK/a/fips.yaml" <<EOF
node: { identity: { persistent: true }, control: { socket_path: "$WORK/a/control.sock" } }
transports:
  udp: { bind_addr: "127.0.0.1:$port", recv_buf_size: $want_rcv }
  tcp: { bind_addr: "127.0.0.1:$tport" }
dns: { enabled: false }
EOF
hard=$(ulimit -Hn)
# Default limits with one TCP transport: 128 + 1 UDP + 256 outbound + (1 + 256) inbound.
need=642
[ "$hard" != unlimited ] && [ "$hard" -lt 700 ] && { echo "SKIP: hard RLIMIT_NOFILE $hard is too low to test raising"; exit 0; }

# 1a. Soft 64, hard plenty: raised, no warning.
"${nocaps[@]}" prlimit --nofile=64:"$hard" "$FIPS" -c "$WORK/a/fips.yaml" >"$WORK/a/log" 2>&1 &
PIDS+=($!); pid=$!
wait_until 10 ctl a show status || fail "daemon did not come up with a soft limit of 64"
grep -q "INFO Raised the open-file soft limit (RLIMIT_NOFILE) from 64 to " "$WORK/a/log" ||
  fail "soft limit 64 was not raised: $(grep -i rlimit "$WORK/a/log")"
grep -q "WARN Open-file limit" "$WORK/a/log" && fail "warned although the hard limit suffices"
soft_now=$(awk '/Max open files/ {print $4}' "/proc/$pid/limits")
[ "$soft_now" = "$hard" ] || [ "$hard" = unlimited ] || fail "soft limit is $soft_now, expected $hard"
pass "soft RLIMIT_NOFILE 64 raised to the hard limit $hard (need $need)"

# 2. The clamped receive buffer: one warning naming the sysctl.
n=$(grep -c "WARN UDP recv buffer clamped by kernel (increase net.core.rmem_max)" "$WORK/a/log" || true)
[ "$n" = 1 ] || fail "expected one rmem_max warning (requested $want_rcv > rmem_max $rmem_max), got $n"
grep -q "WARN UDP send buffer clamped" "$WORK/a/log" && [ "$(cat /proc/sys/net/core/wmem_max)" -ge 2097152 ] &&
  fail "send buffer warning although wmem_max covers the default 2 MiB"
pass "clamped UDP receive buffer: one warning naming net.core.rmem_max ($want_rcv requested, max $rmem_max)"

# 3. Oversized datagrams are counted.
python3 - "$port" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3):
    s.sendto(b"\x01" * 2000, ("127.0.0.1", int(sys.argv[1])))
PY
trunc() { ctl a show transports | json '[t for t in d["transports"] if t["type"] == "udp"][0]["stats"].get("truncated", 0)'; }
wait_until 10 test "$(trunc)" = 3 || fail "show_transports truncated = $(trunc), expected 3"
pass "three 2000-byte datagrams counted as stats.truncated in show_transports"
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true

# 1b. Hard limit below the need: raised as far as allowed, and a warning.
"${nocaps[@]}" prlimit --nofile=64:300 "$FIPS" -c "$WORK/a/fips.yaml" >"$WORK/a/log" 2>&1 &
PIDS+=($!); pid=$!
wait_until 10 ctl a show status || fail "daemon did not come up with a hard limit of 300"
grep -q "INFO Raised the open-file soft limit (RLIMIT_NOFILE) from 64 to 300" "$WORK/a/log" ||
  fail "soft limit not raised to 300: $(grep -i rlimit "$WORK/a/log")"
grep -q "WARN Open-file limit (RLIMIT_NOFILE) 300 (hard 300) is below the $need descriptors" "$WORK/a/log" ||
  fail "no warning naming 300 and $need: $(grep -i rlimit "$WORK/a/log")"
pass "hard RLIMIT_NOFILE 300 below the need $need: raised to 300 and warned with the numbers"
