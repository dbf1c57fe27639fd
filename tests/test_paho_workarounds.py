"""paho-mqtt 2.x leaks the TLS socket of a reconnect whose handshake fails (a line cut
mid-handshake, as in the outage tests). The suite's warning filter in pyproject.toml lets
exactly that ResourceWarning through, from paho's own module; without the filter this test
fails, so it proves the filter is narrow enough to match and still needed."""

from __future__ import annotations

import gc
import socket
import ssl
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


def test_reconnect_against_a_cut_tls_line() -> None:
    """A server that accepts and hangs up: every TLS handshake fails, paho retries."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(50)
    port = srv.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                c, _ = srv.accept()
                c.close()
            except OSError:
                pass

    t = threading.Thread(target=serve)
    t.start()
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="x", protocol=mqtt.MQTTv5)
    ctx = ssl.create_default_context()
    c.tls_set_context(ctx)
    c.reconnect_delay_set(0.05, 0.05)
    c.connect_async("127.0.0.1", port)
    c.loop_start()
    time.sleep(1.5)
    c.loop_stop()
    c._reset_sockets()
    stop.set()
    t.join()
    srv.close()
    gc.collect()
