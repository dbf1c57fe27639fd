"""What changes when nginx sits in front of the hub (hub-install/, docs/deployment.md).

nginx ends TLS and talks plain HTTP to the hub on the loopback, so the hub would think
every request came over HTTP: its session cookie would be sent without `Secure`, and a
stolen-on-the-wire cookie is a stolen login. nginx says what the browser used in
`X-Forwarded-Proto`; the hub believes that header only from a peer named in
`[http] trusted_proxies` (the same list the console's login throttle uses for
`X-Forwarded-For`), since anyone else could send it.

- `TrustedScheme` wraps the WSGI app: from a trusted proxy, `X-Forwarded-Proto: https`
  makes the request HTTPS (`request.is_secure`), so Flask-WTF's strict referrer check and
  the cookie below see the scheme the browser used.
- `SecureWhenHttps` is the session interface: the cookie is `Secure` whenever the request
  is HTTPS (or `SESSION_COOKIE_SECURE` is set), and stays usable on plain
  `http://127.0.0.1` (the demo, a local check on the hub machine itself).
- `server_settings` are waitress's settings for the hub. waitress 3 drops every X-Forwarded-*
  header before the app sees it unless told otherwise; with trusted proxies it keeps them,
  and the two checks above (and the console's `client_address`) decide whom to believe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from hub.config import HubConfig

SCHEMES = frozenset({"http", "https"})


TRUSTED_KEY = "CONSOLE_TRUSTED_PROXIES"
"""The app setting with `[http] trusted_proxies` (hub/runtime.py sets it)."""


class TrustedScheme:
    """WSGI middleware: take the scheme from `X-Forwarded-Proto`, only from the peers the
    Flask app's `CONSOLE_TRUSTED_PROXIES` names (read per request, like the throttle does)."""

    def __init__(self, app: WSGIApplication, flask_app: Flask) -> None:
        self.app = app
        self.flask_app = flask_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        trusted = self.flask_app.config.get(TRUSTED_KEY) or ()
        if environ.get("REMOTE_ADDR") in trusted:
            # The last value is the one the nearest proxy (ours) added.
            sent = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if sent in SCHEMES:
                environ["wsgi.url_scheme"] = sent
        return self.app(environ, start_response)


class SecureWhenHttps(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with `Secure` decided per request."""

    def get_cookie_secure(self, app: Flask) -> bool:
        if super().get_cookie_secure(app):
            return True
        return has_request_context() and request.is_secure


def behind_proxy(app: Flask) -> None:
    """Install both on `app` (hub/web.py's `create_app`)."""
    app.wsgi_app = TrustedScheme(app.wsgi_app, app)  # type: ignore[method-assign]
    app.session_interface = SecureWhenHttps()


def server_settings(config: HubConfig) -> dict[str, Any]:
    """waitress's settings for the hub (hub/runtime.py passes them to `create_server`).
    16 threads: intakes wait in `Store.grouped` for their group's commit, so a burst from
    16 connections (the bench's, docs/hub.md "Measured") needs 16 to form groups rather
    than queue (waitress logs a warning for every queued request)."""
    return {"threads": 16, "clear_untrusted_proxy_headers": not config.trusted_proxies}
