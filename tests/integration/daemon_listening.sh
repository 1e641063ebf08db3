#!/usr/bin/env bash
# show_listening_sockets against a live daemon, no root needed: a TCP
# listener on [::] is listed with its process and as a wildcard bind, one on
# [::1] is not (fips0 cannot reach it), the daemon's own UDP socket on [::]
# is listed as fips's; ten clients asking at once all get the answer (one
# collection on the worker thread serves them) while show_status keeps
# answering. The firewall verdicts need nft and a namespace: tests/netns/firewall.sh.
source "$(dirname "$0")/lib.sh"

node a
UDP=$(free_port)
mk_config a "$UDP"
sed -i "s|127.0.0.1:$UDP|[::]:$UDP|" "$WORK/a/fips.yaml"
start a
wait_until 10 ctl a show status || fail "daemon did not answer"

read -r WILD LOOP < <(python3 -c '
import socket
a = socket.socket(socket.AF_INET6); a.bind(("::", 0)); b = socket.socket(socket.AF_INET6); b.bind(("::1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
python3 - "$WILD" "$LOOP" <<'PY' &
import socket, sys, time
socks = []
for addr, port in (("::", int(sys.argv[1])), ("::1", int(sys.argv[2]))):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(1); socks.append(s)
time.sleep(120)
PY
PIDS+=($!)
listed() { ctl a show listening-sockets | json "any(s['port']==$WILD for s in d['sockets'])" | grep -q True; }
wait_until 10 listed || fail "the [::]:$WILD listener is not listed: $(ctl a show listening-sockets)"

out=$(ctl a show listening-sockets)
addr=$(ctl a show status | json 'd["ipv6_addr"]')
# One check of the whole reply: prints what is wrong, nothing when all is right.
why=$(REPLY_JSON=$out python3 - "$WILD" "$LOOP" "$UDP" "$(pid_of a)" "$addr" <<'PY'
import json, os, sys
wild, loop, udp, pid = map(int, sys.argv[1:5]); d = json.loads(os.environ["REPLY_JSON"])
row = lambda proto, port: next((s for s in d["sockets"] if s["proto"] == proto and s["port"] == port), None)
t = row("tcp", wild)
checks = [
    (sorted(d) == ["fips0_addr", "firewall_active", "sockets"], "reply keys"),
    (isinstance(d["firewall_active"], bool), "firewall_active not a bool"),
    (d["fips0_addr"] == sys.argv[5], "fips0_addr is not the node's address"),
    (t is not None and t["process"] == "python3" and t["wildcard_bind"] is True and t["local_addr"] == "::",
     "the [::] listener's row"),
    (t is not None and sorted(t) == ["filter", "local_addr", "pid", "port", "process", "proto", "wildcard_bind"],
     "row keys"),
    (row("tcp", loop) is None, "the [::1] listener is listed"),
    ((row("udp", udp) or {}).get("process") == "fips" and (row("udp", udp) or {}).get("pid") == pid,
     "the daemon's own UDP socket"),
]
print("; ".join(m for ok, m in checks if not ok))
PY
) || fail "checking the reply failed: $out"
[ -z "$why" ] || fail "$why: $out"
pass "[::]:$WILD listed as python3 (wildcard), [::1]:$LOOP not, the daemon's [::]:$UDP as fips"

qs=()
for i in $(seq 10); do ctl a show listening-sockets >"$WORK/a/q$i" 2>&1 & qs+=($!); done
st=$(ctl a show status | json 'd["state"]') || fail "show_status during the queries"
for q in "${qs[@]}"; do wait "$q" || true; done
python3 - "$WILD" "$WORK"/a/q* <<'PY' || fail "a concurrent query went unanswered"
import json, sys
for f in sys.argv[2:]:
    d = json.load(open(f))
    assert any(s["port"] == int(sys.argv[1]) for s in d["sockets"]), f
PY
pass "10 concurrent queries all answered; show_status answered meanwhile ($st)"
