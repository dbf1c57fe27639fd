"""The TLS context of an MQTT client of the county broker (hub, gateway, tests, demo).

Every client checks the broker against the county CA and, with the mutual TLS the broker
requires, shows its own certificate; one builder keeps them all equally strict.
"""

from __future__ import annotations

import ssl
from pathlib import Path


def client_context(ca: Path, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    """A client context trusting only `ca`, TLS 1.2 or later, with our certificate if given.

    Without `cert` and `key` the context has no client certificate: the broker refuses it,
    which is what the tests of that refusal need.
    """
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert is not None and key is not None:
        ctx.load_cert_chain(str(cert), str(key))
    return ctx
