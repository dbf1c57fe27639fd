"""The console for units without a terminal (duty phones, 电话录入, 电话联络 on the units page)
and for calls a unit took itself (自接 on the board and the incident page)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import msgspec
import pytest
from flask.testing import FlaskClient

from hub.console import audit
from hub.dispatch.views import IncidentView
from provisioning.pki import new_key
from tests.hub.conftest import incident_data
from tests.hub.console.conftest import post_form
from tests.support import samples
from tests.support.hubparts import TestService
from wire import codec
from wire.signing import Signer


@pytest.fixture
def phone_incident(service: TestService) -> IncidentView:
    """A telecom line down: China Telecom (tier 2, no terminal) leads."""
    found, _ = service.intake(incident_data(category="telecom-line-down"), source="cad-110")
    return found


def selfcall_incident(service: TestService, needs_assist: bool = True) -> IncidentView:
    now = service.clock.now()
    body = msgspec.structs.replace(
        samples.selfcall(),
        taken_at=now - timedelta(minutes=40),
        arrived_at=now - timedelta(minutes=20),
        needs_assist=needs_assist,
    )
    key = Signer(new_key())
    _, raw = codec.encode("selfcall", "water-co", body, key, at=now - timedelta(minutes=5))
    service.parts.inbox.report("water-co", codec.decode(raw, key.verifier))
    [row] = service.store.query("SELECT id FROM incidents WHERE source='unit:water-co'")
    return service.incident(str(row["id"]))


def _lead(incident: IncidentView) -> str:
    return next(o.id for o in incident.orders if o.unit == "china-telecom")


def test_the_incident_page_shows_the_duty_phone_and_the_phone_form(
    as_role: Callable[[str], FlaskClient], phone_incident: IncidentView
) -> None:
    page = as_role("operator").get(f"/incidents/{phone_incident.id}").get_data(as_text=True)
    assert "电话联络单位" in page and "0878-7710033" in page and 'href="tel:0878-7710033"' in page
    assert 'id="phone-form"' in page and "通知已送达" in page and "签收人" in page
    assert "中国电信双柏分公司" in page


def test_an_auditor_sees_the_phone_but_no_form(
    as_role: Callable[[str], FlaskClient], phone_incident: IncidentView
) -> None:
    page = as_role("auditor").get(f"/incidents/{phone_incident.id}").get_data(as_text=True)
    assert "0878-7710033" in page and 'id="phone-form"' not in page


def test_the_operator_records_each_step_and_each_is_audited(
    as_role: Callable[[str], FlaskClient], service: TestService, phone_incident: IncidentView
) -> None:
    client = as_role("operator")
    page = f"/incidents/{phone_incident.id}"
    order_id = _lead(phone_incident)
    steps = [
        {"phone-step": "delivered"},
        {"phone-step": "acknowledged", "phone-taken_by": "李工"},
        {"phone-step": "arrived"},
        {"phone-step": "fed_back", "phone-result_code": "resolved", "phone-text": "线路已修复"},
    ]
    for step in steps:
        done = post_form(client, page, f"{page}/phone", {"phone-order_id": order_id, **step})
        assert done.status_code == 302 and done.location == page
    order = service.order(order_id)
    assert (order.state, order.result_code) == ("fed_back", "resolved")
    timeline = service.incident(phone_incident.id).timeline
    phoned = [e for e in timeline if e.order_id == order_id and e.source.startswith("operator:")]
    assert [e.type for e in phoned] == ["received", "ack", "arrived", "feedback"]
    assert {e.source for e in phoned} == {"operator:operator-1"}
    rows = [r for r in audit.entries(service.db_path) if r.action == "phone_record"]
    assert len(rows) == 4 and all(r.outcome == "ok" for r in rows)


def test_a_phone_record_without_who_signed_is_refused_and_audited(
    as_role: Callable[[str], FlaskClient], service: TestService, phone_incident: IncidentView
) -> None:
    client = as_role("operator")
    page = f"/incidents/{phone_incident.id}"
    order_id = _lead(phone_incident)
    post_form(
        client, page, f"{page}/phone", {"phone-order_id": order_id, "phone-step": "acknowledged"}
    )
    assert service.order(order_id).state == "dispatched"
    [row] = [r for r in audit.entries(service.db_path) if r.action == "phone_record"]
    assert row.outcome == "refused"
    shown = client.get(page).get_data(as_text=True)
    assert "请填写签收人" in shown


def test_an_order_of_a_terminal_unit_is_not_recorded_by_phone(
    as_role: Callable[[str], FlaskClient], service: TestService, phone_incident: IncidentView
) -> None:
    client = as_role("operator")
    page = f"/incidents/{phone_incident.id}"
    other = service.add_assist(phone_incident.id, "tuodian-gov", by="chief")
    assert other.terminal
    post_form(client, page, f"{page}/phone", {"phone-order_id": other.id, "phone-step": "arrived"})
    assert service.order(other.id).state == "dispatched"
    [row] = [r for r in audit.entries(service.db_path) if r.action == "phone_record"]
    assert row.outcome == "invalid"


def test_the_units_page_shows_phones_not_red_offline(
    as_role: Callable[[str], FlaskClient], service: TestService
) -> None:
    page = as_role("auditor").get("/units").get_data(as_text=True)
    telecom = page.split('data-unit="china-telecom"')[1].split("</tr>")[0]
    assert "电话联络" in telecom and "0878-7710033" in telecom and "离线" not in telecom
    assert 'class="phone"' in page.split('data-unit="china-telecom"')[0].rsplit("<tr", 1)[1]
    water = page.split('data-unit="water-co"')[1].split("</tr>")[0]
    assert "离线" in water  # a terminal unit never heard from is still dark
    dark = sum(1 for u in service.units_status() if u.terminal)
    assert f"离线: {dark}" in page or f"离线：{dark}" in page


def test_the_board_and_the_page_mark_a_self_taken_call(
    as_role: Callable[[str], FlaskClient], service: TestService
) -> None:
    incident = selfcall_incident(service)
    client = as_role("operator")
    board = client.get("/").get_data(as_text=True)
    row = board.split(f'data-incident="{incident.id}"')[1].split("</tbody>")[0]
    assert "自接" in row and "请求协助" in row
    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "自接" in page and "需交警协助疏导交通" in page and "139****1234" in page
    assert 'id="assist-form"' in page  # the operator may add assisting units
    done = post_form(
        client,
        f"/incidents/{incident.id}",
        f"/incidents/{incident.id}/assist",
        {"assist-unit": "traffic-police", "assist-note": "疏导交通"},
    )
    assert done.status_code == 302
    assert [o.unit for o in service.incident(incident.id).orders] == ["water-co", "traffic-police"]
