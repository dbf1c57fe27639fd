"""Units page order (dark, then degraded, then healthy) and drills to a unit, a tier, all."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from hub.console import audit
from hub.console.units import ordered, problems
from hub.dispatch.views import UnitStatus
from hub.terminals.unit_certs import UnitKeys
from tests.hub.console.conftest import post_form
from tests.hub.harness import COUNTY
from tests.support.hubparts import TestService
from tests.support.pki import ThrowawayPKI
from wire import codec, topics
from wire import kinds as k
from wire.clock import FakeClock
from wire.signing import Signer

SEEN = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


def _unit(uid: str, tier: int = 1, online: bool = True, **health: object) -> UnitStatus:
    values: dict[str, object] = {
        "printer": "ok",
        "gps_fix_age_s": 3.0,
        "outbox_depth": 0,
        "version": "0.1.0",
    }
    values.update(health)
    return UnitStatus(
        id=uid,
        name_zh=uid,
        name_en=uid,
        tier=tier,
        online=online,
        last_seen=SEEN,
        open_orders=0,
        **values,  # type: ignore[arg-type]
    )


def test_dark_units_come_first_then_degraded_then_healthy() -> None:
    rows = ordered(
        [
            _unit("a-ok"),
            _unit("b-paper", printer="paper_out"),
            _unit("c-dark", tier=2, online=False),
            _unit("d-gps", gps_fix_age_s=3600.0),
            _unit("e-backlog", outbox_depth=40),
            _unit("f-dark", online=False),
        ]
    )
    assert [u.id for u, _ in rows] == ["f-dark", "c-dark", "b-paper", "d-gps", "e-backlog", "a-ok"]
    assert problems(_unit("x", printer="paper_low", outbox_depth=9)) == ["printer", "outbox"]
    stolen = ordered([rows[0][0], _unit("z-revoked", tier=3, revoked=True)])
    assert [u.id for u, _ in stolen] == ["z-revoked", "f-dark"]  # revoked before dark
    assert problems(_unit("y", printer="unknown", gps_fix_age_s=None, outbox_depth=None)) == []


def test_units_page_lists_every_registry_unit(
    as_role: Callable[[str], FlaskClient], service: TestService
) -> None:
    page = as_role("auditor").get("/units").get_data(as_text=True)
    assert page.count("data-unit=") == len(service.registry.units)
    terminals = sum(1 for u in service.registry.units.values() if u.terminal)
    assert f"离线: {terminals}" in page  # no terminal has reported in
    assert f"电话联络: {len(service.registry.units) - terminals}" in page  # the rest: by phone
    assert "联动演练" not in page  # auditors run no drills


def test_supervisor_sends_a_drill_to_a_tier(
    as_role: Callable[[str], FlaskClient], service: TestService
) -> None:
    client = as_role("supervisor")
    response = post_form(
        client, "/drills", "/drills", {"target": "tier3", "unit": "", "category": ""}
    )
    assert response.location == "/units"
    [drill] = service.open_incidents()
    tier3 = {u.id for u in service.registry.units.values() if u.tier == 3}
    assert drill.drill and {o.unit for o in drill.orders} == tier3
    assert all(o.drill for o in drill.orders)
    board = client.get("/").get_data(as_text=True)
    assert 'class="incident drill"' in board and "演练" in board
    [entry] = [r for r in audit.entries(service.db_path) if r.action == "drill"]
    assert sorted(entry.detail["units"]) == sorted(tier3)


def test_a_drill_to_one_unit_needs_the_unit(
    as_role: Callable[[str], FlaskClient], service: TestService
) -> None:
    client = as_role("supervisor")
    page = post_form(client, "/drills", "/drills", {"target": "unit", "unit": ""})
    assert "请选择单位" in page.get_data(as_text=True)
    assert service.open_incidents() == []
    post_form(client, "/drills", "/drills", {"target": "unit", "unit": "fire", "category": "fire"})
    [drill] = service.open_incidents()
    assert [o.unit for o in drill.orders] == ["fire"] and drill.category == "fire"


def test_operators_run_no_drills(
    as_role: Callable[[str], FlaskClient], service: TestService
) -> None:
    client = as_role("operator")
    assert client.get("/drills").status_code == 403
    assert post_form(client, "/units", "/drills", {"target": "all"}).status_code == 403
    assert service.open_incidents() == []


def test_the_units_page_shows_each_terminals_clock_drift(
    tmp_path: Path,
    service: TestService,
    clock: FakeClock,
    test_pki: ThrowawayPKI,
    as_role: Callable[[str], FlaskClient],
) -> None:
    """The terminal reports how far its clock is from the hub's (`clock_offset_s`, hub minus
    terminal); the hub keeps it and the page says 慢/快 N 秒, flagged past 30 s."""
    handler = _uplink(tmp_path, service, test_pki, ["fire", "power-co"])
    for unit, offset in (("fire", 42.25), ("power-co", -0.4)):
        _cert, key = test_pki.client(unit)
        signer = Signer.from_pem(key.read_bytes())
        health = k.HealthBody(
            version="0.1.0", uptime_s=5, printer="ok", outbox_depth=0, clock_offset_s=offset
        )
        _, online = codec.encode(
            "state", unit, k.StateBody(status="online", health=health), signer, at=clock.now()
        )
        handler.handle(topics.state(COUNTY, unit), online)
    assert {u.id: u.clock_offset_s for u in service.units_status()}["fire"] == 42.25
    page = as_role("operator").get("/units").get_data(as_text=True)
    fire = page[page.index('data-unit="fire"') :].split("</tr>")[0]
    power = page[page.index('data-unit="power-co"') :].split("</tr>")[0]
    assert "慢 42.2 秒" in fire and "时钟偏差" in fire and 'class="clock warn"' in fire
    assert "快 0.4 秒" in power and "时钟偏差" not in power
    assert problems(_unit("z", clock_offset_s=-31.0)) == ["clock"]


def _uplink(tmp_path: Path, service: TestService, pki: ThrowawayPKI, units: list[str]) -> Any:
    for unit in units:
        cert, _key = pki.client(unit)
        (tmp_path / "units" / unit).mkdir(parents=True)
        (tmp_path / "units" / unit / "unit.crt").write_bytes(cert.read_bytes())
    (tmp_path / "ca").mkdir()
    (tmp_path / "ca" / "ca.crt").write_bytes(pki.ca_path.read_bytes())
    return service.parts.uplink(UnitKeys(tmp_path))
