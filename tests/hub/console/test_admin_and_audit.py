"""User management by admins, and the audit log read by auditors."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from click import Group
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from hub.console import audit, commands, users
from tests.hub.console.conftest import PASSWORD, csrf_token, login, post_form
from tests.support.hubparts import TestService
from wire.clock import SHANGHAI


def test_admin_creates_a_user_who_must_change_the_one_time_password(
    as_role: Callable[[str], FlaskClient], service: TestService, app: Flask
) -> None:
    admin = as_role("admin")
    page = post_form(admin, "/users", "/users", {"username": "xiao-li", "role": "operator"})
    shown = re.search(r'id="one-time">[^<]*<code>([^<]+)</code>', page.get_data(as_text=True))
    assert shown
    once = shown.group(1)
    created = users.get_user(service.db_path, "xiao-li")
    assert created and created.role == "operator" and created.must_change
    # The password is stored hashed (scrypt), never in clear.
    with service.store.write() as db:
        stored = db.execute(
            "SELECT password_hash FROM console_users WHERE username='xiao-li'"
        ).fetchone()[0]
    assert stored.startswith("scrypt:") and once not in stored
    fresh = app.test_client()
    assert login(fresh, "xiao-li", once).location == "/password"
    again = post_form(admin, "/users", "/users", {"username": "xiao-li", "role": "auditor"})
    assert "该用户名已被占用" in again.get_data(as_text=True)


def test_admin_resets_and_disables_but_not_themself(
    as_role: Callable[[str], FlaskClient], service: TestService
) -> None:
    admin = as_role("admin")
    users.create_user(service.db_path, "lao-zhang", "operator", by="t", now=service.clock.now())
    reset = post_form(admin, "/users", "/users/lao-zhang/reset", {})
    assert 'id="one-time"' in reset.get_data(as_text=True)
    post_form(admin, "/users", "/users/lao-zhang/disable", {})
    assert users.get_user(service.db_path, "lao-zhang").disabled  # type: ignore[union-attr]
    post_form(admin, "/users", "/users/admin-1/disable", {})
    assert not users.get_user(service.db_path, "admin-1").disabled  # type: ignore[union-attr]
    assert post_form(admin, "/users", "/users/nobody/reset", {}).status_code == 404
    assert admin.post("/users/lao-zhang/enable").status_code == 400  # no token


def test_only_admins_manage_users(
    as_role: Callable[[str], FlaskClient], service: TestService
) -> None:
    client = as_role("supervisor")
    assert client.get("/users").status_code == 403
    assert post_form(client, "/", "/users", {"username": "x1", "role": "admin"}).status_code == 403
    assert users.get_user(service.db_path, "x1") is None


def test_auditor_reads_the_audit_log_including_refusals(
    client: FlaskClient, service: TestService
) -> None:
    from tests.hub.console.conftest import make_user

    make_user(service, "shen", "auditor")
    login(client, "shen", "wrong-password-here")
    login(client, "shen")
    page = client.get("/audit").get_data(as_text=True)
    assert "审计日志" in page
    # In words, not codes: 登录 被拒绝 原因 密码错误 (login refused, reason wrong password).
    assert "被拒绝" in page and "原因 密码错误" in page and "登录" in page
    assert 'data-outcome="refused"' in page
    assert "wrong password" not in page and "password_change" not in page
    filtered = client.get("/audit?actor=nobody").get_data(as_text=True)
    assert "密码错误" not in filtered
    # An auditor changes nothing.
    assert post_form(client, "/", "/entry", {"address": "x"}).status_code == 403


def test_operators_cannot_read_the_audit_log(as_role: Callable[[str], FlaskClient]) -> None:
    assert as_role("operator").get("/audit").status_code == 403


def test_audit_rows_are_paged_newest_first(service: TestService, app: Flask) -> None:
    for i in range(5):
        audit.record(service.db_path, at=service.clock.now(), actor="t", role="-", action=f"a{i}")
    newest = audit.entries(service.db_path, limit=2)
    assert [r.action for r in newest] == ["a4", "a3"]
    older = audit.entries(service.db_path, limit=2, before=newest[-1].seq)
    assert [r.action for r in older] == ["a2", "a1"]


def test_create_admin_command_prints_a_one_time_password(service: TestService) -> None:
    group = Group("liandong-hub")
    commands.register(group)
    result = CliRunner().invoke(group, ["create-admin", "--db", str(service.db_path), "root"])
    assert result.exit_code == 0, result.output
    once = result.output.strip().splitlines()[-1]
    assert users.authenticate(service.db_path, "root", once, now=service.clock.now()).must_change
    again = CliRunner().invoke(group, ["create-admin", "--db", str(service.db_path), "root"])
    assert again.exit_code == 1 and "already exists" in again.output


def test_flask_cli_create_admin(app: Flask, service: TestService) -> None:
    result = app.test_cli_runner().invoke(args=["create-admin", "boss"])
    assert result.exit_code == 0, result.output
    once = result.output.strip().splitlines()[-1]
    user = users.authenticate(service.db_path, "boss", once, now=service.clock.now())
    assert user.role == "admin"
    assert once != PASSWORD


def test_logout_needs_the_token(as_role: Callable[[str], FlaskClient]) -> None:
    client = as_role("operator")
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/"))})
    assert client.get("/").status_code == 302


def test_the_users_page_shows_beijing_time_and_who_made_each_account(
    service: TestService, as_role: Callable[[str], FlaskClient]
) -> None:
    """Not `2026-12-01T21:16:52.553916+00:00 · cli`: the footer says Beijing time."""
    group = Group("liandong-hub")
    commands.register(group)
    CliRunner().invoke(group, ["create-admin", "--db", str(service.db_path), "root"])
    page = as_role("admin").get("/users").get_data(as_text=True)
    root = page[page.index("<td>root</td>") :].split("</tr>")[0]
    shown = re.search(r"(\d{4}-\d\d-\d\d \d\d:\d\d) · 命令行", root)  # create-admin
    assert shown, root
    made = datetime.strptime(shown.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)
    assert abs(made - datetime.now(SHANGHAI)) < timedelta(minutes=2)  # the CLI's own clock
    assert "+00:00" not in page and "T0" not in root and "cli" not in root
