"""The hub's Flask app: the API, /metrics, /healthz, and the console when it is installed.

`create_app(desk, gate, metrics)` is the factory both `liandong-hub serve` and the tests
use: the desk for the API and the console (intake, actions, reads), the gate ports for
CAP and EIDO bodies (the 110 bridge's parsers), the metrics for `/metrics` and intake.
"""

from __future__ import annotations

import importlib
import logging
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from hub.db.store import Store
from hub.dispatch.desk import Desk
from hub.metrics import HubMetrics
from hub.proxy import behind_proxy
from hub.sources.api import MAX_BODY, bp, reply
from hub.sources.api_keys import IntakeKeys
from hub.sources.boundary.ports import GatePorts
from hub.sources.intake_route import IntakeRoute
from hub.terminals import enroll as _enroll  # noqa: F401 - registers POST /api/v1/enroll on bp
from provisioning.pki import write_private

log = logging.getLogger(__name__)


def secret_key(beside: Path) -> str:
    """The session key: a 0600 file beside the database, made once, never logged."""
    path = beside.parent / "secret_key"
    if not path.exists():
        write_private(path, secrets.token_hex(32).encode())
    return path.read_text().strip()


def create_app(
    desk: Desk,
    *,
    gate: GatePorts,
    metrics: HubMetrics,
    assessment_store: Store | None = None,
    test_config: dict[str, Any] | None = None,
) -> Flask:
    """Build the app. `test_config` may set `INTAKE_KEYS` (a path to intake-keys.toml or an
    `IntakeKeys`), `PKI_DIR` (turns on `POST /api/v1/enroll`), `SECRET_KEY`, or any Flask
    setting."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.config["JSON_AS_ASCII"] = False
    cfg = dict(test_config or {})
    keys = cfg.pop("INTAKE_KEYS", None)
    pki_dir = cfg.pop("PKI_DIR", None)
    if not isinstance(keys, IntakeKeys):
        keys = IntakeKeys(Path(keys)) if keys else IntakeKeys()
    app.config.update(cfg)
    # nginx in front (hub-install/): its X-Forwarded-Proto decides HTTPS and the Secure cookie.
    behind_proxy(app)
    # The intake, the hub's hottest request, is answered before Flask's machinery (issue 17).
    app.wsgi_app = IntakeRoute(app.wsgi_app, app)  # type: ignore[method-assign]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(desk.db_path)
    app.extensions["liandong.desk"] = desk
    app.extensions["liandong.gate"] = gate
    app.extensions["liandong.metrics"] = metrics
    # The store the assessment's one writer (hub/assessment/spotcheck.py) appends its
    # findings and appeals through; nothing else on the web side gets it.
    app.extensions["liandong.assessment_store"] = assessment_store
    app.extensions["liandong.intake_keys"] = keys
    if pki_dir:
        app.extensions["liandong.pki_dir"] = Path(pki_dir)
    app.register_blueprint(bp)

    @app.get("/healthz")
    def healthz() -> Response:
        return reply({"ok": True, "county": desk.county})

    @app.get("/metrics", endpoint="metrics")
    def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), mimetype=CONTENT_TYPE_LATEST)

    try:
        console: object = importlib.import_module("hub.console")
    except ImportError:
        console = None
    init = getattr(console, "init_app", None)
    if init is None:
        log.info("hub.console is not installed: serving the API only")
    else:
        init(app, desk)
    return app
