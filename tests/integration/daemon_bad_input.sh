#!/usr/bin/env bash
# Garbage at every door: 100,000 random and mutated datagrams at the UDP port,
# random bytes and oversized lines at the control socket, a TCP peer that sends
# a huge payload_len. The daemon stays up, its existing link stays up and its
# memory stays bounded; every drop is counted.
source "$(dirname "$0")/lib.sh"

node a; node b
ua=$(free_port); ub=$(free_port); tb=$(free_port)
cat >"$WORK/a/fips.yaml" <<YAML
node: { identity: { persistent: true }, control: { socket_path: "$WORK/a/control.sock" } }
transports: { udp: { bind_addr: "127.0.0.1:$ua" } }
dns: { enabled: false }
peers:
  - npub: "$(npub b)"
    addresses: [ { transport: udp, addr: "127.0.0.1:$ub" } ]
YAML
cat >"$WORK/b/fips.yaml" <<YAML
node: { identity: { persistent: true }, control: { socket_path: "$WORK/b/control.sock" } }
transports: { udp: { bind_addr: "127.0.0.1:$ub" }, tcp: { bind_addr: "127.0.0.1:$tb" } }
dns: { enabled: false }
YAML
start b; start a
wait_until 10 has_peers a 1 || fail "A and B did not link"
rss0=$(rss_kb "$(pid_of b)")

python3 - "$ub" <<'PY' || fail "garbage sender failed"
import os, random, socket, struct, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rnd = random.Random(7)
for i in range(100000):
    kind = i % 5
    if kind == 0:      # random bytes, random length
        d = os.urandom(rnd.randrange(0, 1500))
    elif kind == 1:    # established frame header with junk and a random index
        n = rnd.randrange(32, 1400)
        d = bytes([0, rnd.choice([0, 1, 4, 8]), ]) + struct.pack("<H", n - 32) + os.urandom(n - 4)
    elif kind == 2:    # msg1-shaped garbage (costs the receiver a DH only when well-formed)
        d = bytes([1, 0]) + struct.pack("<H", 110) + os.urandom(110)
    elif kind == 3:    # msg2-shaped garbage for unknown indices
        d = bytes([2, 0]) + struct.pack("<H", 65) + os.urandom(65)
    else:              # truncated prefixes / bad versions / bad phases
        d = bytes([rnd.randrange(256) for _ in range(rnd.randrange(0, 6))])
    try:
        s.sendto(d, ("127.0.0.1", port))
    except OSError:
        pass
PY
sleep 1
kill -0 "$(pid_of b)" || fail "B died under datagram garbage"
has_peers b 1 || fail "B lost its link to A under datagram garbage"
drops=$(ctl b stats metrics | json 'sum(v for k, v in d["link"].items() if k not in ("frames_in","frames_out","bytes_in","bytes_out","handshakes_completed","rekeys_completed","disconnects_received","disconnects_sent","peers_removed_dead","peers_removed_decrypt"))')
[ "$drops" -ge 90000 ] || fail "only $drops of 100,000 garbage datagrams were counted as drops"
pass "100,000 garbage datagrams: daemon up, link up, $drops counted as drops"

# Control socket: random bytes, a 1 MB line, invalid UTF-8, half-open clients.
python3 - "$WORK/b/control.sock" <<'PY' || fail "control garbage sender failed"
import os, socket, sys, time
path = sys.argv[1]
def send(data, read=True):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(10)
    c.connect(path)
    try:
        c.sendall(data)
        c.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    out = b""
    if read:
        try:
            while True:
                b = c.recv(65536)
                if not b: break
                out += b
        except OSError:
            pass
    c.close()
    return out
for i in range(200):
    send(os.urandom(i * 13 % 4000) + b"\n")
r = send(b"{" * 1_000_000 + b"\n")
assert b"request too large" in r, r[:200]
r = send(b"\xff\xfe\xfd\n")
assert b"error" in r, r
idle = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(20)]
for c in idle: c.connect(path)   # say nothing
r = send(b'{"command":"show_status"}\n')
assert b'"status":"ok"' in r, r[:200]
for c in idle: c.close()
PY
kill -0 "$(pid_of b)" || fail "B died under control-socket garbage"
pass "control socket: random bytes, 1 MB line, bad UTF-8, idle clients; still answers"

# TCP: a "peer" that announces a 65535-byte payload_len, and one that sends junk.
python3 - "$tb" <<'PY' || fail "tcp garbage sender failed"
import os, socket, struct, sys
port = int(sys.argv[1])
c = socket.create_connection(("127.0.0.1", port), timeout=5)
c.sendall(bytes([0, 0]) + struct.pack("<H", 65535) + os.urandom(4000))
c.settimeout(5)
try:
    assert c.recv(1) == b""        # the daemon closes this connection
except ConnectionResetError:
    pass
for _ in range(50):
    d = socket.create_connection(("127.0.0.1", port), timeout=5)
    d.sendall(os.urandom(3000))
    d.close()
PY
sleep 0.5
kill -0 "$(pid_of b)" || fail "B died under TCP garbage"
has_peers b 1 || fail "B lost its UDP link under TCP garbage"
errs=$(ctl b show transports | json '[t["stats"]["recv_errors"] for t in d["transports"] if t["type"]=="tcp"][0]')
[ "$errs" -ge 1 ] || fail "TCP framing errors were not counted (recv_errors=$errs)"
pass "TCP: huge payload_len closes only that connection (recv_errors=$errs)"

rss1=$(rss_kb "$(pid_of b)")
echo "B RSS: ${rss0} kB before, ${rss1} kB after"
[ "$rss1" -lt $(( rss0 + 20000 )) ] || fail "RSS grew from ${rss0} to ${rss1} kB"
pass "memory bounded"
