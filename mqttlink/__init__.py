"""The one paho-mqtt 2.x set-up shared by the hub's and the terminal's links and the tests.

`client` makes and starts an MQTT 5 client over mutual TLS with a persistent session and
stops it without leaking paho's sockets; `callbacks` keeps an exception in a paho callback
from killing paho's network thread. Neither knows topics or messages: that is `wire/`,
which must not import paho, and each side's own link.
"""

from __future__ import annotations

from mqttlink.callbacks import never_raise
from mqttlink.client import (
    SESSION_EXPIRY_S,
    make_client,
    release_sockets,
    session_properties,
    start,
    stop,
)

__all__ = [
    "SESSION_EXPIRY_S",
    "make_client",
    "never_raise",
    "release_sockets",
    "session_properties",
    "start",
    "stop",
]
