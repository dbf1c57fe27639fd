"""Issue 11, case 5 and the duplicate keys of case 8: a bad body is a JSON 4xx, never a 500.

Python's JSON parser raises a plain ValueError for an integer over 4,300 digits, keeps an
unpaired surrogate that SQLite and UTF-8 then refuse, and lets the last of two equal keys
win. Each of those reached a handler and became an HTML 500 (or, for the keys, a silent
guess). Every request here goes through the real Flask app over a real SQLite file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from hub.sources.api_keys import IntakeKeys, request_data, sign
from provisioning.county import init_county
from tests.hub.conftest import KEY, SOURCE, count, incident_data, post_incident
from tests.support.hubparts import TestService, web_app
from wire.clock import FakeClock

HUGE = "1" * 5000


def _raw(fields: str, drop: tuple[str, ...] = ("lat", "lon")) -> bytes:
    """An intake body with `fields` (raw JSON text) added after the fields not dropped."""
    base = {k: v for k, v in incident_data().items() if k not in drop}
    text = json.dumps(base, ensure_ascii=False)
    return (text[:-1] + ", " + fields + "}").encode()


def _json_4xx(r: TestResponse, status: int = 422) -> dict[str, Any]:
    assert r.status_code == status, r.get_data(as_text=True)[:300]
    assert r.mimetype == "application/json"
    body: dict[str, Any] = r.json  # type: ignore[assignment]
    return body


@pytest.mark.parametrize("field", ["lat", "arrive_min"])
def test_a_5000_digit_integer_is_a_named_field_error(
    client: FlaskClient, service: TestService, field: str
) -> None:
    extra = f'"lat": {HUGE}, "lon": 101.6' if field == "lat" else f'"arrive_min": {HUGE}'
    body = _json_4xx(post_incident(client, _raw(extra)))
    assert set(body["fields"]) == {field}
    assert "digits" in body["fields"][field]["en"]
    assert count(service, "SELECT count(*) FROM incidents") == 0


def test_an_integer_too_big_for_a_float_is_refused(client: FlaskClient) -> None:
    """401 digits parse as an int, then float() overflows: the same 500 by another road."""
    body = _json_4xx(post_incident(client, _raw(f'"lat": {"9" * 401}, "lon": 101.6')))
    assert set(body["fields"]) == {"lat"}


def test_an_unpaired_surrogate_in_the_summary_is_refused(
    client: FlaskClient, service: TestService
) -> None:
    body = _json_4xx(post_incident(client, _raw('"summary": "\\ud800 停电"', drop=("summary",))))
    assert set(body["fields"]) == {"summary"}
    assert "U+D800" in body["fields"]["summary"]["en"]
    assert count(service, "SELECT count(*) FROM incidents") == 0


def test_a_surrogate_in_an_action_is_refused(client: FlaskClient, clock: FakeClock) -> None:
    inc: Any = post_incident(client, incident_data()).json
    path = f"/api/v1/incidents/{inc['id']}/close"
    body = b'{"note": "\\udfff"}'
    body = _json_4xx(_signed_raw(client, clock, "POST", path, body))
    assert set(body["fields"]) == {"note"}


def test_duplicate_keys_are_refused_naming_the_key(
    client: FlaskClient, service: TestService
) -> None:
    body = _json_4xx(post_incident(client, _raw('"township": "dazhuang"')))
    assert set(body["fields"]) == {"township"}
    assert "more than once" in body["fields"]["township"]["en"]
    assert count(service, "SELECT count(*) FROM incidents") == 0


def test_a_failure_inside_the_api_is_a_json_500_not_an_html_page(
    service: TestService, clock: FakeClock
) -> None:
    """A row stored before the control-character rule cannot be signed into a new order
    (the contract refuses it): that is the hub's fault, so 500, but JSON the caller can read."""
    keys = IntakeKeys(keys={SOURCE: KEY})
    client = web_app(service, test_config={"INTAKE_KEYS": keys}).test_client()  # not TESTING
    inc: Any = post_incident(client, incident_data()).json
    with service.store.write() as db:
        db.execute("UPDATE incidents SET summary=?", ("停电\x1b@",))
    path = f"/api/v1/incidents/{inc['id']}/assist"
    r = _signed_raw(client, clock, "POST", path, b'{"unit": "fire"}')
    assert r.status_code == 500
    assert r.mimetype == "application/json" and r.json == {
        "error": "internal",
        "message": "中心内部错误，请联系指挥中心 (internal error)",
    }
    assert count(service, "SELECT count(*) FROM orders") == 1  # nothing half-stored


@pytest.fixture
def enroll_app(tmp_path: Path, service: TestService) -> Flask:
    root = tmp_path / "PKI"
    init_county(root, "shuangbai")
    keys = IntakeKeys(keys={SOURCE: KEY})
    return web_app(service, test_config={"TESTING": True, "INTAKE_KEYS": keys, "PKI_DIR": root})


def test_enroll_with_a_body_of_5000_digits_is_a_json_422(enroll_app: Flask) -> None:
    client = enroll_app.test_client()
    r = client.post("/api/v1/enroll", data=HUGE, content_type="application/json")
    assert "digits" in json.dumps(_json_4xx(r), ensure_ascii=False)
    surrogate = b'{"token": "t", "csr": "\\ud800"}'
    _json_4xx(client.post("/api/v1/enroll", data=surrogate, content_type="application/json"))


def _signed_raw(
    client: FlaskClient, clock: FakeClock, method: str, path: str, body: bytes
) -> TestResponse:
    when = str(int(clock.now().timestamp()))
    headers = {
        "X-Liandong-Source": SOURCE,
        "X-Liandong-Timestamp": when,
        "X-Liandong-Signature": sign(KEY, request_data(when, method, path, body)),
    }
    return client.open(
        path, method=method, data=body, headers=headers, content_type="application/json"
    )


# ---- any JSON-ish body, every endpoint that reads one --------------------------------------

BARE = (HUGE, "9" * 401, "1e999", "-0", "1.5e308", "NaN", "Infinity", "-Infinity")
"""Leaf strings that `_render` writes as bare JSON number text (or Python's constants)."""
_TEXT = st.text(st.characters(exclude_categories=()), max_size=12) | st.sampled_from(
    ["tuodian", "power-cut", "fire", "", "2026-01-05T09:00:00+08:00", "9999-12-30T00:00:00Z"]
)
_HOSTILE = st.sampled_from(BARE) | st.sampled_from(["\ud800", "\x1b@", "a\x00b", "\udc00x"])
_LEAF = _HOSTILE | (
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT
)
_KEYS = (
    st.sampled_from(
        [
            "source_id",
            "category",
            "township",
            "address",
            "lat",
            "lon",
            "summary",
            "reported_at",
            "arrive_min",
            "drill",
            "priority",
            "unit",
            "note",
            "reason",
            "by",
            "token",
            "csr",
        ]
    )
    | _TEXT
)


class _Pairs(list[tuple[str, Any]]):
    """An object as its key/value pairs, so the same key may come twice."""


def _render(value: Any) -> str:
    """JSON text where a leaf string like `HUGE` may stand for a bare number."""
    if isinstance(value, _Pairs):
        return "{" + ", ".join(f"{_render(k)}: {_render(v)}" for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_render(v) for v in value) + "]"
    if isinstance(value, str) and value in BARE:
        return value
    return json.dumps(value, ensure_ascii=False)


_JSONISH = st.recursive(
    _LEAF,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(st.tuples(_KEYS, inner), max_size=6).map(lambda pairs: _Pairs(pairs))
    ),
    max_leaves=16,
)


BASES: dict[str, dict[str, Any]] = {
    "/api/v1/incidents": incident_data(source_id="fuzz-1", arrive_min=20),
    "/api/v1/incidents/{incident}/assist": {"unit": "fire", "note": "带上水泵", "by": "王"},
    "/api/v1/orders/{order}/reassign": {"unit": "water-co", "reason": "改派"},
    "/api/v1/orders/{order}/cancel": {"reason": "重复警情"},
    "/api/v1/incidents/{incident}/close": {"note": "好了"},
    "/api/v1/enroll": {"token": "t" * 43, "csr": "-----BEGIN CERTIFICATE REQUEST-----"},
}
"""A valid body per endpoint: half the examples change a few of its fields, so the odd
values reach each handler's own checks, not only the parser's."""
ENDPOINTS = sorted(BASES)


@pytest.fixture
def targets(enroll_app: Flask) -> dict[str, str]:
    """One real incident and its order for the action endpoints to act on."""
    made: Any = post_incident(enroll_app.test_client(), incident_data()).json
    return {"incident": made["id"], "order": made["orders"][0]["id"]}


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    value=_JSONISH,
    changes=st.lists(st.tuples(_KEYS, _JSONISH), min_size=1, max_size=3),
    mutate=st.booleans(),
    garble=st.booleans(),
)
def test_no_body_makes_any_endpoint_answer_5xx(
    enroll_app: Flask,
    targets: dict[str, str],
    clock: FakeClock,
    endpoint: str,
    value: Any,
    changes: list[tuple[str, Any]],
    mutate: bool,
    garble: bool,
) -> None:
    """Whatever the body, the answer is a JSON status under 500 (the app is in TESTING
    mode, so an unexpected exception fails the test outright rather than becoming a 500)."""
    client = enroll_app.test_client()
    path = endpoint.format(**targets)
    if mutate:
        value = _Pairs({**BASES[endpoint], **dict(changes)}.items())
    text = _render(value)
    raw = text.encode("utf-8", "surrogatepass")
    if garble:
        raw = raw[: len(raw) // 2] + b"\xff" + raw[len(raw) // 2 :]
    if endpoint == "/api/v1/incidents":
        r = client.post(
            path,
            data=raw,
            content_type="application/json",
            headers={"X-Liandong-Source": SOURCE, "X-Liandong-Signature": sign(KEY, raw)},
        )
    elif endpoint == "/api/v1/enroll":
        r = client.post(path, data=raw, content_type="application/json")
    else:
        r = _signed_raw(client, clock, "POST", path, raw)
    assert r.status_code < 500, (r.status_code, raw[:200])
    assert r.mimetype == "application/json", r.get_data(as_text=True)[:200]
