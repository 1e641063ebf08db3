#!/usr/bin/env bash
# TCP slots cannot be squatted (issue 15, attack 4): 2,000 connections to A's
# TCP port, each sending one well-framed 32-byte packet and then nothing, are
# held open while B dials A over TCP. B must link within 2 s; A must count the
# squatters it closed; and a squatter that keeps sending frames without a
# handshake is closed by the handshake deadline (10 s) all the same.
source "$(dirname "$0")/lib.sh"

node a; node b
ua=$(free_port); ub=$(free_port); ta=$(free_port)
cat >"$WORK/a/fips.yaml" <<EOF
node: { identity: { persistent: true }, control: { socket_path: "$WORK/a/control.sock" } }
transports: { udp: { bind_addr: "127.0.0.1:$ua" }, tcp: { bind_addr: "127.0.0.1:$ta" } }
dns: { enabled: false }
EOF
cat >"$WORK/b/fips.yaml" <<EOF
node: { identity: { persistent: true }, control: { socket_path: "$WORK/b/control.sock" } }
transports: { udp: { bind_addr: "127.0.0.1:$ub" }, tcp: {} }
dns: { enabled: false }
peers:
  - npub: "$(npub a)"
    addresses: [ { transport: tcp, addr: "127.0.0.1:$ta" } ]
EOF
start a
wait_until 10 test -S "$WORK/a/control.sock" || fail "A has no control socket"

# The squatters: 2,000 connections, one framed packet each, held for 25 s.
cat >"$WORK/squat.py" <<'PY'
import resource, socket, struct, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 256), hard))
# An established-phase frame: prefix (phase 0, payload_len 12) + 28 bytes.
frame = bytes([0x00, 0x00]) + struct.pack("<H", 12) + bytes(28)
held = []
for _ in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    held.append(s)
time.sleep(0.5)
sent = 0
for s in held:
    try:
        s.send(frame)
        sent += 1
    except OSError:
        pass
print("squatting", len(held), "sent", sent, flush=True)
time.sleep(25)
PY
python3 "$WORK/squat.py" "$ta" 2000 >"$WORK/squat.log" 2>&1 &
PIDS+=($!)
wait_until 15 grep -q squatting "$WORK/squat.log" || fail "the squatters did not start: $(cat "$WORK/squat.log")"
cat "$WORK/squat.log"
t0=$(date +%s%N)
start b
wait_until 10 has_peers b 1 || fail "B did not link to A over TCP while 2,000 connections squatted"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 2000 ] || fail "B took $ms ms to link (goal: 2 s)"
evicted=$(ctl a show transports | json '[t["stats"].get("unauthenticated_evicted", 0) for t in d["transports"] if t["type"]=="tcp"][0]')
[ "$evicted" -ge 1500 ] || fail "A closed only $evicted squatting connections"
pass "B linked over TCP in $ms ms while 2,000 connections squatted; A closed $evicted of them"

# Those still open are closed by the handshake deadline, frames or not.
ok_after_deadline() {
  [ "$(ctl a show transports | json '[t["stats"]["pool_inbound"] for t in d["transports"] if t["type"]=="tcp"][0]')" = 1 ]
}
wait_until 15 ok_after_deadline || fail "squatters were still open after the handshake deadline"
has_peers b 1 || fail "B lost its link"
pass "after the 10 s handshake deadline only B's connection is open"
