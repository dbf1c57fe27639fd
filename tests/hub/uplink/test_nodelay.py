"""The hub's MQTT socket has Nagle off: with it on, an order published while the hub's
last acknowledgement or receipt was still unacknowledged by the broker's TCP waited for
the broker's delayed ACK, which made the intake -> terminal p99 34 ms instead of 5 ms
(bench_hub, issue 17)."""

from __future__ import annotations

import socket

from tests.hub.uplink.conftest import Hubs


def test_the_hubs_broker_socket_sends_at_once(hubs: Hubs) -> None:
    hub = hubs.start()
    sock = hub.link.client.socket()
    assert isinstance(sock, socket.socket)
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
