#!/usr/bin/env bash
# make demo as root: three network namespaces in a line A - B - C joined by
# veth pairs (A and C are not adjacent), one fips daemon each with its TUN
# (fips0) and DNS responder. Unmodified programs on A reach C through B:
# ping6 to C's <npub>.fips name (resolved by A's node), and curl fetching a
# file that python3 -m http.server serves on C's fd00:: address. Everything
# is removed on exit (trap in tests/netns/lib.sh).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NS_PREFIX=fipsdemo
source "$ROOT/tests/netns/lib.sh"
need_root "the namespace demo"
[ -x "$FIPS" ] && [ -x "$FIPSCTL" ] || { echo "demo: build first (make)" >&2; exit 1; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# A previous demo killed hard may have left namespaces behind.
for n in a b c; do ip netns del "$(ns $n)" 2>/dev/null || true; done

mkhost a; mkhost b; mkhost c
link a b 1; link b c 2
config a b:10.77.1.2
config b
config c b:10.77.2.1
say "three namespaces: A (10.77.1.1) -- B (10.77.1.2 | 10.77.2.1) -- C (10.77.2.2), UDP links"
for n in a b c; do echo "   node $n: $(npub $n)"; done
start b; start a; start c
wait_until 15 has_peers b 2 || fail "B did not link to A and C"
wait_until 10 tun_up a && wait_until 10 tun_up c || fail "TUN devices did not come up"

say "fipsctl show peers (on A: only B is adjacent)"
ctl a show peers

name="$(npub c).fips"
say "ping6 from A to C by name: $name"
for i in $(seq 1 30); do nsx a ping6 -c 1 -W 1 "$name" >/dev/null 2>&1 && break; sleep 0.5; done
nsx a ping6 -c 4 -i 0.3 "$name" || fail "ping6 by name failed"

ca=$(fips_addr c)
say "HTTP: python3 -m http.server on C's [$ca]:8080, fetched by curl on A"
mkdir -p "$WORK/c/www"
echo "hello from C ($(npub c)), served over FIPS" >"$WORK/c/www/hello.txt"
head -c 1048576 /dev/urandom >"$WORK/c/www/blob.bin"
(cd "$WORK/c/www" && exec ip netns exec "$(ns c)" python3 -m http.server 8080 --bind "$ca" >"$WORK/c/http.log" 2>&1) &
PIDS+=($!)
for i in $(seq 1 30); do nsx a curl -sf -m 2 -g "http://[$ca]:8080/hello.txt" >/dev/null 2>&1 && break; sleep 0.3; done
nsx a curl -sS -m 10 -g "http://[$ca]:8080/hello.txt" || fail "HTTP fetch failed"
nsx a curl -sS -m 10 -g -o "$WORK/a/blob.bin" -w "   1 MiB blob: %{size_download} bytes in %{time_total} s\n" "http://[$ca]:8080/blob.bin"
cmp -s "$WORK/a/blob.bin" "$WORK/c/www/blob.bin" && echo "   blob identical at both ends" || fail "blob differs"

say "fipsctl show sessions (on A: one end-to-end session, with C)"
ctl a show sessions
say "fipsctl ping C (native echo over the same session)"
ctl a ping -c 3 -i 0.3 "$(npub c)"
say "tearing down (SIGTERM: each node sends Disconnect(Shutdown); namespaces removed)"
