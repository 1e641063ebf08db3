#!/usr/bin/env python3
"""UDP relay that holds every datagram for a fixed delay in each direction.

usage: udp_delay_relay.py LISTEN_PORT TARGET_PORT DELAY_MS

A node dials 127.0.0.1:LISTEN_PORT; the relay forwards to 127.0.0.1:TARGET_PORT
from its own ephemeral socket, and sends the target's replies back to the last
address that wrote to LISTEN_PORT. Each datagram is delivered DELAY_MS after it
arrived (the kernel here has no netem). Loss is not modelled (yet).
"""
import heapq, select, socket, sys, time

listen_port, target_port, delay = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000
front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
front.bind(("127.0.0.1", listen_port))
back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
back.bind(("127.0.0.1", 0))
target = ("127.0.0.1", target_port)
client = None
queue, seq = [], 0  # (due, seq, socket, data, dest)
while True:
    timeout = max(0.0, queue[0][0] - time.monotonic()) if queue else 1.0
    ready, _, _ = select.select([front, back], [], [], timeout)
    now = time.monotonic()
    for s in ready:
        data, src = s.recvfrom(65535)
        if s is front:
            client = src
            heapq.heappush(queue, (now + delay, seq, back, data, target))
        elif client is not None:
            heapq.heappush(queue, (now + delay, seq, front, data, client))
        seq += 1
    while queue and queue[0][0] <= time.monotonic():
        _, _, s, data, dest = heapq.heappop(queue)
        s.sendto(data, dest)
