"""The fleet page (软件升级): admins only; versions across the fleet, the releases, a
rollout started with canaries, advanced, halted, each step audited and CSRF-checked; a
unit's failure shown with its reason in Chinese."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from flask.testing import FlaskClient

from hub.console import audit
from hub.fleet import web as fleet_web
from hub.fleet.service import Fleet, terminal_units
from hub.fleet.web import EXTENSION
from provisioning import pki
from tests.hub.console.conftest import csrf_token
from tests.support.hubparts import TestService
from tests.support.wheels import make_wheel
from wire.release import build_bundle
from wire.signing import Signer


@pytest.fixture
def fleet(app: Flask, service: TestService, tmp_path: Path) -> Fleet:
    key = Signer(ec.generate_private_key(ec.SECP256R1()))
    pub = tmp_path / "release.pub"
    pub.write_bytes(pki.public_pem(key._key.public_key()))
    f = Fleet(
        service.db_path,
        tmp_path / "releases",
        pub,
        service.registry,
        service.clock,
        lambda units, offer, by: service.offer_update(units, offer, by=by),
        "https://hub.test/releases/",
    )
    app.extensions[EXTENSION] = f  # as hub/fleet/wiring.py mounts it on the hub's app
    app.register_blueprint(fleet_web.bp)
    wheels = make_wheel(tmp_path / "w", "0.2.0").parent
    bundle = tmp_path / "b.ltar"
    build_bundle(
        wheels.glob("*.whl"), "0.2.0", key, bundle, created_at=datetime(2026, 12, 5, tzinfo=UTC)
    )
    f.releases.add(bundle, by="cli", now=service.clock.now())
    return f


def test_only_admins_see_the_page(as_role: Callable[[str], FlaskClient], fleet: Fleet) -> None:
    client = as_role("supervisor")
    assert client.get("/fleet").status_code == 403
    assert "软件升级" not in client.get("/board").get_data(as_text=True)


def test_rollout_steps_audited_and_failure_shown(
    as_role: Callable[[str], FlaskClient], fleet: Fleet, service: TestService
) -> None:
    client = as_role("admin")
    page = client.get("/fleet")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "软件升级" in html and "0.2.0" in html
    units = terminal_units(service.registry)
    # no token: refused
    assert (
        client.post("/fleet/start", data={"version": "0.2.0", "canary": units[0]}).status_code
        == 400
    )
    token = csrf_token(page)
    r = client.post(
        "/fleet/start",
        data={"csrf_token": token, "version": "0.2.0", "canary": [units[0], units[1]]},
    )
    assert r.status_code == 302
    rollout = fleet.rollouts.active()
    assert rollout is not None and rollout["stage"] == "canary"
    assert {t["unit"] for t in fleet.rollouts.targets(rollout["id"])} == {units[0], units[1]}
    html = client.get("/fleet").get_data(as_text=True)
    assert "进行中" in html and "先行单位" in html
    r = client.post("/fleet/advance", data={"csrf_token": token, "percent": "30"})
    assert r.status_code == 302 and fleet.rollouts.active()["stage"] == "percent"  # type: ignore[index]
    # a unit's failure, as its health would store it, halts the rollout on the next look
    service.store.db.execute(
        "INSERT OR REPLACE INTO unit_state (unit, online, version, update_failed) VALUES (?,1,?,?)",
        (
            units[0],
            "0.1.0",
            '{"version":"0.2.0","reason":"not_ready","at":"'
            + service.clock.now().isoformat()
            + '","detail":"never connected"}',
        ),
    )
    html = client.get("/fleet").get_data(as_text=True)
    assert "已暂停" in html and "未在时限内就绪并连上服务器" in html and "never connected" in html
    assert 'id="advance-form"' not in html
    actions = [e.action for e in audit.entries(service.db_path)]
    assert "rollout_start" in actions and "rollout_advance" in actions


def test_halt_needs_a_reason_and_is_audited(
    as_role: Callable[[str], FlaskClient], fleet: Fleet, service: TestService
) -> None:
    client = as_role("admin")
    units = terminal_units(service.registry)
    fleet.rollouts.start("0.2.0", units[:1], by="admin-1")
    token = csrf_token(client.get("/fleet"))
    client.post("/fleet/halt", data={"csrf_token": token, "reason": ""})
    assert fleet.rollouts.active() is not None
    client.post("/fleet/halt", data={"csrf_token": token, "reason": "回退测试"})
    assert fleet.rollouts.active() is None
    assert fleet.rollouts.recent(1)[0]["state"] == "halted"
    rows = [e for e in audit.entries(service.db_path) if e.action == "rollout_halt"]
    assert [r.outcome for r in rows] == ["ok", "invalid"]


def test_english_switch(as_role: Callable[[str], FlaskClient], fleet: Fleet) -> None:
    client = as_role("admin")
    client.get("/lang/en?next=/fleet")
    html = client.get("/fleet").get_data(as_text=True)
    assert "Software updates" in html and "Versions across the fleet" in html


def test_release_download_serves_only_kept_bundles(client: FlaskClient, fleet: Fleet) -> None:
    kept = client.get("/releases/liandong-0.2.0.ltar")
    try:
        assert kept.status_code == 200
        path = fleet.releases.path("liandong-0.2.0.ltar")
        assert path is not None and kept.data == path.read_bytes()
    finally:
        kept.close()  # send_file streams the file: close it
    for name in ("liandong-9.9.ltar", "..%2Fhub.sqlite3", "hub.sqlite3", "liandong-0.2.0.ltar.tmp"):
        assert client.get(f"/releases/{name}").status_code == 404, name
