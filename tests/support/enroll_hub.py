"""The hub's enrollment door for terminal tests: the real hub web app (`hub.web.create_app`
over real dispatch parts and a real county PKI folder) served by a real HTTP server, over
TLS with a certificate from the county CA, or plain.

In production the hub's waitress listens on 127.0.0.1 and nginx in front of it terminates
HTTPS (the hub installer sets that up); here werkzeug's server terminates TLS for the same
app, so the terminal's client meets a real TLS handshake, host-name check and CA check.
The server certificate is the county broker's (SANs localhost and 127.0.0.1, issued by the
county CA), which is what a county CA-issued certificate for the hub's nginx looks like.
"""

from __future__ import annotations

import ssl
import threading
from pathlib import Path

from werkzeug.serving import BaseWSGIServer, make_server

from hub.registry import load_registry
from hub.sources.api_keys import IntakeKeys
from provisioning.layout import Layout
from tests.support.hubparts import TestService, web_app


class EnrollHub:
    """`url` is https://127.0.0.1:PORT (or http:// when `tls` is False)."""

    def __init__(self, pki_dir: Path, db_path: Path, *, tls: bool = True) -> None:
        self.service = TestService.open(db_path, registry=load_registry(None))
        app = web_app(
            self.service,
            test_config={"TESTING": True, "INTAKE_KEYS": IntakeKeys(), "PKI_DIR": pki_dir},
        )
        context = None
        if tls:
            broker = Layout(pki_dir).broker_dir
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(broker / "broker.crt", broker / "broker.key")
        self.server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, app, threaded=True, ssl_context=context
        )
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.service.store.close()
