"""The uplink applies the messages waiting for it as one batch: one transaction, one commit,
each message in a savepoint of its own (issue 17: one fsync per report made a 10,000-report
drain into the hub take 35 s). Nothing is announced before the commit, a message that fails
is refused alone, and a batch the database cannot take leaves nothing stored."""

from __future__ import annotations

import queue
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from hub.errors import StoreUnavailable
from hub.terminals.uplink import Uplink
from tests.hub.harness import COUNTY
from tests.hub.test_presence_and_store import _handler
from tests.support.hubparts import TestService
from tests.support.pki import ThrowawayPKI
from wire import codec, topics
from wire import kinds as k
from wire.clock import FakeClock
from wire.signing import Signer


def _health(version: str) -> k.HealthBody:
    return k.HealthBody(version=version, uptime_s=1.0, printer="ok", outbox_depth=0)


def _reports(signer: Signer, unit: str, clock: FakeClock, n: int) -> list[tuple[str, bytes, bool]]:
    up = topics.up(COUNTY, unit)
    return [
        (up, codec.encode("health", unit, _health(f"v{i}"), signer, at=clock.now())[1], False)
        for i in range(n)
    ]


def _version(service: TestService, unit: str) -> str | None:
    row = service.store.one("SELECT version FROM unit_state WHERE unit=?", (unit,))
    return row["version"] if row else None


@pytest.fixture
def fire(tmp_path: Path, service: TestService, test_pki: ThrowawayPKI) -> tuple[Uplink, Signer]:
    return _handler(tmp_path, service, test_pki, "fire")


def test_a_batch_is_one_transaction_and_each_report_is_receipted(
    service: TestService, clock: FakeClock, fire: tuple[Uplink, Signer]
) -> None:
    uplink, signer = fire
    batch = _reports(signer, "fire", clock, 50)
    seen: list[str] = []
    service.store.db.conn.set_trace_callback(seen.append)
    try:
        outcomes = uplink.handle_batch(batch)
    finally:
        service.store.db.conn.set_trace_callback(None)
    assert seen.count("BEGIN IMMEDIATE") == 1 and seen.count("COMMIT") == 1
    assert [o.receipt for o in outcomes if o.receipt][-1][0] == "fire"
    assert len({o.receipt for o in outcomes}) == 50  # one receipt per message id
    assert _version(service, "fire") == "v49"
    assert service.store.one("SELECT count(*) AS n FROM seen")["n"] == 50  # type: ignore[index]
    # The same batch again (the broker re-delivers what it saw no ack for): no change.
    again = uplink.handle_batch(batch)
    assert [o.receipt for o in again] == [o.receipt for o in outcomes]
    assert service.store.one("SELECT count(*) AS n FROM seen")["n"] == 50  # type: ignore[index]


def test_the_live_stream_hears_of_a_batch_only_after_its_commit(
    service: TestService, clock: FakeClock, fire: tuple[Uplink, Signer]
) -> None:
    uplink, signer = fire
    updates = service.events.subscribe()
    heard_inside: list[dict[str, Any]] = []
    # A state message in the batch publishes a unit update; it must wait for the commit.
    state = topics.state(COUNTY, "fire")
    online = codec.encode("state", "fire", k.StateBody(status="online"), signer, at=clock.now())
    with service.store.write():
        uplink.handle_batch([(state, online[1], True), *_reports(signer, "fire", clock, 3)])
        heard_inside.extend(_drain(updates))
    assert heard_inside == []
    assert {"type": "unit", "id": "fire", "online": True} in _drain(updates)


def _drain(q: queue.Queue[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    while True:
        try:
            out.append(q.get_nowait())
        except queue.Empty:
            return out


def test_a_failing_message_is_refused_alone_and_the_rest_of_its_batch_applied(
    tmp_path: Path,
    service: TestService,
    clock: FakeClock,
    test_pki: ThrowawayPKI,
    fire: tuple[Uplink, Signer],
) -> None:
    uplink, signer = fire
    _, water = _handler(tmp_path, service, test_pki, "water-co")
    with service.store.write() as db:  # a fault put into the database for fire's reports
        db.execute(
            "CREATE TEMP TRIGGER injected_fault BEFORE INSERT ON main.unit_state"
            " WHEN NEW.unit = 'fire' BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
        )
    batch = _reports(water, "water-co", clock, 2)
    batch.insert(1, _reports(signer, "fire", clock, 1)[0])
    uplink.handle_batch(batch)
    assert _version(service, "water-co") == "v1"
    assert _version(service, "fire") is None
    rows = service.store.query("SELECT unit, reason FROM rejected")
    assert [(r["unit"], r["reason"]) for r in rows] == [("fire", "internal_error")]
    # fire's seen row was undone with the rest of its message: a fixed hub applies it later
    assert service.store.one("SELECT 1 AS x FROM seen WHERE unit='fire'") is None


def test_a_batch_the_database_cannot_take_stores_nothing(
    service: TestService, clock: FakeClock, fire: tuple[Uplink, Signer]
) -> None:
    uplink, signer = fire
    service.store.db.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(str(service.store.path), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with pytest.raises(StoreUnavailable):
            uplink.handle_batch(_reports(signer, "fire", clock, 5))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert service.store.one("SELECT count(*) AS n FROM seen")["n"] == 0  # type: ignore[index]
    assert len(uplink.handle_batch(_reports(signer, "fire", clock, 5))) == 5
