"""Login throttling (issue 11, case 8): guessing from one address must not lock anyone else out.

Every test goes through the real Flask app and the real hashing; each browser is its own
test client with its own peer address (`REMOTE_ADDR`), and time is the hub's FakeClock.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub.console import audit, throttle, users
from tests.hub.console.conftest import PASSWORD, csrf_token, make_user
from tests.support.hubparts import TestService
from wire.clock import FakeClock

SEAT = "10.20.0.11"  # the operator's own desk in the duty room
ATTACKER = "10.99.0.66"


def login_from(
    client: FlaskClient,
    address: str,
    name: str,
    password: str = PASSWORD,
    headers: dict[str, str] | None = None,
) -> TestResponse:
    """The login form as a browser at `address` fills it in."""
    env = {"REMOTE_ADDR": address}
    token = csrf_token(client.get("/login", environ_base=env))
    return client.post(
        "/login",
        data={"csrf_token": token, "username": name, "password": password},
        environ_base=env,
        headers=headers or {},
    )


def logout(client: FlaskClient, address: str) -> None:
    env = {"REMOTE_ADDR": address}
    token = csrf_token(client.get("/", environ_base=env))
    client.post("/logout", data={"csrf_token": token}, environ_base=env)


def test_an_attacker_cannot_lock_an_operator_out_of_their_own_seat(
    app: Flask, service: TestService, clock: FakeClock
) -> None:
    """The issue's case: before, the account itself was locked for ten minutes after five
    wrong passwords from anywhere, so the real operator's right password was refused."""
    make_user(service, "li", "operator")
    seat, attacker = app.test_client(), app.test_client()
    assert login_from(seat, SEAT, "li").status_code == 302  # li works at this desk
    logout(seat, SEAT)
    for _ in range(60):
        assert login_from(attacker, ATTACKER, "li", "guess-guess").status_code == 401
        clock.advance(7)
    # During the attack, at her own desk, with the right password: in at once.
    response = login_from(seat, SEAT, "li")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert seat.get("/", environ_base={"REMOTE_ADDR": SEAT}).status_code == 200
    # ... while the attacker's address stays shut, even with the right password.
    assert login_from(attacker, ATTACKER, "li").status_code == 401


def test_guessing_many_names_from_one_address_shuts_that_address(
    app: Flask, service: TestService, clock: FakeClock
) -> None:
    for name in ("wang", "zhao"):
        make_user(service, name, "operator")
    attacker, colleague = app.test_client(), app.test_client()
    names = [f"user{i}" for i in range(throttle.ADDRESS_MAX_FAILURES)]
    for name in names:  # one guess per name: no (name, address) pair reaches its limit
        assert login_from(attacker, ATTACKER, name, "password-1").status_code == 401
    refused = login_from(attacker, ATTACKER, "wang")
    assert refused.status_code == 401
    assert "尝试次数过多" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0
    # Nobody else is touched: another desk logs in as zhao, and as wang.
    assert login_from(colleague, SEAT, "zhao").status_code == 302
    # The address opens again once its block has passed.
    clock.advance(throttle.ADDRESS_BLOCK_S + 1)
    assert login_from(attacker, ATTACKER, "wang").status_code == 302
    refusals = [r for r in audit.entries(service.db_path) if r.outcome == "refused"]
    assert ("wang", "address blocked") in [(r.actor, r.detail["reason"]) for r in refusals]


def test_guesses_from_many_addresses_slow_down_only_unknown_addresses(
    app: Flask, service: TestService, clock: FakeClock
) -> None:
    """A spread-out attack (a new address for every guess) is slowed down exponentially
    for every address the account has never logged in from; its own seat is not."""
    make_user(service, "sun", "operator")
    seat = app.test_client()
    assert login_from(seat, SEAT, "sun").status_code == 302
    logout(seat, SEAT)
    attacker = app.test_client()
    checked = 0
    for i in range(40):
        response = login_from(attacker, f"10.99.1.{i + 1}", "sun", "guess-guess")
        assert response.status_code == 401
        checked += "尝试次数过多" not in response.get_data(as_text=True)
        clock.advance(1)
    # Free guesses first, then one at each widening gap: far fewer than 40 were checked.
    assert throttle.ACCOUNT_FREE_FAILURES <= checked <= throttle.ACCOUNT_FREE_FAILURES + 6
    slowed = login_from(attacker, "10.99.2.1", "sun")  # the right password, a new address
    assert slowed.status_code == 401
    assert login_from(seat, SEAT, "sun").status_code == 302


def test_a_new_desk_gets_in_once_the_account_has_been_quiet(
    app: Flask, service: TestService, clock: FakeClock
) -> None:
    make_user(service, "zhou", "operator")
    attacker, desk = app.test_client(), app.test_client()
    for i in range(12):
        login_from(attacker, f"10.99.3.{i + 1}", "zhou", "guess-guess")
    assert login_from(desk, "10.20.0.42", "zhou").status_code == 401  # slowed down for now
    clock.advance(throttle.ACCOUNT_MAX_DELAY_S + 1)
    assert login_from(desk, "10.20.0.42", "zhou").status_code == 302


def test_an_unknown_name_is_throttled_exactly_like_a_real_one(
    app: Flask, service: TestService
) -> None:
    """Otherwise the throttle itself would tell a guesser which names exist."""
    make_user(service, "wu", "operator")
    seen: dict[str, list[int]] = {}
    for name in ("wu", "nobody"):
        client = app.test_client()
        seen[name] = [
            login_from(client, f"10.99.4.{len(seen) + 1}", name, "guess-guess").status_code
            for _ in range(users.MAX_FAILED_LOGINS + 2)
        ]
    assert seen["wu"] == seen["nobody"]
    pages = [
        login_from(app.test_client(), f"10.99.5.{i}", name, "x" * 12).get_data(as_text=True)
        for i, name in enumerate(("wu", "nobody"))
    ]
    assert ("尝试次数过多" in pages[0]) == ("尝试次数过多" in pages[1])


def test_forwarded_for_counts_only_behind_a_configured_proxy(
    app: Flask, service: TestService, clock: FakeClock
) -> None:
    """A forged X-Forwarded-For must not let an attacker pick the address it is judged by;
    behind nginx (CONSOLE_TRUSTED_PROXIES) the header names the real browser."""
    make_user(service, "chen", "operator")
    attacker = app.test_client()
    forged = {"X-Forwarded-For": "10.99.6.1"}
    for _ in range(users.MAX_FAILED_LOGINS):
        login_from(attacker, ATTACKER, "chen", "guess-guess", headers=forged)
    # Judged by its own peer address: that pair is shut, the forged address was never used.
    assert login_from(attacker, ATTACKER, "chen", headers=forged).status_code == 401
    clock.advance(throttle.ACCOUNT_MAX_DELAY_S)  # a new desk waits out the account's delay
    assert login_from(app.test_client(), "10.20.0.7", "chen").status_code == 302
    rows = [r for r in audit.entries(service.db_path) if r.action == "login"]
    assert {r.remote_addr for r in rows} == {ATTACKER, "10.20.0.7"}

    app.config["CONSOLE_TRUSTED_PROXIES"] = ["127.0.0.1"]
    nginx = app.test_client()
    for _ in range(users.MAX_FAILED_LOGINS):
        login_from(nginx, "127.0.0.1", "chen", "guess-guess", headers={"X-Forwarded-For": ATTACKER})
    # Behind the proxy the attacker is shut out by its own address, the desk is not.
    behind = {"X-Forwarded-For": "10.20.0.8, 127.0.0.1"}
    assert login_from(nginx, "127.0.0.1", "chen", headers=behind).status_code == 302
    assert audit.entries(service.db_path, limit=1)[0].remote_addr == "10.20.0.8"


def test_ipv6_addresses_of_one_network_count_as_one(
    app: Flask, service: TestService, clock: FakeClock
) -> None:
    """Anyone on an IPv6 /64 can take a fresh address per guess: the /64 is the address."""
    make_user(service, "he", "operator")
    attacker = app.test_client()
    for i in range(users.MAX_FAILED_LOGINS):
        login_from(attacker, f"2001:db8:1:2::{i + 1:x}", "he", "guess-guess")
    assert login_from(attacker, "2001:db8:1:2::99", "he").status_code == 401
    clock.advance(throttle.ACCOUNT_MAX_DELAY_S)
    assert login_from(app.test_client(), "2001:db8:1:3::1", "he").status_code == 302
