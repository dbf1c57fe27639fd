"""The operator console (统一指挥): Flask blueprints mounted on the hub app.

`init_app(app, desk)` is called by `hub.web.create_app` once the API is registered. It
creates the console's tables in the hub's database, turns on CSRF protection for every form
(the HMAC-authenticated API blueprint, named "api", is exempt), sets up translations
(Simplified Chinese by default, English on request) and registers the blueprints at `/`.
See docs/console.md.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from flask import Flask, current_app, render_template, request, session
from flask_babel import Babel
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from hub.console import (
    admin,
    assessment,
    auth,
    board,
    boundary,
    commands,
    county,
    db,
    entry,
    fleet,
    incidents,
    phone,
    present,
    rollcall,
    spotchecks,
    timeline,
    units,
    words,
)
from hub.console.broker import broker_banner
from hub.console.broker import register as register_broker_header
from hub.console.roles import may
from hub.console.web import EXTENSION, ConsoleState, act, current, service
from hub.dispatch.desk import Desk
from hub.fleet.web import EXTENSION as FLEET_EXTENSION

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
TIMEZONE = "Asia/Shanghai"
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)

csrf = CSRFProtect()


def select_locale() -> str:
    """The browser's chosen language; Chinese unless it switched to English."""
    lang = session.get("lang")
    return "en" if lang == "en" else "zh"


def init_app(app: Flask, service: Desk) -> None:
    """Mount the console on `app`, driving `service`."""
    db.migrate(Path(service.db_path))
    streams = threading.BoundedSemaphore(app.config.setdefault("CONSOLE_MAX_STREAMS", 4))
    app.extensions[EXTENSION] = ConsoleState(service, Path(service.db_path), streams)

    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    # Flask's defaults hold the key with None, so setdefault would never set it.
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # The CSRF token lives as long as the login (sessions.py limits that), not one hour:
    # a board left open through a night shift must still accept a click at 4 a.m.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    app.config["BABEL_DEFAULT_LOCALE"] = "zh"
    app.config["BABEL_DEFAULT_TIMEZONE"] = TIMEZONE
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(HERE / "translations")

    csrf.init_app(app)
    if "api" in app.blueprints:
        csrf.exempt(app.blueprints["api"])
    Babel(app, locale_selector=select_locale, timezone_selector=lambda: TIMEZONE)
    present.register(app)
    app.jinja_env.globals["describe"] = timeline.describe
    app.jinja_env.globals["source_name"] = timeline.source_name
    words.register(app)

    for module in (
        auth, board, incidents, entry, units, admin, county, boundary, assessment, spotchecks,
        phone,
        rollcall,
        fleet,
    ):  # fmt: skip
        app.register_blueprint(module.bp)
    app.add_url_rule(
        "/console-static/<path:filename>",
        endpoint="console_static",
        view_func=_static,
    )
    app.context_processor(_globals)
    app.after_request(_security_headers)
    register_broker_header(app)
    app.register_error_handler(CSRFError, _csrf_refused)
    app.register_error_handler(403, _refused_page)
    app.register_error_handler(404, _refused_page)
    app.cli.add_command(commands.create_admin_command)


def _static(filename: str) -> Response:
    from flask import send_from_directory

    return send_from_directory(HERE / "static", filename, max_age=300)


def _globals() -> dict[str, object]:
    console = bool(request.blueprint and request.blueprint.startswith("console"))
    user = current() if console else None
    return {
        "user": user,
        "may": (lambda p: user is not None and may(user.role, p)),
        "lang": select_locale(),
        # Units whose certificate is revoked (hub/revocation.py): tagged 已吊销 wherever an
        # order or a terminal is shown, since the hub sends them nothing.
        "revoked_units": service().revoked_units if console else frozenset(),
        # Cut off from the broker: a red banner on every page (hub/console/broker.py).
        "broker_down": broker_banner() if console else None,
        # Software updates: the page exists where the hub wired its fleet (hub/fleet/).
        "fleet_on": FLEET_EXTENSION in current_app.extensions,
    }


def _security_headers(response: Response) -> Response:
    """Strict headers on console pages: no framing, no foreign scripts, no sniffing."""
    if (request.blueprint or "").startswith("console") or request.endpoint == "console_static":
        response.headers.setdefault("Content-Security-Policy", _CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
    return response


def _refused_page(error: HTTPException) -> HTTPException | tuple[str, int]:
    """403 and 404 inside the console as a console page in the reader's language; anywhere
    else (the API has its own JSON errors) the error stays as it was."""
    if not (request.blueprint or "").startswith("console"):
        return error
    code = error.code or 500
    return render_template("console/error.html", code=code, message=""), code


def _csrf_refused(error: CSRFError) -> tuple[str, int]:
    """A post without a valid token (another site's form, an expired page): 400, audited."""
    act(
        "csrf_refused",
        target=request.path,
        outcome="refused",
        detail={"reason": error.description, "origin": request.headers.get("Origin", "")},
    )
    return render_template("console/error.html", code=400, message=error.description), 400
