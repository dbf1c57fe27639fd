"""Presence from the state topic and from silence; the store's settings and migrations."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
import sqlite_utils

from hub.db.migrations import named_set
from hub.db.store import Store
from hub.parts import STORE_SETS, open_store
from hub.registry import Registry
from hub.terminals.unit_certs import UnitKeys
from hub.terminals.uplink import Uplink
from tests.hub.conftest import count, incident_data
from tests.hub.harness import COUNTY
from tests.support.hubparts import TestService
from tests.support.pki import ThrowawayPKI
from wire import codec, topics
from wire import kinds as k
from wire.clock import FakeClock
from wire.signing import Signer


def _handler(
    tmp_path: Path, service: TestService, test_pki: ThrowawayPKI, unit: str
) -> tuple[Uplink, Signer]:
    cert, key = test_pki.client(unit)
    (tmp_path / "units" / unit).mkdir(parents=True)
    (tmp_path / "units" / unit / "unit.crt").write_bytes(cert.read_bytes())
    (tmp_path / "ca").mkdir(exist_ok=True)
    (tmp_path / "ca" / "ca.crt").write_bytes(test_pki.ca_path.read_bytes())
    return service.parts.uplink(UnitKeys(tmp_path)), Signer.from_pem(key.read_bytes())


def _online(service: TestService, unit: str) -> bool:
    return next(u for u in service.units_status() if u.id == unit).online


def test_state_topic_and_silence_drive_presence(
    tmp_path: Path, service: TestService, clock: FakeClock, test_pki: ThrowawayPKI
) -> None:
    handler, signer = _handler(tmp_path, service, test_pki, "fire")
    updates = service.events.subscribe()
    state = topics.state(COUNTY, "fire")
    health = k.HealthBody(version="0.1.0", uptime_s=5, printer="paper_low", outbox_depth=2)
    _, online = codec.encode(
        "state", "fire", k.StateBody(status="online", health=health), signer, at=clock.now()
    )
    handler.handle(state, online)
    status = next(u for u in service.units_status() if u.id == "fire")
    assert status.online and status.printer == "paper_low" and status.outbox_depth == 2
    assert updates.get_nowait() == {"type": "unit", "id": "fire", "online": True}
    # silence: no state or report for longer than stale_after_s -> offline
    stale = service.stale_after_s
    assert stale > 30, "health comes every 30 s: a shorter silence limit would flap"
    clock.advance(stale - 1)
    engine = service.parts.engine()
    assert engine.sweep_presence() == []
    clock.advance(2)
    assert not _online(service, "fire")  # already shown offline on read...
    assert engine.sweep_presence() == ["fire"]  # ...and recorded once by the engine
    assert engine.sweep_presence() == []
    # a fresh health report shows it is connected again; an old one caught up does not
    up = topics.up(COUNTY, "fire")
    handler.handle(
        up,
        codec.encode(
            "health", "fire", health, signer, at=clock.now() - timedelta(seconds=stale + 45)
        )[1],
    )
    assert not _online(service, "fire")
    handler.handle(up, codec.encode("health", "fire", health, signer, at=clock.now())[1])
    assert _online(service, "fire")
    clock.advance(stale + 1)
    assert engine.sweep_presence() == ["fire"]
    handler.handle(
        state,
        codec.encode("state", "fire", k.StateBody(status="online"), signer, at=clock.now())[1],
    )
    assert _online(service, "fire")
    will = codec.encode("state", "fire", k.StateBody(status="offline"), signer, at=clock.now())[1]
    handler.handle(state, will)
    assert not _online(service, "fire")
    types = [
        r["type"]
        for r in service.store.query("SELECT type FROM events WHERE unit='fire' ORDER BY seq")
    ]
    assert types == ["online", "offline", "online", "offline", "online", "offline"]


def test_state_for_another_county_or_garbage_is_rejected(
    tmp_path: Path, service: TestService, test_pki: ThrowawayPKI, clock: FakeClock
) -> None:
    handler, _ = _handler(tmp_path, service, test_pki, "fire")
    handler.handle("ld/v1/other/fire/state", b"{}")
    handler.handle(topics.state(COUNTY, "fire"), b"\xff" * 10)
    handler.handle(topics.tracker(COUNTY, "fire", "car1"), b"[1]")
    reasons = [r["reason"] for r in service.store.query("SELECT reason FROM rejected ORDER BY seq")]
    assert reasons == ["bad_topic", "not_utf8", "not_object"]


def test_store_is_wal_full_sync_and_migrations_record_themselves(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    store = open_store(path)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    store.close()

    def add_column(db: sqlite_utils.Database) -> None:
        db.execute("ALTER TABLE incidents ADD COLUMN extra TEXT")

    # One scheme (hub/db/migrations.py): the store's sets, the dispatch set with a later step.
    MIGRATIONS = [(m.name, m.fn) for s in STORE_SETS for m in s._migrations]
    dispatch, *others = STORE_SETS
    steps = [(m.name, m.fn) for m in dispatch._migrations]
    sets = [named_set("dispatch", [*steps, ("0002_extra", add_column)]), *others]
    again = Store(path, sets)
    names = [r["name"] for r in again.query("SELECT name FROM _sqlite_migrations ORDER BY name")]
    assert names == sorted([*(name for name, _ in MIGRATIONS), "0002_extra"])
    assert names[0] == "0001_initial" and "0002_extra" in names
    assert "assessment_0001_spot_checks" in names
    assert again.migrate(sets) == []
    again.close()


def test_a_failed_write_leaves_nothing_behind(service: TestService) -> None:
    try:
        with service.store.write() as db:
            db.execute("INSERT INTO seen (msg_id, unit, recorded_at) VALUES ('x1234567', 'u', 't')")
            raise RuntimeError("crash in the middle")
    except RuntimeError:
        pass
    assert count(service, "SELECT count(*) FROM seen") == 0


def test_intake_failing_midway_stores_nothing(tmp_path: Path, registry: Registry) -> None:
    """A routing failure after the incident row is written rolls the whole intake back."""
    broken = dataclasses.replace(
        registry,
        categories={
            **registry.categories,
            "power-cut": dataclasses.replace(registry.categories["power-cut"], lead_unit="ghost"),
        },
    )
    # the clock of `incident_data`'s reported_at, which must sit inside the intake window
    service = TestService.open(tmp_path / "hub.sqlite3", registry=broken, clock=FakeClock())
    with pytest.raises(KeyError):
        service.intake(incident_data(), source="cad-110")
    for table in ("incidents", "orders", "deadlines", "events", "outbox"):
        assert count(service, f"SELECT count(*) FROM {table}") == 0  # noqa: S608 - fixed names
    service.store.close()
