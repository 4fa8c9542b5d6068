"""Free loopback ports for servers the tests start."""

from __future__ import annotations

import random
import socket

# Outside the kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768-60999 by default): there an
# outgoing connection could take a port between this pick and the server binding it, or while a test
# has stopped the server and is about to start it again on the same port.
PORT_RANGE = range(20000, 32000)


def free_ports(count: int) -> list[int]:
    """`count` distinct ports that nothing is bound to now (each is held until all are found)."""
    probes: list[socket.socket] = []
    try:
        while len(probes) < count:
            probe = socket.socket()
            try:
                probe.bind(("127.0.0.1", random.choice(PORT_RANGE)))
            except OSError:
                probe.close()
                continue
            probes.append(probe)
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def free_port() -> int:
    return free_ports(1)[0]
