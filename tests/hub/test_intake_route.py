"""The intake answered before Flask (hub/sources/intake_route.py, issue 17): the same
answers as the blueprint, every one after its own commit.

The answers to bad bodies, bad signatures and oversized bodies are also checked by
test_api.py and test_api_bad_bodies.py, which now go through this route; here: that the
route (not Flask) answers, what only a WSGI server sends (a body without a length), a
failure inside it, and, with the real `liandong-hub serve` killed -9, that no answer
is given for an order that is not committed and an answered order survives the kill.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sqlite3
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from demo.broker import Broker, free_port
from hub.sources.api_keys import IntakeKeys, sign
from tests.hub.conftest import KEY, SOURCE, count, incident_data, post_incident
from tests.hub.test_kill import _write_toml, kill, serve
from tests.support.hubparts import TestService, web_app
from tests.support.intake import intake_request
from tests.support.pki import ThrowawayPKI
from tests.support.wait import wait_for
from wire.clock import SystemClock


@pytest.fixture
def flask_calls(app: Flask) -> list[str]:
    """The paths Flask's own request machinery handled."""
    seen: list[str] = []

    @app.before_request
    def _seen() -> None:
        from flask import request

        seen.append(request.path)

    return seen


def test_the_json_intake_is_answered_without_flask(
    client: FlaskClient, service: TestService, flask_calls: list[str]
) -> None:
    r = post_incident(client, incident_data())
    assert r.status_code == 201 and r.mimetype == "application/json"
    assert r.json is not None and r.json["orders"][0]["unit"] == "power-co"
    assert r.json["reported_at"] == "2026-01-05T01:00:00.000Z"  # datetimes as RFC 3339, UTC
    assert [e["type"] for e in r.json["timeline"]] == ["incident", "dispatched"]
    again = post_incident(client, incident_data())
    assert again.status_code == 200 and again.json == r.json
    assert flask_calls == []
    assert client.get("/healthz").status_code == 200
    assert flask_calls == ["/healthz"]  # everything else still goes to Flask
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'ld_hub_intake_total{result="created"} 1.0' in metrics
    assert 'ld_hub_intake_total{result="repeat"} 1.0' in metrics


def test_a_cap_body_and_other_methods_go_on_to_flask(
    client: FlaskClient, flask_calls: list[str]
) -> None:
    body = b"<alert/>"
    r = client.post(
        "/api/v1/incidents",
        data=body,
        content_type="application/cap+xml; charset=utf-8",
        headers={"X-Liandong-Source": SOURCE, "X-Liandong-Signature": sign(KEY, body)},
    )
    assert r.status_code == 422 and r.mimetype == "application/json"
    assert client.put("/api/v1/incidents").status_code == 405
    assert flask_calls == ["/api/v1/incidents", "/api/v1/incidents"]


def test_both_routes_refuse_alike(client: FlaskClient, flask_calls: list[str]) -> None:
    """The lean route and Flask's (a CAP body) share their checks (hub/sources/
    intake_answer.py): the same refusals, in the same order, with the same bodies."""

    def both(body: bytes, **headers: str) -> list[tuple[int, Any]]:
        out = []
        for ctype in ("application/json", "application/cap+xml"):
            r = client.post("/api/v1/incidents", data=body, content_type=ctype, headers=headers)
            out.append((r.status_code, r.json))
        return out

    body = b"<alert/>"
    unsigned = both(body, **{"X-Liandong-Source": SOURCE})
    assert unsigned[0] == unsigned[1] and unsigned[0][0] == 401
    wrong = both(body, **{"X-Liandong-Source": "nobody", "X-Liandong-Signature": sign(KEY, body)})
    assert wrong[0] == wrong[1] and wrong[0][0] == 401
    big = b"x" * 70_000  # refused before the signature is looked at
    too_large = both(big, **{"X-Liandong-Source": SOURCE})
    assert (
        too_large[0]
        == too_large[1]
        == (413, {"error": "too_large", "message": "请求体超过 64 KiB (body over 64 KiB)"})
    )
    assert flask_calls == ["/api/v1/incidents"] * 3  # the CAP posts, and only those


def _wsgi(app: Flask, body: bytes, **environ: Any) -> tuple[str, dict[str, Any]]:
    """Call the app as a WSGI server does, with the environ given (no Content-Length
    unless given: a chunked body the server has already de-chunked)."""
    got: list[str] = []
    env: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/incidents",
        "CONTENT_TYPE": "application/json",
        "HTTP_X_LIANDONG_SOURCE": SOURCE,
        "HTTP_X_LIANDONG_SIGNATURE": sign(KEY, body),
        "wsgi.input": io.BytesIO(body),
        "REMOTE_ADDR": "127.0.0.1",
        **environ,
    }
    out = b"".join(app.wsgi_app(env, lambda status, headers: got.append(status)))  # type: ignore[arg-type, return-value, func-returns-value]
    return got[0], json.loads(out)


def test_a_body_without_a_length(app: Flask, service: TestService) -> None:
    body = json.dumps(incident_data()).encode()
    status, answer = _wsgi(app, body, **{"wsgi.input_terminated": True})
    assert status.startswith("201") and answer["source_id"] == "J5323220000000123"
    big = json.dumps(incident_data(source_id="big", summary="x" * 70_000)).encode()
    status, answer = _wsgi(app, big, **{"wsgi.input_terminated": True})
    assert status.startswith("413") and answer["error"] == "too_large"
    # a stream the server did not terminate is not read (werkzeug's rule): no body, so the
    # signature (made over the real body) does not match
    status, answer = _wsgi(app, json.dumps(incident_data(source_id="open")).encode())
    assert status.startswith("401")
    status, answer = _wsgi(app, body, CONTENT_LENGTH="twelve")
    assert status.startswith("401") and answer["error"] == "unauthorized"
    assert count(service, "SELECT count(*) FROM incidents") == 1


def test_a_failure_inside_is_a_json_500_and_nothing_is_stored(
    service: TestService, caplog: pytest.LogCaptureFixture
) -> None:
    """A database that cannot commit (here: read-only) fails the intake: JSON 500, logged,
    no incident, no order; in TESTING mode the error reaches the test instead."""
    keys = IntakeKeys(keys={SOURCE: KEY})
    client = web_app(service, test_config={"INTAKE_KEYS": keys}).test_client()
    service.store.db.execute("PRAGMA query_only=ON")
    with caplog.at_level(logging.ERROR, logger="hub.sources.intake_route"):
        r = post_incident(client, incident_data())
    assert r.status_code == 500 and r.mimetype == "application/json"
    assert r.json == {
        "error": "internal",
        "message": "中心内部错误，请联系指挥中心 (internal error)",
    }
    assert "intake failed" in caplog.text
    service.store.db.execute("PRAGMA query_only=OFF")
    assert count(service, "SELECT count(*) FROM incidents") == 0
    assert count(service, "SELECT count(*) FROM orders") == 0
    testing = web_app(service, test_config={"INTAKE_KEYS": keys, "TESTING": True})
    service.store.db.execute("PRAGMA query_only=ON")
    with pytest.raises(sqlite3.OperationalError):
        post_incident(testing.test_client(), incident_data())


# ---- the real process, killed -9 ------------------------------------------------------------
def _request(url: str, data: dict[str, object]) -> urllib.request.Request:
    return intake_request(url, SOURCE, KEY, data)


@pytest.fixture
def served(
    tmp_path: Path, broker: Broker, test_pki: ThrowawayPKI
) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    """`liandong-hub serve` as a real process: its URL, its database file, the process."""
    root = tmp_path / "PKI"
    port = free_port()
    toml = _write_toml(root, broker, test_pki, port)
    url = f"http://127.0.0.1:{port}"
    proc = serve(toml, url)
    try:
        yield url, root / "hub" / "hub.sqlite3", proc
    finally:
        kill(proc)


def _cpus_allowed(pid: int) -> set[str]:
    """The CPU lists the threads of `pid` may run on."""
    found = set()
    for t in os.listdir(f"/proc/{pid}/task"):
        status = (Path(f"/proc/{pid}/task") / t / "status").read_text()
        found.add(status.split("Cpus_allowed_list:")[1].split()[0])
    return found


def _rows(db: Path, sql: str, *args: object) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute(sql, args).fetchone()[0])


@pytest.mark.broker
@pytest.mark.slow
def test_no_answer_before_the_commit_and_nothing_stored_after_kill_9(
    served: tuple[str, Path, subprocess.Popen[bytes]],
) -> None:
    url, db, proc = served
    now = SystemClock().now().isoformat()
    # 1. Another writer holds the database: the hub cannot commit, so it must not answer.
    blocker = sqlite3.connect(db, isolation_level=None, timeout=5)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises((TimeoutError, urllib.error.URLError)):
            urllib.request.urlopen(_request(url, incident_data(reported_at=now)), timeout=1.5)  # noqa: S310
        kill(proc)  # killed while the intake waits for its commit
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert _rows(db, "SELECT count(*) FROM incidents") == 0  # nothing half-written either
    assert _rows(db, "SELECT count(*) FROM orders") == 0


@pytest.mark.broker
@pytest.mark.slow
def test_an_answered_order_is_on_disk_when_the_hub_is_killed_at_once(
    served: tuple[str, Path, subprocess.Popen[bytes]],
) -> None:
    url, db, proc = served
    if len(os.sched_getaffinity(0)) > 1:  # [process] one_cpu, on by default, once started
        one = {str(max(os.sched_getaffinity(0)))}
        wait_for(lambda: _cpus_allowed(proc.pid) == one, timeout=10, what="threads on one CPU")
    now = SystemClock().now().isoformat()
    with urllib.request.urlopen(_request(url, incident_data(reported_at=now)), timeout=5) as r:  # noqa: S310
        assert r.status == 201
        answer = json.loads(r.read())
    kill(proc)  # at once: whatever the hub had not committed is gone now
    order_id = answer["orders"][0]["id"]
    assert _rows(db, "SELECT count(*) FROM incidents WHERE id=?", answer["id"]) == 1
    assert _rows(db, "SELECT count(*) FROM orders WHERE id=?", order_id) == 1
    assert _rows(db, "SELECT count(*) FROM outbox WHERE order_id=?", order_id) == 1
    assert _rows(db, "SELECT count(*) FROM deadlines WHERE order_id=?", order_id) == 4
