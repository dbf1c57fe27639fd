"""Console fixtures: the real hub app and service (tests/hub/conftest.py) plus accounts.

Accounts are made the way an admin makes them (a one-time password) and then given a known
password through the same code path a person uses at first login, so every login in these
tests exercises the real hashing and session code.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub.console import users
from tests.support.hubparts import TestService

PASSWORD = "duty-room-2026"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(page: TestResponse) -> str:
    """The CSRF token of the first form of a page."""
    found = _CSRF.search(page.get_data(as_text=True))
    assert found, "the page has no CSRF token"
    return found.group(1)


def make_user(service: TestService, name: str, role: str) -> str:
    """Create `name` with `role` and a settled password (not a one-time one)."""
    once = users.create_user(service.db_path, name, role, by="test", now=service.clock.now())
    users.change_password(service.db_path, name, once, PASSWORD)
    return PASSWORD


def login(client: FlaskClient, name: str, password: str = PASSWORD) -> TestResponse:
    """Log in through the form, token and all."""
    token = csrf_token(client.get("/login"))
    return client.post("/login", data={"csrf_token": token, "username": name, "password": password})


def post_form(client: FlaskClient, page: str, action: str, data: dict[str, str]) -> TestResponse:
    """Load `page`, take its CSRF token, post `data` to `action`."""
    token = csrf_token(client.get(page))
    return client.post(action, data={"csrf_token": token, **data})


@pytest.fixture
def as_role(client: FlaskClient, service: TestService) -> Callable[[str], FlaskClient]:
    """`as_role("supervisor")`: the test client, logged in as a fresh user of that role."""

    def signed_in(role: str) -> FlaskClient:
        make_user(service, f"{role}-1", role)
        response = login(client, f"{role}-1")
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return signed_in


def incident_form(**over: str) -> dict[str, str]:
    """A valid manual entry (prefix-free field names of `EntryForm`)."""
    data = {
        "source_id": "console-TEST0001",
        "category": "power-cut",
        "township": "tuodian",
        "address": "妥甸镇 东街 12 号",
        "caller_phone": "13812345678",
        "summary": "整条街停电，有老人使用制氧机。",
        "priority": "urgent",
    }
    data.update(over)
    return data
