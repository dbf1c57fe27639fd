"""The deadline engine at rest costs no write transaction, and is woken only for a deadline
earlier than the one it waits for (issue 17: it was woken by every intake and every report
and opened two write transactions per wake, waiting on the lock the reports need)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from hub.db.times import ts
from tests.hub.conftest import incident_data
from tests.support.hubparts import TestService
from wire.clock import FakeClock


@contextmanager
def statements(service: TestService) -> Iterator[list[str]]:
    """Every SQL statement run on the store's writing connection inside the block (reads
    outside a transaction go to a reader connection of their own)."""
    seen: list[str] = []
    conn = service.store.db.conn
    conn.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        conn.set_trace_callback(None)


def writes(seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith(("BEGIN", "UPDATE", "INSERT"))]


def test_a_pass_with_nothing_due_and_nobody_stale_opens_no_write(
    service: TestService, clock: FakeClock
) -> None:
    engine = service.parts.engine()
    service.intake(incident_data(), source="cad-110")
    with statements(service) as seen:
        assert engine.step() >= 0
    assert writes(seen) == []
    clock.advance(31)  # the receive deadline falls due: now the pass writes
    with statements(service) as seen:
        engine.step()
    assert "BEGIN IMMEDIATE" in seen
    assert any(s.startswith("UPDATE deadlines SET fired_at") for s in seen)


def test_a_stale_unit_is_the_only_reason_the_sweep_writes(
    service: TestService, clock: FakeClock
) -> None:
    engine = service.parts.engine()
    with service.store.write() as db:
        db.execute(
            "INSERT INTO unit_state (unit, last_seen, online) VALUES ('power-co', ?, 1)",
            (ts(clock.now()),),
        )
    with statements(service) as seen:
        assert engine.sweep_presence() == []
    assert writes(seen) == []
    clock.advance(service.stale_after_s + 1)
    with statements(service) as seen:
        assert engine.sweep_presence() == ["power-co"]
    assert "BEGIN IMMEDIATE" in seen


def test_the_engine_is_woken_only_for_an_earlier_deadline(
    service: TestService, clock: FakeClock
) -> None:
    wake = service.parts.wake
    engine = service.parts.engine()
    wake.deadlines.clear()
    service.intake(incident_data(source_id="A"), source="cad-110")
    assert wake.deadlines.is_set(), "nothing was open: the first deadline wakes it"
    engine.step()  # the engine now waits for A's receive deadline
    assert wake.next_due is not None
    wake.deadlines.clear()
    clock.advance(5)
    service.intake(incident_data(source_id="B"), source="cad-110")
    assert not wake.deadlines.is_set(), "B's deadlines all fall after A's"
    # A report (here a dispatcher's note or any change) without a new deadline: no wake.
    wake.changed({"type": "incident", "id": "x"})
    assert not wake.deadlines.is_set()
    # Earlier than what the engine waits for (its next is A's receive, 25 s from now).
    wake.next_due = clock.now() + (wake.next_due - clock.now()) * 10
    service.intake(incident_data(source_id="C"), source="cad-110")
    assert wake.deadlines.is_set()
