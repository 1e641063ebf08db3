#!/usr/bin/env bash
# The daemon as an unprivileged user (issue 13): A and B run as `nobody`
# with CAP_NET_ADMIN as their only capability (ambient, bounding set
# reduced to it, as packaging/fips.service grants it): fips0 comes up on
# both, they link, and ping6 crosses. C runs as `nobody` with no capability:
# it logs one warning naming CAP_NET_ADMIN, runs without the TUN, still
# links to B and answers on its control socket.
source "$(dirname "$0")/lib.sh"
need_root "unprivileged"
command -v setpriv >/dev/null || { echo "SKIP: unprivileged needs setpriv (util-linux)"; exit 0; }
getent passwd nobody >/dev/null || { echo "SKIP: unprivileged needs the nobody user"; exit 0; }
group=$(id -gn nobody)

# The daemons read their configs and write keys and sockets in $WORK.
chmod 0755 "$WORK"
mkhost a; mkhost b; mkhost c
link a b 1; link b c 2
chown -R nobody:"$group" "$WORK/a" "$WORK/b" "$WORK/c"

# /dev/net/tun is 0666 on a stock system; some containers make it 0600,
# which no capability short of CAP_DAC_OVERRIDE opens. Then a 0666 node of
# the same device is bind-mounted over it inside the daemons' namespaces
# only (ip netns exec gives each command its own mount namespace).
tun_node=""
if ! setpriv --reuid nobody --regid "$group" --clear-groups test -w /dev/net/tun; then
  tun_node="$WORK/tun"
  mknod -m 0666 "$tun_node" c 10 200
fi

ustart() {  # NAME CAPS: CAPS "net_admin" or "none"
  local n=$1 caps=$2 bind="" setcaps
  [ -n "$tun_node" ] && bind="mount --bind $tun_node /dev/net/tun && "
  if [ "$caps" = net_admin ]; then
    setcaps="--inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin --bounding-set=-all,+net_admin"
  else
    setcaps="--inh-caps=-all --bounding-set=-all"
  fi
  ip netns exec "$(ns "$n")" sh -c "${bind}exec setpriv --reuid nobody --regid $group --clear-groups \
    $setcaps $FIPS -c $WORK/$n/fips.yaml" >"$WORK/$n/log" 2>&1 &
  PIDS+=($!)
  echo $! >"$WORK/$n/pid"
}

# DNS on an unprivileged port (53 would need CAP_NET_BIND_SERVICE).
DNS_PORT=5354 config a b:10.77.1.2
DNS_PORT=5354 config b
DNS_PORT=5354 config c b:10.77.2.1
chmod 0644 "$WORK"/*/fips.yaml
ustart b net_admin; ustart a net_admin; ustart c none

wait_until 20 has_peers b 2 || fail "B did not link to A and C"
wait_until 10 tun_up a || fail "A's TUN did not come up as nobody with CAP_NET_ADMIN"
wait_until 10 tun_up b || fail "B's TUN did not come up as nobody with CAP_NET_ADMIN"
for n in a b c; do
  pid=$(pid_of "$n")
  user=$(ps -o user= -p "$pid" | tr -d ' ')
  [ "$user" = nobody ] || fail "$n runs as '$user', not nobody"
  eff=$(awk '/^CapEff/ {print $2}' "/proc/$pid/status")
  if [ "$n" = c ]; then want=0000000000000000; else want=0000000000001000; fi
  [ "$eff" = "$want" ] || fail "$n: effective capabilities $eff, expected $want"
done
pass "A and B run as nobody with only CAP_NET_ADMIN (CapEff 0x1000) and fips0 up; C with none"

cb=$(fips_addr b)
wait_until 20 ctl a lookup "$(npub b)" || fail "A could not look up B"
wait_until 20 nsx a ping6 -c 1 -W 1 "$cb" || fail "ping6 A -> B ($cb) failed"
pass "ping6 A -> B over fips0 between two unprivileged daemons"

# C: no capability, no TUN, everything else running.
state=$(ctl c show status | json 'd["tun_state"]')
[ "$state" = failed ] || fail "C's tun_state is '$state', expected failed"
n=$(grep -c "WARN Failed to initialize TUN" "$WORK/c/log" || true)
[ "$n" = 1 ] || fail "C logged $n TUN warnings, expected exactly 1"
grep "WARN Failed to initialize TUN" "$WORK/c/log" | grep -q "needs CAP_NET_ADMIN" ||
  fail "C's TUN warning does not name CAP_NET_ADMIN: $(grep 'TUN' "$WORK/c/log")"
grep -q "ERROR" "$WORK/c/log" && fail "C logged an error: $(grep ERROR "$WORK/c/log")"
has_peers c 1 || fail "C did not link to B without its TUN"
pass "C without CAP_NET_ADMIN: one warning naming it, no TUN, linked to B, control socket answers"
