"""Units without a terminal: nothing is queued for MQTT, the operator records each step told
on the phone (source `operator:NAME`), deadlines run as for everyone, and the assessment
flags the evidence as operator-recorded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from hub.assessment.evidence import connect_readonly, read_orders
from hub.assessment.judge import judge
from hub.errors import Conflict, IntakeError
from tests.hub.conftest import incident_data, post_incident, signed
from tests.support.hubparts import TestService
from wire.clock import FakeClock


def _queued(service: TestService, order_id: str) -> int:
    """How many down messages wait in the hub's outbox for the order."""
    return len(service.store.query("SELECT seq FROM outbox WHERE order_id=?", (order_id,)))


def _phone_call(service: TestService) -> tuple[str, str]:
    """A telecom line down: the lead is China Telecom (tier 2, no terminal)."""
    assert not service.registry.units["china-telecom"].terminal
    view, _ = service.intake(incident_data(category="telecom-line-down"), source="cad-110")
    [order] = [o for o in view.orders if o.unit == "china-telecom"]
    return view.id, order.id


def test_nothing_is_queued_for_a_unit_without_a_terminal(service: TestService) -> None:
    incident_id, order_id = _phone_call(service)
    assert _queued(service, order_id) == 0
    # a unit with a terminal ordered to assist still gets its order over MQTT
    other = service.add_assist(incident_id, "tuodian-gov", by="chief")
    assert _queued(service, other.id) == 1
    service.cancel_order(order_id, by="chief", reason="重复")  # no cancel queued either
    assert _queued(service, order_id) == 0


def test_each_step_told_on_the_phone_moves_the_order_with_the_operator_as_source(
    service: TestService, clock: FakeClock
) -> None:
    incident_id, order_id = _phone_call(service)
    clock.advance(20)
    assert service.record_by_phone(order_id, "delivered", by="chief").state == "received"
    clock.advance(40)
    acked = service.record_by_phone(order_id, "acknowledged", by="chief", taken_by="王值班")
    assert acked.state == "acknowledged" and acked.acked_at == clock.now()
    clock.advance(20 * 60)
    assert service.record_by_phone(order_id, "arrived", by="chief").state == "arrived"
    clock.advance(3600)
    fed = service.record_by_phone(
        order_id, "fed_back", by="chief", result_code="resolved", text="线路已修复"
    )
    assert (fed.state, fed.result_code, fed.result_text) == ("fed_back", "resolved", "线路已修复")
    phoned = [e for e in service.incident(incident_id).timeline if e.order_id == order_id]
    steps = [(e.type, e.source, e.detail.get("via")) for e in phoned if e.type != "dispatched"]
    assert steps == [
        ("received", "operator:chief", "phone"),
        ("ack", "operator:chief", "phone"),
        ("arrived", "operator:chief", "phone"),
        ("feedback", "operator:chief", "phone"),
    ]
    assert phoned[2].detail["taken_by"] == "王值班"
    # assessment: judged like everyone's, flagged as recorded by an operator (人工录入)
    conn = connect_readonly(service.store.path)
    now = clock.now()
    [facts] = [
        f for f in read_orders(conn, now - timedelta(days=1), now, now) if f.order_id == order_id
    ]
    row = judge(facts, now)
    assert row.operator_recorded
    assert row.stages["ack"].status == "on_time" and row.stages["arrive"].status == "on_time"


@pytest.mark.parametrize(
    ("step", "kw", "field"),
    [
        ("acknowledged", {}, "taken_by"),
        ("fed_back", {"result_code": "resolved"}, "result_code"),
        ("fed_back", {"result_code": "fixed", "text": "好了"}, "result_code"),
        ("teleported", {}, "step"),
        ("acknowledged", {"taken_by": "王\x1b@"}, "taken_by"),
    ],
)
def test_a_phone_record_missing_what_it_needs_is_refused(
    service: TestService, step: str, kw: dict[str, str], field: str
) -> None:
    _, order_id = _phone_call(service)
    with pytest.raises(IntakeError) as e:
        service.record_by_phone(order_id, step, by="chief", **kw)
    assert field in e.value.details
    assert service.order(order_id).state == "dispatched"


def test_deadlines_run_as_for_everyone(service: TestService, clock: FakeClock) -> None:
    _, order_id = _phone_call(service)
    engine = service.parts.engine()
    clock.advance(4 * 60)
    engine.run_due()
    assert set(service.order(order_id).overdue) >= {"receive", "ack"}
    assert _queued(service, order_id) == 0


def test_a_closed_order_takes_no_phone_record(service: TestService) -> None:
    _, order_id = _phone_call(service)
    service.cancel_order(order_id, by="chief", reason="重复")
    with pytest.raises(Conflict):
        service.record_by_phone(order_id, "delivered", by="chief")


def test_phone_records_over_the_api(client: FlaskClient, clock: FakeClock) -> None:
    """The 12345 hotline's tools (or any system on the government side) record as the
    console does: same checks, the API source as the operator."""
    inc: Any = post_incident(client, incident_data(category="telecom-line-down")).json
    order = inc["orders"][0]["id"]
    path = f"/api/v1/orders/{order}/phone"
    refused = signed(client, clock, "POST", path, {"step": "acknowledged"})
    assert refused.status_code == 422 and "taken_by" in refused.get_data(as_text=True)
    r = signed(
        client, clock, "POST", path, {"step": "acknowledged", "taken_by": "李工", "by": "王"}
    )
    assert r.status_code == 200 and r.json["state"] == "acknowledged"  # type: ignore[index]
    timeline: Any = signed(client, clock, "GET", f"/api/v1/incidents/{inc['id']}").json
    [ack] = [e for e in timeline["timeline"] if e["type"] == "ack"]
    assert ack["source"] == "operator:cad-110/王" and ack["detail"]["via"] == "phone"


def test_an_order_of_a_unit_with_a_terminal_takes_no_phone_record(service: TestService) -> None:
    """Its terminal's signed reports are the evidence; a missed one is for an appeal."""
    view, _ = service.intake(incident_data(), source="cad-110")  # power-co: a terminal
    with pytest.raises(Conflict):
        service.record_by_phone(view.orders[0].id, "delivered", by="chief")
    assert service.order(view.orders[0].id).state == "dispatched"
