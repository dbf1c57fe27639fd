"""自接警情 at the hub (双轨制): a unit's selfcall report becomes an incident sourced from the
unit, its own order already fed back, once per report and once per call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from provisioning.pki import new_key
from tests.support import samples
from tests.support.hubparts import TestService
from wire import codec
from wire import kinds as k
from wire.clock import FakeClock
from wire.signing import Signer

UNIT = "water-co"
NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
UNIT_KEY = Signer(new_key())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def svc(tmp_path: Path, clock: FakeClock) -> TestService:
    return TestService.open(tmp_path / "hub.sqlite3", clock=clock)


def _body(**change: object) -> k.SelfCallBody:
    body = samples.selfcall()
    body = msgspec.structs.replace(
        body,
        taken_at=NOW - timedelta(minutes=50),
        arrived_at=NOW - timedelta(minutes=30),
    )
    return msgspec.structs.replace(body, **change) if change else body


def _report(svc: TestService, body: k.SelfCallBody, at: datetime | None = None) -> str:
    msg_id, raw = codec.encode(
        "selfcall", UNIT, body, UNIT_KEY, at=at or NOW - timedelta(minutes=5)
    )
    svc.parts.inbox.report(UNIT, codec.decode(raw, UNIT_KEY.verifier, unit=UNIT))
    return msg_id


def _self_incidents(svc: TestService) -> list[dict[str, object]]:
    return svc.store.query("SELECT * FROM incidents WHERE source=?", (f"unit:{UNIT}",))


def test_a_selfcall_is_an_incident_with_the_units_order_already_fed_back(
    svc: TestService,
) -> None:
    msg_id = _report(svc, _body())
    [row] = _self_incidents(svc)
    view = svc.incident(str(row["id"]))
    assert (view.source, view.source_id) == ("unit:water-co", samples.selfcall().call_id)
    assert (view.category, view.township, view.state) == ("water-main-burst", "tuodian", "open")
    assert view.caller_phone_masked == "139****1234"
    assert row["caller_phone"] == "139****1234"  # only ever the masked number
    assert view.reported_at == NOW - timedelta(minutes=50)
    [order] = view.orders
    assert (order.unit, order.role, order.state) == (UNIT, "lead", "fed_back")
    assert order.acked_at == NOW - timedelta(minutes=50)
    assert order.arrived_at == NOW - timedelta(minutes=30)
    assert order.fed_back_at == NOW - timedelta(minutes=5)
    assert (order.result_code, order.result_text) == ("resolved", "已关阀抢修，恢复供水。")
    assert order.next_deadline is None and order.overdue == []  # nobody dispatched it
    assert svc.store.query("SELECT * FROM deadlines") == []
    assert svc.store.query("SELECT * FROM outbox") == []  # nothing goes down to the unit
    evidence = svc.store.one("SELECT * FROM events WHERE id=?", (msg_id,))
    assert evidence is not None and evidence["type"] == "selfcall" and evidence["sig"]
    types = [e.type for e in view.timeline]
    assert types[:1] == ["incident"] and {"dispatched", "ack", "arrived", "feedback"} <= set(types)
    assert all(e.source == "unit:water-co" for e in view.timeline)
    assert view.timeline[0].detail["needs_assist"] is True


def test_the_same_report_or_the_same_call_twice_makes_one_incident(svc: TestService) -> None:
    body = _body()
    _, raw = codec.encode("selfcall", UNIT, body, UNIT_KEY, at=NOW - timedelta(minutes=5))
    msg = codec.decode(raw, UNIT_KEY.verifier, unit=UNIT)
    svc.parts.inbox.report(UNIT, msg)
    svc.parts.inbox.report(UNIT, msg)  # redelivered: same envelope id
    _report(svc, body)  # a new envelope for the same call_id
    assert len(_self_incidents(svc)) == 1
    assert len(svc.store.query("SELECT * FROM orders")) == 1
    _report(svc, _body(call_id="01JSELFCALL0000000000002"))
    assert len(_self_incidents(svc)) == 2


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"category": "no-such-category"}, "unknown_category"),
        ({"township": "atlantis"}, "unknown_township"),
        ({"address": "东街\x1b@"}, "invalid"),
    ],
)
def test_a_selfcall_that_cannot_be_an_incident_is_kept_as_refused(
    svc: TestService, change: dict[str, object], reason: str
) -> None:
    _report(svc, _body(**change))
    assert _self_incidents(svc) == []
    assert svc.store.query("SELECT * FROM orders") == []
    [refused] = svc.store.query("SELECT * FROM rejected")
    assert refused["reason"] == reason and refused["unit"] == UNIT


def test_times_from_the_future_are_not_believed(svc: TestService) -> None:
    future = NOW + timedelta(hours=2)
    _report(svc, _body(taken_at=future, arrived_at=future), at=future)
    [row] = _self_incidents(svc)
    [order] = svc.incident(str(row["id"])).orders
    assert order.acked_at == NOW and order.arrived_at == NOW and order.fed_back_at == NOW


def test_the_operator_adds_an_assisting_unit_to_a_selfcall(svc: TestService) -> None:
    _report(svc, _body())
    [row] = _self_incidents(svc)
    order = svc.add_assist(str(row["id"]), "traffic-police", by="chief", note="疏导交通")
    assert (order.unit, order.role, order.state) == ("traffic-police", "assist", "dispatched")
    [out] = svc.store.query("SELECT * FROM outbox")
    sent = codec.decode(out["payload"], svc.parts.ledger.signer.verifier)
    assert isinstance(sent.body, k.OrderBody)
    assert sent.body.caller_phone == "139****1234" and sent.body.role == "assist"


def test_the_assessment_counts_self_recorded_calls(svc: TestService) -> None:
    """One call recorded within 24 h, one a day and a half late: two cases, one met; no
    stage of either is judged (nobody dispatched them), and the rows are flagged 自接."""
    from hub.assessment import periods
    from hub.assessment.compute import assess
    from hub.assessment.evidence import connect_readonly
    from hub.assessment.present import flags
    from hub.assessment.rubric import load_rubric

    _report(svc, _body())
    late = _body(call_id="01JSELFCALL0000000000009", taken_at=NOW - timedelta(hours=36))
    _report(svc, msgspec.structs.replace(late, arrived_at=None))
    conn = connect_readonly(svc.store.path)
    period = periods.span(periods.beijing_day(NOW) - timedelta(days=3), periods.beijing_day(NOW))
    a = assess(conn, svc.registry, load_rubric(), period, NOW)
    [unit] = [s for s in a.units if s.key == UNIT]
    assert unit.self_recorded == 2 and unit.orders == 2 and unit.late == 0 and unit.open == 0
    item = unit.items["self-recorded"]
    assert (item.cases, item.met, item.earned) == (2, 1, 2.0)  # deduct 1 of 3 points
    assert all(s.status == "none" for r in a.rows for s in r.stages.values())
    assert all("自接" in flags(r) for r in a.rows)
    assert a.county.self_recorded == 2
