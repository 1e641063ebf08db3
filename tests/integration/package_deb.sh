#!/usr/bin/env bash
# make deb end to end (issue 13, root only): build the package from the
# release binaries, lintian it (when installed), dpkg -i it, check what it
# installed (owners, modes, conffiles, the fips user and group, the units),
# run the installed daemon as the fips user with only CAP_NET_ADMIN in a
# network namespace and reach its control socket as a member of the fips
# group; two build-tree nodes dial it there: one links, the one listed in
# /etc/fips/peers.deny is refused (counted, logged, and it does not believe it
# is linked). Reinstall over itself (same key and modes), then dpkg --purge and
# check that nothing is left: files, /run/fips,
# unit state, user, group. The trap purges whatever a failure left behind.
# Then make install as root into a scratch PREFIX: the same user, group and
# /etc/fips ownership as the package's postinst, removed again afterwards.
# Refuses to run (skips) on a machine that already has a fips package,
# /etc/fips, or a fips user or group, so it never touches a real install.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: package_deb needs root (dpkg -i)"; exit 0; }
for t in dpkg-deb dpkg-shlibdeps setpriv ip; do
  command -v "$t" >/dev/null || { echo "SKIP: package_deb needs $t"; exit 0; }
done
if dpkg-query -W -f='${Status}' fips 2>/dev/null | grep -q installed || [ -e /etc/fips ] ||
  getent passwd fips >/dev/null || getent group fips >/dev/null; then
  echo "SKIP: package_deb: this machine already has a fips package, /etc/fips or a fips user/group"
  exit 0
fi

NS=fipsdeb$$
LIVE_INSTALL=0
pkg_cleanup() {
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  if dpkg-query -W -f='${Status}' fips 2>/dev/null | grep -qv not-installed; then
    dpkg --purge fips >/dev/null 2>&1 || true
  fi
  if [ "$LIVE_INSTALL" = 1 ]; then  # none of these existed before (checked above)
    rm -rf /etc/fips
    userdel fips 2>/dev/null || true
    groupdel fips 2>/dev/null || true
  fi
  cleanup
}
trap pkg_cleanup EXIT INT TERM

# What must look the same after the purge.
snapshot() {
  ls -1A /etc/systemd/system /etc/systemd/system/multi-user.target.wants 2>/dev/null || true
  ls -R /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked 2>/dev/null || true
  ls /usr/lib/tmpfiles.d /lib/systemd/system 2>/dev/null | grep -i fips || true
}
snapshot >"$WORK/before"

deb=$(BUILD_DIR="$(dirname "$BIN")" OUT_DIR="$WORK/out" bash "$ROOT/scripts/build-deb.sh" | tail -n 1)
[ -f "$deb" ] || fail "build-deb.sh made no package"
pass "built $(basename "$deb")"

if command -v lintian >/dev/null; then
  # Errors and warnings; the package's documented overrides apply.
  out=$(lintian --fail-on error,warning "$deb" 2>&1) || fail "lintian: $out"
  pass "lintian: no errors or warnings"
else
  echo "note: lintian not installed; skipped"
fi

dpkg -i "$deb" >"$WORK/dpkg.log" 2>&1 || fail "dpkg -i failed: $(cat "$WORK/dpkg.log")"
/usr/bin/fips --version | grep -q '^fips ' || fail "/usr/bin/fips --version: $(/usr/bin/fips --version 2>&1)"
mkdir -p "$WORK/keys"
/usr/bin/fipsctl keygen -d "$WORK/keys" >/dev/null 2>&1 || fail "installed fipsctl keygen failed"
grep -q '^npub1' "$WORK/keys/fips.pub" || fail "fipsctl keygen wrote no npub"
pass "installed /usr/bin/fips --version and /usr/bin/fipsctl keygen work"

want() {  # want PATH MODE OWNER:GROUP
  local got; got=$(stat -c '%a %U:%G' "$1" 2>/dev/null) || fail "$1 missing"
  [ "$got" = "$2 $3" ] || fail "$1 is $got, expected $2 $3"
}
want /usr/bin/fips 755 root:root
want /usr/bin/fipsctl 755 root:root
want /usr/bin/fipstop 755 root:root
want /etc/fips 750 root:fips
want /etc/fips/fips.yaml 640 root:fips
want /etc/fips/fips.key 600 fips:fips
want /etc/fips/fips.pub 644 fips:fips
want /lib/systemd/system/fips.service 644 root:root
want /usr/lib/tmpfiles.d/fips.conf 644 root:root
dpkg-query -W -f='${Conffiles}\n' fips | grep -q '^ /etc/fips/fips.yaml ' ||
  fail "fips.yaml is not a conffile: $(dpkg-query -W -f='${Conffiles}' fips)"
if [ -f "$ROOT/packaging/fips.nft" ]; then
  want /etc/fips/fips.nft 644 root:root
  want /lib/systemd/system/fips-firewall.service 644 root:root
  dpkg-query -W -f='${Conffiles}\n' fips | grep -q '^ /etc/fips/fips.nft ' || fail "fips.nft is not a conffile"
fi
getent passwd fips | grep -q ':/usr/sbin/nologin$' || fail "fips user: $(getent passwd fips)"
[ "$(id -gn fips)" = fips ] || fail "the fips user's group is $(id -gn fips)"
pass "owners and modes: binaries 0755 root, /etc/fips 0750 root:fips, fips.yaml 0640 conffile, key 0600 fips"

if command -v systemd-analyze >/dev/null; then
  out=$(systemd-analyze verify /lib/systemd/system/fips.service 2>&1) || fail "systemd-analyze verify: $out"
  [ -z "$out" ] || fail "systemd-analyze verify: $out"
  pass "systemd-analyze verify fips.service: clean"
fi

# The installed daemon as the unit runs it: user fips, CAP_NET_ADMIN only,
# the packaged config and key; the control socket in /run/fips (the tmpfiles
# entry), used by a member of the fips group. A namespace keeps its UDP/TCP
# ports and fips0 off the host.
systemd-tmpfiles --create /usr/lib/tmpfiles.d/fips.conf 2>/dev/null || install -d -m 0750 -o fips -g fips /run/fips
want /run/fips 750 fips:fips
ip netns add "$NS"
ip -n "$NS" link set lo up
tun_bind=""
if ! setpriv --reuid fips --regid fips --init-groups test -w /dev/net/tun; then
  mknod -m 0666 "$WORK/tun" c 10 200  # some containers have a 0600 /dev/net/tun: see tests/netns/unprivileged.sh
  chmod 0755 "$WORK"
  tun_bind="mount --bind $WORK/tun /dev/net/tun && "
fi
# Two build-tree nodes will dial it: F, and D, whom the admin denies.
node f; node d
printf '# denied by the package test\n%s\n' "$(npub d)" >/etc/fips/peers.deny
chown root:fips /etc/fips/peers.deny; chmod 0640 /etc/fips/peers.deny
ip netns exec "$NS" sh -c "${tun_bind}exec setpriv --reuid fips --regid fips --init-groups \
  --inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin --bounding-set=-all,+net_admin \
  /usr/bin/fips --config /etc/fips/fips.yaml" >"$WORK/daemon.log" 2>&1 &
PIDS+=($!)
member() { setpriv --reuid nobody --regid fips --clear-groups "$@"; }
status() { member timeout 5 /usr/bin/fipsctl show status; }
wait_until 15 status || fail "no answer on /run/fips/control.sock to a fips group member: $(cat "$WORK/daemon.log")"
state=$(status | json 'd["tun_state"]')
[ "$state" = active ] || fail "installed daemon's tun_state is $state: $(cat "$WORK/daemon.log")"
want /run/fips/control.sock 770 fips:fips
grep -E "WARN|ERROR" "$WORK/daemon.log" && fail "the installed daemon warned: $(cat "$WORK/daemon.log")"
pass "installed daemon as fips with CAP_NET_ADMIN: fips0 active, no warnings, socket 0770 fips:fips answers the group"
# It joins a mesh and refuses the denied peer: F and D (build tree, no TUN)
# dial its packaged UDP port in the same namespace.
inpub=$(status | json 'd["npub"]')
for n in f d; do
  cat >"$WORK/$n/fips.yaml" <<YAML
node: { identity: { persistent: true }, control: { socket_path: "$WORK/$n/control.sock" } }
tun: { enabled: false }
dns: { enabled: false }
transports: { udp: { bind_addr: "127.0.0.1:0" } }
peers:
  - npub: "$inpub"
    addresses: [ { transport: udp, addr: "127.0.0.1:2121" } ]
YAML
  ip netns exec "$NS" "$FIPS" -c "$WORK/$n/fips.yaml" >"$WORK/$n/log" 2>&1 &
  PIDS+=($!)
done
installed_lists() { local out; out=$(member timeout 5 /usr/bin/fipsctl show peers) && grep -q "$1" <<<"$out"; }
denied_counted() { [ "$(member timeout 5 /usr/bin/fipsctl stats metrics | json 'd["link"]["acl_denied"]')" -ge 1 ]; }
wait_until 15 installed_lists "$(npub f)" || fail "the installed daemon did not link to F: $(cat "$WORK/daemon.log")"
wait_until 15 denied_counted || fail "no ACL refusal counted: $(member /usr/bin/fipsctl stats metrics)"
installed_lists "$(npub d)" && fail "the denied peer D linked to the installed daemon"
[ "$(ctl f show status | json 'd["peer_count"]')" = 1 ] || fail "F does not see the link"
[ "$(ctl d show status | json 'd["peer_count"]')" = 0 ] || fail "D believes it is linked"
grep -q "Rejected peer by ACL" "$WORK/daemon.log" || fail "no ACL log line: $(cat "$WORK/daemon.log")"
pass "installed daemon joins a mesh (F linked) and refuses the peer in /etc/fips/peers.deny (D, counted and logged)"
rm -f /etc/fips/peers.deny
ip netns pids "$NS" | xargs -r kill -TERM
ns_empty() { [ -z "$(ip netns pids "$NS")" ]; }
wait_until 10 ns_empty || fail "installed daemon did not stop"
ip netns del "$NS"

# Reinstalling (dpkg's upgrade path) keeps the identity and the modes.
key_before=$(sha256sum </etc/fips/fips.key)
dpkg -i "$deb" >"$WORK/dpkg.log" 2>&1 || fail "dpkg -i over itself failed: $(cat "$WORK/dpkg.log")"
[ "$(sha256sum </etc/fips/fips.key)" = "$key_before" ] || fail "reinstalling replaced /etc/fips/fips.key"
want /etc/fips 750 root:fips
want /etc/fips/fips.yaml 640 root:fips
want /etc/fips/fips.key 600 fips:fips
pass "reinstall: same key, same owners and modes"

dpkg --purge fips >"$WORK/dpkg.log" 2>&1 || fail "dpkg --purge failed: $(cat "$WORK/dpkg.log")"
for p in /usr/bin/fips /usr/bin/fipsctl /usr/bin/fipstop /etc/fips /run/fips \
  /lib/systemd/system/fips.service /lib/systemd/system/fips-firewall.service \
  /usr/lib/tmpfiles.d/fips.conf /usr/share/doc/fips; do
  [ -e "$p" ] && fail "$p left behind after purge"
done
getent passwd fips >/dev/null && fail "fips user left behind after purge"
getent group fips >/dev/null && fail "fips group left behind after purge"
dpkg-query -W -f='${Status}' fips 2>/dev/null | grep -q installed && fail "dpkg still lists fips"
snapshot >"$WORK/after"
diff -u "$WORK/before" "$WORK/after" || fail "systemd state differs after purge"
pass "dpkg --purge: no files, no /etc/fips, no /run/fips, no unit state, no fips user or group"

# make install on the live system (binaries under a scratch PREFIX): the
# accounts and /etc/fips as the package makes them.
LIVE_INSTALL=1
PREFIX="$WORK/prefix" BUILD_DIR="$(dirname "$BIN")" bash "$ROOT/scripts/install.sh" >"$WORK/install.log" 2>&1 ||
  fail "scripts/install.sh failed: $(cat "$WORK/install.log")"
want "$WORK/prefix/bin/fips" 755 root:root
grep -q "^ExecStart=$WORK/prefix/bin/fips --config /etc/fips/fips.yaml" "$WORK/prefix/lib/systemd/system/fips.service" ||
  fail "installed unit does not start $WORK/prefix/bin/fips"
want /etc/fips 750 root:fips
want /etc/fips/fips.yaml 640 root:fips
want /etc/fips/fips.key 600 fips:fips
getent passwd fips | grep -q ':/usr/sbin/nologin$' || fail "make install: fips user: $(getent passwd fips)"
echo "# edited" >>/etc/fips/fips.yaml
PREFIX="$WORK/prefix" BUILD_DIR="$(dirname "$BIN")" bash "$ROOT/scripts/install.sh" >"$WORK/install.log" 2>&1 ||
  fail "scripts/install.sh (again) failed: $(cat "$WORK/install.log")"
tail -n 1 /etc/fips/fips.yaml | grep -q '^# edited$' || fail "make install replaced an existing fips.yaml"
pass "make install as root: binaries in PREFIX, unit pointing at them, fips user, /etc/fips 0750 root:fips, an existing fips.yaml kept"
