"""Fixtures for the hub core: a service over a real SQLite file with a fake clock, the
Flask app with one intake source, and helpers to sign API requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from hub.registry import Registry, load_registry
from hub.runtime import Hub
from hub.sources.api_keys import IntakeKeys, request_data, sign
from tests.support.hubparts import TestService, web_app
from wire.clock import FakeClock

KEY = bytes.fromhex("11" * 32)
SOURCE = "cad-110"


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry(None)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(tmp_path: Path, registry: Registry, clock: FakeClock) -> Iterator[TestService]:
    svc = TestService.open(tmp_path / "hub.sqlite3", registry=registry, clock=clock)
    yield svc
    svc.store.close()


@pytest.fixture
def app(service: TestService) -> Flask:
    keys = IntakeKeys(keys={SOURCE: KEY})
    return web_app(service, test_config={"TESTING": True, "INTAKE_KEYS": keys})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def count(service: TestService | Hub, sql: str) -> int:
    """The single number a `SELECT count(*) ...` returns (over a test service or a Hub)."""
    row = service.store.db.execute(sql).fetchone()
    return int(row[0])


def incident_data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source_id": "J5323220000000123",
        "category": "power-cut",
        "address": "妥甸镇 东街 12 号",
        "township": "tuodian",
        "lat": 24.689,
        "lon": 101.641,
        "caller_phone": "13812345678",
        "summary": "整条街停电，有老人使用制氧机。",
        "reported_at": "2026-01-05T09:00:00+08:00",
    }
    data.update(over)
    return data


def post_incident(
    client: FlaskClient, data: Any, *, key: bytes = KEY, source: str = SOURCE
) -> TestResponse:
    body = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    return client.post(
        "/api/v1/incidents",
        data=body,
        content_type="application/json",
        headers={"X-Liandong-Source": source, "X-Liandong-Signature": sign(key, body)},
    )


def signed(
    client: FlaskClient, clock: FakeClock, method: str, path: str, data: Any = None
) -> TestResponse:
    body = b"" if data is None else json.dumps(data, ensure_ascii=False).encode()
    when = str(int(clock.now().timestamp()))
    headers = {
        "X-Liandong-Source": SOURCE,
        "X-Liandong-Timestamp": when,
        "X-Liandong-Signature": sign(KEY, request_data(when, method, path, body)),
    }
    return client.open(
        path, method=method, data=body, headers=headers, content_type="application/json"
    )
