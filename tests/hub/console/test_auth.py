"""Login, one-time passwords, lock-out, session expiry, logout, CSRF."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from hub.console import audit, users
from hub.console.commands import create_admin
from tests.hub.console.conftest import PASSWORD, csrf_token, login, make_user, post_form
from tests.support.hubparts import TestService
from wire.clock import FakeClock


def test_pages_need_a_login(client: FlaskClient) -> None:
    for path in ("/", "/units", "/entry", "/audit", "/users", "/events", "/board/fragment"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.location.startswith("/login"), path


def test_login_page_is_chinese_by_default_and_switches_to_english(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert "登录" in page and "用户名" in page
    client.get("/lang/en")
    page = client.get("/login").get_data(as_text=True)
    assert "Log in" in page and "User name" in page and "登录" not in page


def test_first_admin_must_change_the_one_time_password(
    client: FlaskClient, service: TestService
) -> None:
    once = create_admin(service.db_path, "chief")
    assert len(once) >= 16
    assert login(client, "chief", once).location == "/password"
    # Every page leads back to the password form until it is changed.
    assert client.get("/units").location == "/password"
    token = csrf_token(client.get("/password"))
    short = client.post(
        "/password", data={"csrf_token": token, "old": once, "new": "short", "repeat": "short"}
    )
    assert "至少 10 个字符" in short.get_data(as_text=True)
    done = client.post(
        "/password", data={"csrf_token": token, "old": once, "new": PASSWORD, "repeat": PASSWORD}
    )
    assert done.location == "/"
    assert client.get("/users").status_code == 200
    # The one-time password no longer works.
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/"))})
    assert login(client, "chief", once).status_code == 401


def test_wrong_password_is_refused_and_audited(client: FlaskClient, service: TestService) -> None:
    make_user(service, "wang", "operator")
    response = login(client, "wang", "not-the-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    unknown = login(client, "nobody", "whatever")
    # The message does not tell a wrong name from a wrong password.
    assert unknown.status_code == 401
    assert "用户名或密码错误" in unknown.get_data(as_text=True)
    rows = audit.entries(service.db_path)
    refused = [(r.actor, r.detail["reason"]) for r in rows if r.outcome == "refused"]
    assert ("wang", "wrong password") in refused
    assert ("nobody", "unknown user") in refused


def test_five_wrong_passwords_lock_the_account_for_ten_minutes(
    client: FlaskClient, service: TestService, clock: FakeClock
) -> None:
    make_user(service, "li", "operator")
    for _ in range(users.MAX_FAILED_LOGINS):
        assert login(client, "li", "guess").status_code == 401
    # Locked: even the right password is refused now ...
    assert login(client, "li").status_code == 401
    clock.advance(users.LOCK_MINUTES * 60 + 1)
    # ... and accepted once the lock has passed.
    assert login(client, "li").status_code == 302


def test_session_expires_after_thirty_idle_minutes(
    client: FlaskClient, service: TestService, clock: FakeClock
) -> None:
    make_user(service, "zhao", "operator")
    login(client, "zhao")
    clock.advance(29 * 60)
    assert client.get("/").status_code == 200  # activity renews the idle limit
    clock.advance(29 * 60)
    assert client.get("/").status_code == 200
    clock.advance(30 * 60)
    assert client.get("/").location.startswith("/login")


def test_session_ends_after_twelve_hours_however_active(
    client: FlaskClient, service: TestService, clock: FakeClock
) -> None:
    make_user(service, "qian", "operator")
    login(client, "qian")
    for _ in range(int(timedelta(hours=12) / timedelta(minutes=20))):
        clock.advance(20 * 60)
        if client.get("/").status_code != 200:
            break
    assert client.get("/").location.startswith("/login")


def test_logout_ends_the_session_server_side(client: FlaskClient, service: TestService) -> None:
    make_user(service, "sun", "operator")
    login(client, "sun")
    with client.session_transaction() as cookie:
        saved = dict(cookie)
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/"))})
    # Replaying the old cookie does not bring the session back.
    with client.session_transaction() as cookie:
        cookie.update(saved)
    assert client.get("/").location.startswith("/login")


def test_disabling_a_user_logs_them_out(
    client: FlaskClient, service: TestService, app: object
) -> None:
    make_user(service, "zhou", "operator")
    login(client, "zhou")
    users.set_disabled(service.db_path, "zhou", True)
    assert client.get("/").location.startswith("/login")
    assert login(client, "zhou").status_code == 401


def test_a_post_without_csrf_token_is_refused_and_audited(
    client: FlaskClient, service: TestService
) -> None:
    make_user(service, "wu", "supervisor")
    login(client, "wu")
    response = client.post("/entry", data={"category": "power-cut", "address": "x"})
    assert response.status_code == 400
    assert "安全令牌" in response.get_data(as_text=True)
    assert service.open_incidents() == []
    assert any(r.action == "csrf_refused" for r in audit.entries(service.db_path))
    # A login form posted without a token is refused too: no login CSRF.
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/"))})
    assert client.post("/login", data={"username": "wu", "password": PASSWORD}).status_code == 400


@pytest.mark.parametrize("target", ["//evil.example/x", "/%5Cevil.example/x", "/%09/evil.example"])
def test_next_after_login_stays_on_this_site(
    client: FlaskClient, service: TestService, target: str
) -> None:
    """`/\\evil.example` and `/<tab>/evil.example` are `//evil.example` to a browser."""
    make_user(service, "zheng", "operator")
    token = csrf_token(client.get("/login"))
    response = client.post(
        f"/login?next={target}",
        data={"csrf_token": token, "username": "zheng", "password": PASSWORD},
    )
    assert response.location == "/"


def test_console_pages_carry_strict_security_headers(
    client: FlaskClient, service: TestService
) -> None:
    make_user(service, "feng", "auditor")
    login(client, "feng")
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-store"


def test_password_change_refuses_a_wrong_current_password(
    client: FlaskClient, service: TestService
) -> None:
    make_user(service, "chen", "operator")
    login(client, "chen")
    response = post_form(
        client,
        "/password",
        "/password",
        {"old": "wrong-password", "new": "another-pass-1", "repeat": "another-pass-1"},
    )
    assert "当前密码错误" in response.get_data(as_text=True)
    assert login(client, "chen").status_code == 302


def test_the_chosen_language_survives_the_login(client: FlaskClient, service: TestService) -> None:
    make_user(service, "he", "operator")
    service.intake(
        {
            "source_id": "J1",
            "category": "power-cut",
            "township": "tuodian",
            "address": "东街",
            "reported_at": "2026-01-05T09:00:00+08:00",
        },
        source="cad-110",
    )
    client.get("/lang/en")
    login(client, "he")
    board = client.get("/").get_data(as_text=True)
    assert "Open incidents" in board and "Power cut" in board and "Tuodian" in board
    assert "处置中的警情" not in board
    client.get("/lang/zh")
    assert "处置中的警情" in client.get("/").get_data(as_text=True)
