#!/usr/bin/env bash
# fipstop against a live three-node line A - B - C on loopback, driven through
# tmux: every tab at 80x24 shows B's peers, counts and states (the Gateway tab
# says no fips-gateway is reachable); selection,
# detail, help and the Del confirmation work; a resize to 200x50 shows the
# wide columns; killing B shows "daemon unreachable" and restarting it
# recovers without touching fipstop; q and Ctrl-C end it with the shell
# prompt back (exit status 0). Skips when tmux is missing.
source "$(dirname "$0")/lib.sh"
FIPSTOP=${FIPSTOP:-$BIN/fipstop}
command -v tmux >/dev/null || { echo "skip: tmux not installed (scripts/install-deps.sh)"; exit 0; }
[ -x "$FIPSTOP" ] || fail "no fipstop binary at $FIPSTOP"

TMUX_SOCK=$WORK/tmux.sock
tm() { tmux -S "$TMUX_SOCK" "$@"; }
trap 'tm kill-server 2>/dev/null || true; cleanup' EXIT INT TERM

node a; node b; node c
ua=$(free_port); ub=$(free_port); uc=$(free_port)
mk_config a "$ua" b "$ub"; mk_config b "$ub"; mk_config c "$uc" b "$ub"
start b; start a; start c
wait_until 10 has_peers b 2 || fail "B did not link to A and C"
# A session A -> C (two hops) for the Sessions tab.
ctl a ping -c 2 -i 0.2 "$(npub c)" >/dev/null 2>&1 || fail "ping A -> C failed"

na=$(npub a); nb=$(npub b); nc=$(npub c)
short() { echo "${1:0:12}"; }  # the Npub column shows npub1 + 7 chars, "...", the last 4

# Each fipstop runs in a plain shell inside its own tmux session, so that after
# it exits the pane shows the shell (and the exit status it printed).
run_top() {  # run_top SESSION WIDTH HEIGHT NODE
  tm new-session -d -s "$1" -x "$2" -y "$3" "env -i PATH=$PATH TERM=xterm-256color HOME=$WORK PS1='shell\$ ' bash --norc --noprofile"
  tm send-keys -t "$1" "$FIPSTOP -s $WORK/$4/control.sock --gateway-socket $WORK/no-gateway.sock -r 0.5; echo FIPSTOP_EXIT=\$?" Enter
}
screen() { tm capture-pane -p -t "$1"; }
# The screen is captured first: with pipefail, grep -q closing the pipe early
# could fail a capture that did match.
shows() { local text; text=$(screen "$1"); grep -qF -- "$2" <<<"$text"; }
shows_re() { local text; text=$(screen "$1"); grep -qE -- "$2" <<<"$text"; }
expect() {  # expect SESSION TEXT WHAT: waits up to 10 s for TEXT on the screen
  wait_until 10 shows "$1" "$2" || { screen "$1"; fail "$3: '$2' not on the screen"; }
}
absent() { ! shows "$1" "$2"; }
key() { tm send-keys -t "$1" "${@:2}"; sleep 0.3; }
goto_tab() {  # goto_tab SESSION LABEL: Tab until [LABEL] is the active tab
  local i
  for i in $(seq 1 10); do shows "$1" "[$2]" && return 0; key "$1" Tab; done
  screen "$1"; fail "tab $2 not reached"
}

run_top s 80 24 b
expect s "$nb" "Node tab shows B's npub"
expect s "peers: 2  sessions: 0" "Node tab counts"
expect s " Connected " "status bar"
pass "Node tab at 80x24: B's npub, peer and session counts, Connected"
[ "$(screen s | wc -l)" -le 24 ] || fail "more than 24 lines at 80x24"
awk 'length($0) > 80 { exit 1 }' < <(screen s) || fail "a line wider than 80 columns"

goto_tab s Peers
expect s "Peers (2)" "Peers tab count"
expect s "$(short "$na")" "Peers tab lists A"
expect s "$(short "$nc")" "Peers tab lists C"
key s Down
key s Enter
expect s "Peer Detail" "peer detail view"
shows_re s "Npub: +($na|$nc)" || { screen s; fail "detail shows no full npub"; }
key s Escape
expect s "Peers (2)" "Esc closes the detail"
pass "Peers tab: both neighbours, selection and detail with the full npub"

# Del asks; n cancels; y disconnects (A redials B afterwards).
key s Delete
expect s "Disconnect peer" "Del opens the confirmation"
key s n
absent s "Disconnect peer" || fail "n did not cancel the confirmation"
key s Delete
expect s "Disconnect peer" "Del opens the confirmation again"
key s y
expect s "disconnected npub1" "disconnect result in the status bar"
pass "Del on a peer asks, n cancels, y sends disconnect"
wait_until 20 has_peers b 2 || fail "the disconnected peer did not come back"

goto_tab s Transports
expect s "Transports (1)" "Transports tab count"
expect s "udp 127.0.0.1:$ub" "Transports tab shows B's UDP transport"
key s Down
key s Right
expect s "127.0.0.1:$ua" "expanded transport lists the link to A"
expect s "127.0.0.1:$uc" "expanded transport lists the link to C"
pass "Transports tab: UDP transport, expanded to its two links"

goto_tab s Sessions
expect s "Sessions (0)" "B (transit) holds no session"
goto_tab s Tree
expect s "Tree State" "Tree tab"
expect s "Peers (2)" "Tree tab peer count"
key s f
expect s "> Peers (2)" "f moves the pane focus"
pass "Tree tab: state, two tree peers, pane focus"
goto_tab s Filters
expect s "Peer Filters (2)" "Filters tab"
goto_tab s Performance
# Our daemon answers show_mmp: one row per linked peer, with a measured SRTT.
expect s "Link MMP (2)" "Performance tab: B's two links"
goto_tab s Routing
expect s "Lookups" "Routing tab"
expect s "Coord Cache" "Routing tab tables"
goto_tab s Graphs
# B's history: peer_count is a steady 2, drawn (this shell has no UTF-8
# locale, so in ASCII cells) as a row of marks on the baseline under its title.
expect s "peer_count  [peers]" "Graphs tab: the peer_count plot"
key s Left  # the 1 min window: a few seconds of samples fill several cells
expect s "window: 1m   granularity: 1s" "Left selects the 1 min window"
graph_rows() { screen s | grep -A4 -F "peer_count  [peers]" | grep -qE '^  [ .:|#]*[.:|#]{3,}'; }
wait_until 15 graph_rows || { screen s; fail "Graphs tab: no plotted samples under peer_count"; }
key s m
expect s "mode: metric-by-peer [srtt_ms]" "m cycles the Graphs mode"
expect s "sort: name^" "Graphs by-peer list"
pass "Filters, Performance (Link MMP, 2 links), Routing, Graphs (peer_count plotted, window and mode keys) tabs draw"
goto_tab s Gateway
expect s "fips-gateway not reachable at $WORK/no-gateway.sock" "Gateway tab without a gateway"
expect s " Connected " "the daemon stays Connected while the gateway is absent"
pass "Gateway tab: no fips-gateway is said, the daemon stays Connected"

goto_tab s Graphs
key s '?'
expect s "Help: Graphs" "help overlay"
key s Escape
absent s "Help: Graphs" || fail "Esc did not close the help"
pass "? opens and Esc closes the help overlay"

# Resize to 200x50: the Peers table grows its right-hand columns.
goto_tab s Peers
absent s "Pkts Rx" || fail "Pkts Rx fits at 80 columns?"
tm resize-window -t s -x 200 -y 50
expect s "Pkts Rx" "the wide Peers table after a resize"
[ "$(screen s | wc -l)" -eq 50 ] || fail "screen is not 50 lines after the resize"
pass "resize to 200x50 redraws with the wide columns"

# B dies: fipstop says so; B comes back: fipstop recovers by itself.
kill -KILL "$(pid_of b)"
expect s "daemon unreachable" "B killed"
start b
expect s " Connected " "B restarted"
# The restarted B has a new pid (Node tab) and starts with no peers until A
# and C notice it (up to their 30 s dead timeout).
goto_tab s Node
expect s "pid: $(pid_of b) " "the restarted daemon's pid"
pass "daemon killed -> 'daemon unreachable'; restarted -> Connected with the new daemon's data"

goto_tab s Peers
key s q
expect s "FIPSTOP_EXIT=0" "q exits with status 0"
expect s 'shell$' "the shell prompt is back"
absent s "[Peers]" || fail "the fipstop screen is still shown after q"
pass "q exits cleanly and restores the terminal"

# A second instance at 200x50 on A, for the Sessions tab, ended with Ctrl-C;
# NO_COLOR set (monochrome).
tm new-session -d -s t -x 200 -y 50 "env -i PATH=$PATH TERM=vt100 NO_COLOR=1 HOME=$WORK PS1='shell\$ ' bash --norc --noprofile"
tm send-keys -t t "$FIPSTOP -s $WORK/a/control.sock -r 0.5; echo FIPSTOP_EXIT=\$?" Enter
expect t "$na" "A's Node tab"
goto_tab t Sessions
expect t "Sessions (1)" "A's session count"
expect t "$(short "$nc")" "A's session is with C"
expect t "established" "A's session state"
pass "Sessions tab at 200x50 (NO_COLOR, vt100): A's established session with C"
key t C-c
expect t "FIPSTOP_EXIT=0" "Ctrl-C exits with status 0"
pass "Ctrl-C exits cleanly"

# A daemon that accepts and never answers: the keys still act at once, the
# status bar says unreachable after the request timeout, and q still ends it.
python3 - "$WORK/slow.sock" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(16)
held = []
while True:
    c, _ = s.accept(); held.append(c)
PY
PIDS+=($!)
wait_until 5 test -S "$WORK/slow.sock" || fail "slow socket not created"
tm new-session -d -s u -x 80 -y 24 "env -i PATH=$PATH TERM=xterm HOME=$WORK PS1='shell\$ ' bash --norc --noprofile"
tm send-keys -t u "$FIPSTOP -s $WORK/slow.sock -r 0.5; echo FIPSTOP_EXIT=\$?" Enter
expect u "[Node]" "fipstop on a silent socket"
t0=$(date +%s%N)
tm send-keys -t u Tab
expect u "[Peers]" "Tab while the socket is silent"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 1000 ] || fail "Tab took $ms ms on a silent socket"
expect u "daemon unreachable" "a silent daemon is reported"
tm send-keys -t u q
expect u "FIPSTOP_EXIT=0" "q on a silent socket"
pass "a silent daemon never blocks the keys (Tab in ${ms} ms); reported unreachable; q exits"

# The terminal goes away (tmux session killed: SIGHUP): fipstop ends.
tm new-session -d -s v -x 80 -y 24 "$FIPSTOP -s $WORK/c/control.sock -r 0.5"
expect v "$nc" "C's Node tab"
tm kill-session -t v
gone() { ! pgrep -f -- "-s $WORK/c/control.sock" >/dev/null; }
wait_until 5 gone || fail "fipstop still running after its terminal went away"
pass "fipstop ends when its terminal goes away"
