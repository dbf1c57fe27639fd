"""Intake and API over HTTP: authentication, validation, idempotence, size limit."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient

from hub.registry import Registry
from tests.hub.conftest import count, incident_data, post_incident, signed
from tests.support.hubparts import TestService
from wire.clock import FakeClock


def test_new_incident_is_created_once_and_routed(client: FlaskClient, service: TestService) -> None:
    first = post_incident(client, incident_data())
    assert first.status_code == 201, first.json
    body = first.json
    assert body is not None
    assert body["caller_phone_masked"] == "138****5678"
    assert "13812345678" not in first.get_data(as_text=True)
    assert [o["unit"] for o in body["orders"]] == ["power-co"]
    again = post_incident(client, incident_data())
    assert again.status_code == 200
    assert again.json is not None and again.json["id"] == body["id"]
    assert count(service, "SELECT count(*) FROM incidents") == 1
    assert count(service, "SELECT count(*) FROM orders") == 1


def test_township_also_gets_an_order(client: FlaskClient, registry: Registry) -> None:
    code = next(c.code for c in registry.categories.values() if c.township_also)
    r = post_incident(client, incident_data(category=code, township="dazhuang"))
    assert r.status_code == 201
    units = {o["unit"]: o["role"] for o in r.json["orders"]}  # type: ignore[index]
    assert units[registry.categories[code].lead_unit] == "lead"
    assert units["dazhuang-gov"] == "assist"


def test_every_bad_field_is_named_and_nothing_stored(
    client: FlaskClient, service: TestService
) -> None:
    r = post_incident(
        client,
        incident_data(
            category="alien-landing", township="atlantis", lat=200, reported_at="yesterday", extra=1
        ),
    )
    assert r.status_code == 422
    fields = r.json["fields"]  # type: ignore[index]
    assert set(fields) == {"category", "township", "lat", "reported_at", "extra"}
    assert fields["category"]["zh"].startswith("未知警情类别")
    assert "unknown category" in fields["category"]["en"]
    assert count(service, "SELECT count(*) FROM incidents") == 0
    assert count(service, "SELECT count(*) FROM events") == 0


def test_a_time_outside_the_utc_calendar_is_a_bad_field(client: FlaskClient) -> None:
    for at in ("0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00"):
        r = post_incident(client, incident_data(reported_at=at))
        assert r.status_code == 422, at
        assert set(r.json["fields"]) == {"reported_at"}  # type: ignore[index]


def test_not_json_and_not_an_object(client: FlaskClient) -> None:
    assert post_incident(client, b"\xff\xfe").status_code == 422
    r = post_incident(client, [1, 2])
    assert r.status_code == 422 and "body" in r.json["fields"]  # type: ignore[index]


def test_hmac_failures(client: FlaskClient, service: TestService) -> None:
    assert post_incident(client, incident_data(), key=b"\x22" * 32).status_code == 401
    assert post_incident(client, incident_data(), source="nobody").status_code == 401
    body = json.dumps(incident_data()).encode()
    r = client.post("/api/v1/incidents", data=body, headers={"X-Liandong-Source": "cad-110"})
    assert r.status_code == 401
    assert count(service, "SELECT count(*) FROM incidents") == 0


def test_over_64_kib_is_413(client: FlaskClient, service: TestService) -> None:
    r = post_incident(client, incident_data(summary="x" * 70_000))
    assert r.status_code == 413
    assert r.json["error"] == "too_large"  # type: ignore[index]


def test_reads_need_a_fresh_signature(client: FlaskClient, clock: FakeClock) -> None:
    created = post_incident(client, incident_data()).json
    path = f"/api/v1/incidents/{created['id']}"  # type: ignore[index]
    ok = signed(client, clock, "GET", path)
    assert ok.status_code == 200
    assert [e["type"] for e in ok.json["timeline"]] == ["incident", "dispatched"]  # type: ignore[index]
    assert client.get(path).status_code == 401
    huge = {**dict(ok.request.headers), "X-Liandong-Timestamp": "1" + "0" * 400}
    assert client.get(path, headers=huge).status_code == 401
    stale = signed(client, clock, "GET", path)
    clock.advance(301)
    assert client.get(path, headers=dict(stale.request.headers)).status_code == 401
    assert signed(client, clock, "GET", "/api/v1/incidents/nope").status_code == 404
    units = signed(client, clock, "GET", "/api/v1/units")
    assert units.status_code == 200 and any(u["id"] == "power-co" for u in units.json)  # type: ignore[union-attr]


def test_operator_actions_over_the_api(client: FlaskClient, clock: FakeClock) -> None:
    inc: Any = post_incident(client, incident_data()).json
    lead = inc["orders"][0]["id"]
    r = signed(
        client, clock, "POST", f"/api/v1/incidents/{inc['id']}/assist", {"unit": "fire", "by": "王"}
    )
    assert r.status_code == 201 and r.json["role"] == "assist"  # type: ignore[index]
    r = signed(client, clock, "POST", f"/api/v1/orders/{lead}/reassign", {"unit": "water-co"})
    assert r.status_code == 201 and r.json["unit"] == "water-co"  # type: ignore[index]
    assert (
        signed(client, clock, "POST", f"/api/v1/orders/{lead}/cancel", {"reason": "x"}).status_code
        == 409
    )
    r = signed(client, clock, "POST", f"/api/v1/incidents/{inc['id']}/close", {"note": "好了"})
    assert r.status_code == 200 and r.json["state"] == "closed"  # type: ignore[index]
    assert all(o["state"] in ("closed", "reassigned") for o in r.json["orders"])  # type: ignore[index]


def test_healthz_and_metrics(client: FlaskClient) -> None:
    post_incident(client, incident_data())
    assert client.get("/healthz").json == {"ok": True, "county": "shuangbai"}
    assert 'ld_hub_intake_total{result="created"} 1.0' in client.get("/metrics").get_data(
        as_text=True
    )


def test_boundary_outbox_pages_status_changes(client: FlaskClient, clock: FakeClock) -> None:
    inc: Any = post_incident(client, incident_data()).json
    signed(client, clock, "POST", f"/api/v1/incidents/{inc['id']}/close", {"note": "好了"})
    page: Any = signed(client, clock, "GET", "/api/v1/boundary/outbox?after=0&limit=2").json
    assert [i["type"] for i in page["items"]] == ["incident", "dispatched"]
    assert page["items"][0]["source_id"] == "J5323220000000123"
    rest: Any = signed(client, clock, "GET", f"/api/v1/boundary/outbox?after={page['next']}").json
    assert [i["type"] for i in rest["items"]] == ["closed", "closed"]  # the order, the incident
    assert signed(client, clock, "GET", "/api/v1/boundary/outbox?after=x").status_code == 422
    huge = "/api/v1/boundary/outbox?after=" + "9" * 30
    assert signed(client, clock, "GET", huge).status_code == 422
