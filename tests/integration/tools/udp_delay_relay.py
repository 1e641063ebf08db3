#!/usr/bin/env python3
"""UDP relay that holds every datagram for a delay and drops a fraction of
them, per direction, changeable while it runs.

usage: udp_delay_relay.py LISTEN_PORT TARGET_PORT DELAY_MS
           [--drop-fwd F] [--drop-back F] [--control PORT]

A node dials 127.0.0.1:LISTEN_PORT; the relay forwards to 127.0.0.1:TARGET_PORT
from its own ephemeral socket ("fwd" direction), and sends the target's
replies back to the last address that wrote to LISTEN_PORT ("back"). Each
datagram is delivered DELAY_MS after it arrived (the kernel here has no
netem).

Drops: a fraction F in [0, 1) of each direction's datagrams, spaced evenly
(error diffusion: every datagram adds F to a credit, one is dropped each time
the credit reaches 1), so a short test sees the configured rate rather than
a random draw around it.

--control PORT: a UDP socket on 127.0.0.1:PORT taking one-line commands that
change the relay at run time, e.g. from bash
    echo "delay 100" > /dev/udp/127.0.0.1/$PORT
    echo "drop 0.1 0" > /dev/udp/127.0.0.1/$PORT      # fwd back
Datagrams already held keep the delay they were given.
"""
import heapq, select, socket, sys, time

args = sys.argv[1:]
listen_port, target_port = int(args[0]), int(args[1])
delay = float(args[2]) / 1000
drop = {"fwd": 0.0, "back": 0.0}
credit = {"fwd": 0.0, "back": 0.0}
control_port = None
i = 3
while i < len(args):
    if args[i] == "--drop-fwd":
        drop["fwd"] = float(args[i + 1])
    elif args[i] == "--drop-back":
        drop["back"] = float(args[i + 1])
    elif args[i] == "--control":
        control_port = int(args[i + 1])
    else:
        sys.exit("unknown option " + args[i])
    i += 2

front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
front.bind(("127.0.0.1", listen_port))
back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
back.bind(("127.0.0.1", 0))
socks = [front, back]
ctl = None
if control_port is not None:
    ctl = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ctl.bind(("127.0.0.1", control_port))
    socks.append(ctl)
target = ("127.0.0.1", target_port)
client = None
queue, seq = [], 0  # (due, seq, socket, data, dest)


def dropped(direction):
    credit[direction] += drop[direction]
    if credit[direction] >= 1.0:
        credit[direction] -= 1.0
        return True
    return False


def command(line):
    global delay
    words = line.split()
    try:
        if words[0] == "delay" and len(words) == 2:
            delay = float(words[1]) / 1000
        elif words[0] == "drop" and len(words) == 3:
            drop["fwd"], drop["back"] = float(words[1]), float(words[2])
        else:
            raise ValueError
    except (ValueError, IndexError):
        print("udp_delay_relay: bad command %r" % line, file=sys.stderr)


while True:
    timeout = max(0.0, queue[0][0] - time.monotonic()) if queue else 1.0
    ready, _, _ = select.select(socks, [], [], timeout)
    now = time.monotonic()
    for s in ready:
        data, src = s.recvfrom(65535)
        if s is ctl:
            command(data.decode(errors="replace").strip())
            continue
        if s is front:
            client = src
            if not dropped("fwd"):
                heapq.heappush(queue, (now + delay, seq, back, data, target))
        elif client is not None and not dropped("back"):
            heapq.heappush(queue, (now + delay, seq, front, data, client))
        seq += 1
    while queue and queue[0][0] <= time.monotonic():
        _, _, s, data, dest = heapq.heappop(queue)
        s.sendto(data, dest)
