"""The escalation ladder end to end: deadlines fire on a FakeClock, the outbox fills in the
same transaction, the sender sends through the pty modem, and every row says its fate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.modem import ModemSimulator
from hub.alerts.notify import Escalation
from hub.alerts.outbox import for_incident
from hub.alerts.sender import Sender
from hub.dispatch.deadlines import DeadlineEngine
from tests.hub.alerts.conftest import messages, notify_settings, open_service
from tests.hub.conftest import incident_data
from tests.support.hubparts import TestService
from wire.clock import FakeClock

POWER_DUTY, POWER_LEADER = "08787710026", "13908780023"
SUPERVISORS = {"13908789001", "13908789002"}


class Quiet:
    def notify(self, escalation: Escalation) -> None:
        """The log notifier's job is not under test here."""


@pytest.fixture
def hub(tmp_path: Path, clock: FakeClock, sim: ModemSimulator) -> Iterator[TestService]:
    svc = open_service(tmp_path / "hub.sqlite3", clock, notify_settings(sim))
    yield svc
    svc.store.close()


def parts(svc: TestService) -> tuple[DeadlineEngine, Sender]:
    sender = svc.parts.sms_sender()
    assert sender is not None
    return svc.parts.engine(notifier=Quiet()), sender


def test_each_rung_of_the_ladder_reaches_its_people(
    hub: TestService, clock: FakeClock, sim: ModemSimulator
) -> None:
    engine, sender = parts(hub)
    view, _ = hub.intake(incident_data(), source="cad-110")  # one order, to power-co
    clock.advance(181)  # receive (30 s) and ack (3 min) are both missed
    assert engine.run_due() == 2
    sender.step()
    sent = messages(sim)
    assert [n for n, _ in sent] == [POWER_DUTY] * 2
    ack = [t for n, t in sent if n == POWER_DUTY and "签收" in t]
    assert ack == [
        "【联动督办】云南电网双柏供电局 派单“停电 妥甸镇东街12号”已超时未签收（时限3分钟）。"
        "请立即处置。"
    ]
    clock.advance(30 * 60)  # arrival (30 min, tier 1) missed
    engine.run_due()
    sender.step()
    arrive = messages(sim)[2:]
    assert sorted(n for n, _ in arrive) == sorted({POWER_LEADER} | SUPERVISORS)
    assert all("已超时未到场（时限30分钟）。请督促处置。" in t for _, t in arrive)
    clock.advance(24 * 3600)
    engine.run_due()
    sender.step()
    feedback = messages(sim)[5:]
    assert [n for n, _ in feedback] == [POWER_LEADER]
    assert all("24小时" in t for _, t in feedback)
    assert all("13812345678" not in t and "制氧机" not in t for _, t in messages(sim))
    rows = for_incident(hub.store.path, view.id)
    assert len(rows) == 6 and {r.state for r in rows} == {"sent"}
    assert [r.role for r in rows] == [
        "duty",
        "duty",
        "leader",
        "supervisor",
        "supervisor",
        "leader",
    ]
    assert hub.metrics.notifications.labels("sent")._value.get() == 6


def test_one_message_per_deadline_per_person(hub: TestService, clock: FakeClock) -> None:
    engine, _ = parts(hub)
    view, _ = hub.intake(incident_data(), source="cad-110")
    clock.advance(181)
    engine.run_due()
    outbox = hub.parts.notifications
    assert outbox is not None
    before = outbox.count("pending")
    order = view.orders[0]
    again = Escalation(
        order_id=order.id,
        incident_id=view.id,
        unit=order.unit,
        deadline="ack",
        due_at=clock.now(),
        fired_at=clock.now(),
        late=True,
        drill=False,
        duty_phones=(),
    )
    with hub.store.write() as db:
        assert outbox.enqueue(db, again) == 0
    assert outbox.count("pending") == before == 2


def test_a_refused_message_is_retried_after_its_backoff_then_sent(
    hub: TestService, clock: FakeClock, sim: ModemSimulator
) -> None:
    engine, sender = parts(hub)
    view, _ = hub.intake(incident_data(), source="cad-110")
    sim.state.cms_error, sim.state.cms_errors_left = 331, 1
    clock.advance(31)
    engine.run_due()
    sender.step()
    rows = for_incident(hub.store.path, view.id)
    assert [(r.state, r.attempts) for r in rows] == [("pending", 1)]
    assert all("+CMS ERROR: 331 (no network service)" in (r.last_error or "") for r in rows)
    clock.advance(29)
    sender.step()
    assert sim.state.taken == []  # not before the 30 s back-off
    clock.advance(1)
    sender.step()
    rows = for_incident(hub.store.path, view.id)
    assert [(r.state, r.attempts, r.last_error) for r in rows] == [("sent", 2, None)]
    assert len(messages(sim)) == 1


def test_after_the_last_attempt_the_row_is_failed(
    tmp_path: Path, clock: FakeClock, sim: ModemSimulator
) -> None:
    svc = open_service(tmp_path / "h.sqlite3", clock, notify_settings(sim, max_attempts=3))
    try:
        engine, sender = parts(svc)
        view, _ = svc.intake(incident_data(), source="cad-110")
        sim.state.registered = "0"  # no network, for good
        clock.advance(31)
        engine.run_due()
        for wait in (0, 30, 60, 3600):
            clock.advance(wait)
            sender.step()
        rows = for_incident(svc.store.path, view.id)
        assert [(r.state, r.attempts) for r in rows] == [("failed", 3)]
        assert all("no network" in (r.last_error or "") for r in rows)
        assert svc.metrics.notifications.labels("failed")._value.get() == 1
        assert svc.metrics.notifications.labels("retry")._value.get() == 2
    finally:
        svc.store.close()


def test_a_phone_past_its_rate_waits_its_turn(
    tmp_path: Path, clock: FakeClock, sim: ModemSimulator
) -> None:
    notify = notify_settings(sim, per_phone=1, per_phone_window_s=600)
    svc = open_service(tmp_path / "h.sqlite3", clock, notify)
    try:
        engine, sender = parts(svc)
        svc.intake(incident_data(), source="cad-110")
        clock.advance(181)  # receive and ack: two messages for the duty phone
        engine.run_due()
        sender.step()
        assert [n for n, _ in messages(sim)] == [POWER_DUTY]
        clock.advance(599)
        sender.step()
        assert len(messages(sim)) == 1
        clock.advance(1)
        sender.step()
        assert [n for n, _ in messages(sim)] == [POWER_DUTY] * 2
        assert svc.metrics.notifications.labels("deferred")._value.get() == 1
    finally:
        svc.store.close()


def test_drills_are_marked_or_left_out(
    tmp_path: Path, clock: FakeClock, sim: ModemSimulator
) -> None:
    for drills, path in ((True, "a.sqlite3"), (False, "b.sqlite3")):
        svc = open_service(tmp_path / path, clock, notify_settings(sim, drills=drills))
        try:
            engine, sender = parts(svc)
            svc.intake(incident_data(drill=True, source_id=path), source="cad-110")
            clock.advance(31)
            engine.run_due()
            sender.step()
        finally:
            svc.store.close()
    texts = [t for _, t in messages(sim)]
    assert len(texts) == 1  # only the hub that sends drills sent one
    assert all(t.startswith("【演练】【联动督办】") for t in texts)


def test_without_notify_nothing_is_queued(tmp_path: Path, clock: FakeClock) -> None:
    svc = TestService.open(tmp_path / "h.sqlite3", clock=clock)
    try:
        assert svc.parts.notifications is None and svc.parts.sms_sender() is None
        svc.intake(incident_data(), source="cad-110")
        clock.advance(181)
        assert svc.parts.engine(notifier=Quiet()).run_due() == 2
        assert svc.store.one("SELECT count(*) AS n FROM notifications") == {"n": 0}
    finally:
        svc.store.close()


def test_a_modem_that_is_down_pauses_the_sender_instead_of_trying_every_row(
    hub: TestService, clock: FakeClock, sim: ModemSimulator
) -> None:
    engine, sender = parts(hub)
    view, _ = hub.intake(incident_data(), source="cad-110")
    clock.advance(30 * 60 + 1)  # receive, ack, arrive: 5 rows
    engine.run_due()
    sim.state.registered = "0"
    sender.step()

    def attempts() -> list[int]:
        return [r.attempts for r in for_incident(hub.store.path, view.id)]

    assert attempts() == [1, 0, 0, 0, 0]  # one try said the modem is down; the pass ended
    assert sender.paused_until == clock.now() + sender.backoff(1)
    clock.advance(29)
    sender.step()
    assert sum(attempts()) == 1  # paused
    sim.state.registered = "1"
    clock.advance(1)
    sender.step()
    rows = for_incident(hub.store.path, view.id)
    assert [(r.state, r.attempts) for r in rows] == [("sent", 2)] + [("sent", 1)] * 4
    assert len(messages(sim)) == 5


def test_a_queued_sms_whose_order_ended_is_void_not_sent(
    hub: TestService, clock: FakeClock, sim: ModemSimulator
) -> None:
    engine, sender = parts(hub)
    view, _ = hub.intake(incident_data(), source="cad-110")
    sim.state.registered = "0"  # the modem is down when the escalations fire
    clock.advance(181)
    engine.run_due()
    sender.step()
    hub.cancel_order(view.orders[0].id, by="operator:wang", reason="误报")
    sim.state.registered = "1"
    clock.advance(30)
    sender.step()
    rows = for_incident(hub.store.path, view.id)
    assert [r.state for r in rows] == ["void", "void"]
    assert all(r.last_error == "overtaken: the order is cancelled" for r in rows)
    assert sim.state.taken == []
    assert hub.metrics.notifications.labels("void")._value.get() == 2
