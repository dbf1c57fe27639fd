"""What every console view shares: the service, the signed-in user, permissions, audit.

Views call `need("command")` at the top: it loads the session from the cookie token
(see `sessions.py`), sends a stranger to the login page, sends a user with a one-time
password to change it, and refuses (403, audited, for pages and posts alike) a role
without the permission.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from werkzeug.exceptions import HTTPException

from hub.console import audit, sessions
from hub.console.roles import Permission, may
from hub.dispatch.desk import Desk

log = logging.getLogger(__name__)

EXTENSION = "liandong.console"
TOKEN_KEY = "console_token"  # noqa: S105 - a session key name, not a secret


@dataclass
class ConsoleState:
    """What `init_app` leaves on the app for the views."""

    service: Desk
    db_path: Path
    streams: threading.BoundedSemaphore
    """One per open live stream; each holds a server thread while it is open."""


def state() -> ConsoleState:
    """The console state of the current app."""
    result: ConsoleState = current_app.extensions[EXTENSION]
    return result


def service() -> Desk:
    """The hub service the console drives."""
    return state().service


def now() -> datetime:
    """The hub's clock (a FakeClock in tests), so sessions expire by the same time as orders."""
    return service().clock.now()


def current() -> sessions.Session | None:
    """The signed-in user of this request, or None; loaded once per request."""
    if "console_session" not in g:
        token = session.get(TOKEN_KEY)
        found = None
        if isinstance(token, str):
            touch = request.endpoint != "console_board.events"
            found = sessions.resume(state().db_path, token, now=now(), touch=touch)
            if found is None:
                session.pop(TOKEN_KEY, None)
        g.console_session = found
    result: sessions.Session | None = g.console_session
    return result


def need(permission: Permission) -> sessions.Session:
    """The signed-in user holding `permission`; otherwise leave the request (redirect/403)."""
    user = current()
    if user is None:
        _leave(redirect(url_for("console_auth.login", next=safe_next(request.full_path))))
    if user.must_change and request.endpoint not in ("console_auth.password",):
        _leave(redirect(url_for("console_auth.password")))
    if not may(user.role, permission):
        # Pages too, not only posts: a role opening a page it may not read is an attempt
        # the auditor should see as well.
        act(f"denied:{request.endpoint}", target=request.path, outcome="forbidden")
        abort(403)
    return user


def _leave(response: Any) -> NoReturn:
    """Abort the view with a ready response (a redirect)."""
    raise HTTPException(response=response)


def client_address() -> str:
    """The address of the browser behind this request, for the login throttle and the audit.

    The connection's own peer address, unless that peer is one of the proxies named in
    `CONSOLE_TRUSTED_PROXIES` (nginx in front of the hub): then the nearest address in
    `X-Forwarded-For` that is not itself a trusted proxy. Without that setting the header is
    ignored, since anyone can send one and would otherwise choose the address it is judged by.
    """
    peer = request.remote_addr or ""
    trusted = set(current_app.config.get("CONSOLE_TRUSTED_PROXIES") or ())
    if peer not in trusted:
        return peer
    forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
    for address in reversed([a for a in forwarded if a]):
        if address not in trusted:
            return address
    return peer


def act(
    action: str,
    *,
    target: str = "",
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
    actor: str | None = None,
) -> None:
    """Write one audit row for this request, on behalf of the signed-in user."""
    user = current()
    audit.record(
        state().db_path,
        at=now(),
        actor=actor or (user.username if user else "-"),
        role=user.role if user else "-",
        action=action,
        target=target,
        outcome=outcome,
        detail=detail,
        remote_addr=client_address(),
    )


def by() -> str:
    """The `by` the service records for an action: the signed-in user's name."""
    user = current()
    return user.username if user else "-"


def safe_next(target: str | None) -> str:
    """A local path to go back to; anything pointing elsewhere becomes the board.

    Browsers read a backslash as a slash (`/\\evil.example` is `//evil.example`) and drop
    tabs and newlines, so a target holding either is refused too.
    """
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(c < " " for c in target):
        return "/"
    return target.rstrip("?") or "/"
