"""The session cookie behind nginx (hub/proxy.py): `Secure` when the browser used HTTPS,
believed only from a trusted proxy. tests/hubinstall/test_nginx.py runs the same through the
real nginx; this checks the rules one by one on the real app."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.hub.console.conftest import PASSWORD, csrf_token, make_user
from tests.support.hubparts import TestService

NGINX = "127.0.0.1"
HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.20.0.8"}


def login_via(
    client: FlaskClient, peer: str, headers: dict[str, str], referer: str = ""
) -> TestResponse:
    env = {"REMOTE_ADDR": peer}
    token = csrf_token(client.get("/login", environ_base=env, headers=headers))
    sent = {**headers, **({"Referer": referer} if referer else {})}
    return client.post(
        "/login",
        data={"csrf_token": token, "username": "lin", "password": PASSWORD},
        environ_base=env,
        headers=sent,
    )


def session_cookie(response: TestResponse) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    return cookies[-1]


def test_https_through_a_trusted_proxy_gets_a_secure_cookie(
    app: Flask, service: TestService
) -> None:
    make_user(service, "lin", "operator")
    app.config["CONSOLE_TRUSTED_PROXIES"] = [NGINX]
    # A browser on HTTPS sends its Referer (Flask-WTF checks it on HTTPS): same host.
    done = login_via(app.test_client(), NGINX, HTTPS, referer="https://localhost/login")
    assert done.status_code == 302, done.get_data(as_text=True)
    cookie = session_cookie(done)
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_https_without_a_referer_is_refused_like_any_cross_site_post(
    app: Flask, service: TestService
) -> None:
    make_user(service, "lin", "operator")
    app.config["CONSOLE_TRUSTED_PROXIES"] = [NGINX]
    assert login_via(app.test_client(), NGINX, HTTPS).status_code == 400
    foreign = login_via(app.test_client(), NGINX, HTTPS, referer="https://evil.example/")
    assert foreign.status_code == 400


def test_forwarded_proto_from_anyone_else_is_ignored(app: Flask, service: TestService) -> None:
    """Without the proxy in the list, the header changes nothing: a plain local request
    (the demo on http://127.0.0.1) keeps a cookie the browser will send back."""
    make_user(service, "lin", "operator")
    done = login_via(app.test_client(), NGINX, HTTPS)
    assert done.status_code == 302
    assert "Secure" not in session_cookie(done)
    app.config["CONSOLE_TRUSTED_PROXIES"] = ["10.0.0.1"]  # a proxy, but not this peer
    done = login_via(app.test_client(), NGINX, HTTPS)
    assert done.status_code == 302
    assert "Secure" not in session_cookie(done)


def test_plain_http_through_the_proxy_stays_plain(app: Flask, service: TestService) -> None:
    make_user(service, "lin", "operator")
    app.config["CONSOLE_TRUSTED_PROXIES"] = [NGINX]
    done = login_via(app.test_client(), NGINX, {"X-Forwarded-Proto": "http"})
    assert done.status_code == 302
    assert "Secure" not in session_cookie(done)
