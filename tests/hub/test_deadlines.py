"""The deadline engine on a real SQLite file, driven by a FakeClock (no sleeping)."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from hub.alerts.notify import Escalation
from hub.registry import Registry
from hub.terminals.unit_certs import UnitKeys
from tests.hub.conftest import count, incident_data
from tests.hub.harness import COUNTY
from tests.support.hubparts import TestService
from tests.support.pki import ThrowawayPKI
from wire import codec, topics
from wire import kinds as k
from wire.clock import FakeClock
from wire.signing import Signer


class Recorder:
    """A real Notifier that keeps what it was told."""

    def __init__(self) -> None:
        self.seen: list[Escalation] = []

    def notify(self, escalation: Escalation) -> None:
        self.seen.append(escalation)


def test_each_deadline_fires_once_at_its_time(service: TestService, clock: FakeClock) -> None:
    rec = Recorder()
    engine = service.parts.engine(notifier=rec)
    view, _ = service.intake(incident_data(), source="cad-110")
    order = view.orders[0]
    assert engine.next_due() == order.dispatched_at + timedelta(seconds=30)
    clock.advance(29.9)
    assert engine.run_due() == 0
    clock.advance(0.2)
    assert engine.run_due() == 1
    assert engine.run_due() == 0
    assert [(e.deadline, e.late, e.unit) for e in rec.seen] == [("receive", False, "power-co")]
    assert service.order(order.id).overdue == ["receive"]
    clock.advance(24 * 3600)
    assert engine.run_due() == 3  # ack, arrive (30 min, tier 1) and feedback
    assert service.incident(view.id).late
    kinds = {r["kind"] for r in service.store.query("SELECT kind FROM outbox")}
    assert kinds == {"order", "command"}  # realarm for ack and arrive
    overdue = [e for e in service.incident(view.id).timeline if e.type == "overdue"]
    assert [e.detail["deadline"] for e in overdue] == ["receive", "ack", "arrive", "feedback"]
    assert all(e.source == "engine" for e in overdue)


@pytest.mark.parametrize("speed", [1.0, 60.0, 600.0])
def test_the_loop_fires_within_a_second_whatever_the_clock_pace(
    service: TestService, clock: FakeClock, speed: float
) -> None:
    """The loop's waits are real seconds, due times clock seconds: at 60x a real-second wait
    would fire a deadline up to a county minute late. Simulated with a FakeClock moved
    `speed` seconds per second of a counted real time, each wait taken in full."""
    real = [0.0]
    rec = Recorder()
    engine = service.parts.engine(notifier=rec, monotonic=lambda: real[0])
    view, _ = service.intake(incident_data(), source="cad-110")
    end = view.orders[0].dispatched_at + timedelta(minutes=4)  # past receive and ack
    passes = 0
    while clock.now() < end:
        wait = engine.step()
        assert 0.0 <= wait <= 1.0
        real[0] += wait
        clock.advance(wait * speed)
        passes += 1
    assert [e.deadline for e in rec.seen] == ["receive", "ack"]
    assert all(e.fired_at - e.due_at <= timedelta(seconds=1) for e in rec.seen)
    assert passes < 4 * 60 + 20  # about a pass per clock second, at any pace


def test_a_standing_fake_clock_waits_a_real_second(service: TestService) -> None:
    engine = service.parts.engine(notifier=Recorder())
    assert engine.step() <= 0.01  # the first pass does not know the pace yet
    assert engine.step() == 1.0  # nothing due, the clock did not move: the plain second


def test_cancelled_order_fires_nothing(service: TestService, clock: FakeClock) -> None:
    engine = service.parts.engine(notifier=Recorder())
    view, _ = service.intake(incident_data(), source="cad-110")
    service.cancel_order(view.orders[0].id, by="王", reason="误报")
    clock.advance(2 * 24 * 3600)
    assert engine.run_due() == 0
    assert engine.next_due() is None


def test_restart_fires_what_fell_due_while_down_marked_late(
    tmp_path: Path, registry: Registry, clock: FakeClock
) -> None:
    db = tmp_path / "hub.sqlite3"
    signer = Signer(ec.generate_private_key(ec.SECP256R1()))
    first = TestService.open(db, registry=registry, clock=clock, signer=signer)
    view, _ = first.intake(incident_data(), source="cad-110")
    first.store.close()
    clock.advance(3600)  # the hub is down for an hour
    second = TestService.open(db, registry=registry, clock=clock, signer=signer)
    rec = Recorder()
    assert second.parts.engine(notifier=rec).run_due() == 3
    assert {e.deadline for e in rec.seen} == {"receive", "ack", "arrive"}
    assert all(e.late for e in rec.seen)
    assert all(e.late for e in second.incident(view.id).timeline if e.type == "overdue")
    second.store.close()


def test_ten_thousand_open_deadlines(service: TestService, clock: FakeClock) -> None:
    """2,500 orders x 4 deadlines: the next-due query stays indexed and cheap."""
    with service.store.write():  # one commit for the setup; each intake joins it
        for i in range(2500):
            service.intake(incident_data(source_id=f"J{i:06d}"), source="cad-110")
            clock.advance(0.01)
    assert count(service, "SELECT count(*) FROM deadlines WHERE fired_at IS NULL") == 10_000
    plan = " ".join(
        r["detail"]
        for r in service.store.query(
            "EXPLAIN QUERY PLAN SELECT min(due_at) FROM deadlines"
            " WHERE fired_at IS NULL AND met_at IS NULL AND void_at IS NULL"
        )
    )
    assert "deadlines_open" in plan
    engine = service.parts.engine(notifier=Recorder())
    started = time.perf_counter()
    for _ in range(100):
        engine.next_due()
    assert (time.perf_counter() - started) / 100 < 0.005
    clock.advance(31)
    started = time.perf_counter()
    assert engine.run_due() == 2500  # every receive deadline
    assert time.perf_counter() - started < 20
    assert engine.next_due() is not None


def test_offline_ack_is_judged_by_its_own_time(
    tmp_path: Path, service: TestService, clock: FakeClock, test_pki: ThrowawayPKI
) -> None:
    """An ack pressed on time but delivered after the deadline fired counts as on time."""
    cert, key = test_pki.client("power-co")
    (tmp_path / "units" / "power-co").mkdir(parents=True)
    (tmp_path / "units" / "power-co" / "unit.crt").write_bytes(cert.read_bytes())
    (tmp_path / "ca").mkdir()
    (tmp_path / "ca" / "ca.crt").write_bytes(test_pki.ca_path.read_bytes())
    handler = service.parts.uplink(UnitKeys(tmp_path))
    engine = service.parts.engine(notifier=Recorder())
    view, _ = service.intake(incident_data(), source="cad-110")
    order_id = view.orders[0].id
    signer = Signer.from_pem(key.read_bytes())
    pressed = clock.advance(20)  # acknowledged at 20 s, while the link was down
    _, received = codec.encode(
        "received", "power-co", k.ReceivedBody(order_id=order_id), signer, at=pressed
    )
    _, ack = codec.encode("ack", "power-co", k.AckBody(order_id=order_id), signer, at=pressed)
    clock.advance(600)
    assert engine.run_due() == 2  # receive and ack fired meanwhile (the hub had no news)
    up = topics.up(COUNTY, "power-co")
    assert handler.handle(up, received).receipt is not None
    assert handler.handle(up, ack).receipt is not None
    order = service.order(order_id)
    assert order.state == "acknowledged" and order.acked_at == pressed
    assert order.overdue == []  # receive and ack were on time by the signed `at`
    types = [e.type for e in service.incident(view.id).timeline]
    assert types.count("deadline_met_in_time") == 2


def test_a_report_signed_before_dispatch_or_in_the_future_is_not_believed(
    tmp_path: Path, service: TestService, clock: FakeClock, test_pki: ThrowawayPKI
) -> None:
    """A terminal whose clock is wrong (or a unit gaming its assessment) cannot be judged on
    time by a time it could not have had: its report counts from when the hub got it, and
    the signed time stays on record."""
    cert, key = test_pki.client("power-co")
    (tmp_path / "units" / "power-co").mkdir(parents=True)
    (tmp_path / "units" / "power-co" / "unit.crt").write_bytes(cert.read_bytes())
    (tmp_path / "ca").mkdir()
    (tmp_path / "ca" / "ca.crt").write_bytes(test_pki.ca_path.read_bytes())
    handler = service.parts.uplink(UnitKeys(tmp_path))
    engine = service.parts.engine(notifier=Recorder())
    view, _ = service.intake(incident_data(), source="cad-110")
    order_id = view.orders[0].id
    dispatched = clock.now()
    signer = Signer.from_pem(key.read_bytes())
    clock.advance(3600)
    engine.run_due()
    backdated = dispatched - timedelta(hours=2)
    _, ack = codec.encode("ack", "power-co", k.AckBody(order_id=order_id), signer, at=backdated)
    handler.handle(topics.up(COUNTY, "power-co"), ack)
    order = service.order(order_id)
    assert order.acked_at == clock.now()  # not two hours before the order existed
    assert "ack" in order.overdue
    far_future = clock.now() + timedelta(days=1)
    _, arrived = codec.encode(
        "arrived",
        "power-co",
        k.ArrivedBody(order_id=order_id, source="button"),
        signer,
        at=far_future,
    )
    handler.handle(topics.up(COUNTY, "power-co"), arrived)
    order = service.order(order_id)
    assert order.arrived_at == clock.now()
    assert "arrive" in order.overdue  # an hour after dispatch: late, whatever it claimed
    events = {e.type: e for e in service.incident(view.id).timeline}
    assert events["arrived"].detail["clock_suspect"] is True
    assert events["arrived"].detail["signed_at"].startswith(str(far_future.year))
