"""The incident page: timeline, map, and each action with its role enforced and audited."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from hub.console import audit
from hub.dispatch.views import IncidentView
from tests.hub.conftest import incident_data
from tests.hub.console.conftest import post_form
from tests.support.hubparts import TestService


@pytest.fixture
def incident(service: TestService) -> IncidentView:
    found, _created = service.intake(incident_data(category="road-damage"), source="cad-110")
    return found


def _page(incident: IncidentView) -> str:
    return f"/incidents/{incident.id}"


def test_the_page_shows_timeline_orders_and_an_offline_map(
    as_role: Callable[[str], FlaskClient], incident: IncidentView
) -> None:
    client = as_role("auditor")
    page = client.get(_page(incident)).get_data(as_text=True)
    assert "处置时间线" in page and "接报警情" in page and "已派单" in page
    assert '<svg viewBox="0 0 480 360"' in page
    assert 'class="county"' in page
    for township in ("妥甸镇", "大庄镇", "独田乡"):
        assert f">{township}</text>" in page
    assert 'class="marker incident"' in page
    assert "http" not in page.split("<svg")[1].split("</svg>")[0]  # nothing fetched for the map
    # Read-only for the auditor: no action forms.
    assert 'id="assist-form"' not in page and 'id="close-form"' not in page


def test_unknown_incident_is_404(as_role: Callable[[str], FlaskClient]) -> None:
    assert as_role("operator").get("/incidents/NOPE").status_code == 404


def test_operator_adds_an_assisting_unit_and_a_note(
    as_role: Callable[[str], FlaskClient], service: TestService, incident: IncidentView
) -> None:
    client = as_role("operator")
    page = client.get(_page(incident)).get_data(as_text=True)
    assert 'id="assist-form"' in page and 'id="note-form"' in page
    assert 'id="close-form"' not in page and 'id="reassign-form"' not in page
    done = post_form(
        client,
        _page(incident),
        f"{_page(incident)}/assist",
        {"assist-unit": "fire", "assist-note": "协助疏散"},
    )
    assert done.location == _page(incident)
    post_form(client, _page(incident), f"{_page(incident)}/note", {"note-text": "已电话联系现场"})
    after = service.incident(incident.id)
    assert [(o.unit, o.role) for o in after.orders][-1] == ("fire", "assist")
    notes = [e for e in after.timeline if e.type == "note"]
    assert notes[0].detail["text"] == "已电话联系现场"
    assert notes[0].source == "operator:operator-1"
    actions = [r.action for r in audit.entries(service.db_path) if r.outcome == "ok"]
    assert "add_assist" in actions and "note" in actions


def test_operator_may_not_cancel_reassign_or_close(
    as_role: Callable[[str], FlaskClient], service: TestService, incident: IncidentView
) -> None:
    client = as_role("operator")
    order = incident.orders[0]
    page = _page(incident)
    assert (
        post_form(
            client, page, f"{page}/cancel", {"cancel-order_id": order.id, "cancel-reason": "x"}
        ).status_code
        == 403
    )
    assert (
        post_form(
            client,
            page,
            f"{page}/reassign",
            {"reassign-order_id": order.id, "reassign-unit": "fire"},
        ).status_code
        == 403
    )
    assert post_form(client, page, f"{page}/close", {}).status_code == 403
    after = service.incident(incident.id)
    assert after.state == "open" and after.orders[0].state == "dispatched"
    denied = [r for r in audit.entries(service.db_path) if r.outcome == "forbidden"]
    assert len(denied) == 3


def test_supervisor_reassigns_cancels_and_closes(
    as_role: Callable[[str], FlaskClient], service: TestService, incident: IncidentView
) -> None:
    client = as_role("supervisor")
    page = _page(incident)
    lead = incident.orders[0]
    post_form(
        client,
        page,
        f"{page}/reassign",
        {"reassign-order_id": lead.id, "reassign-unit": "fire", "reassign-reason": "职责调整"},
    )
    after = service.incident(incident.id)
    assert service.order(lead.id).state == "reassigned"
    new_lead = next(o for o in after.orders if o.unit == "fire")
    post_form(
        client, page, f"{page}/cancel", {"cancel-order_id": new_lead.id, "cancel-reason": "误派"}
    )
    assert service.order(new_lead.id).state == "cancelled"
    post_form(client, page, f"{page}/close", {"close-note": "已处置完毕"})
    assert service.incident(incident.id).state == "closed"
    assert service.open_incidents() == []


def test_a_refused_action_is_explained_and_audited(
    as_role: Callable[[str], FlaskClient], service: TestService, incident: IncidentView
) -> None:
    client = as_role("supervisor")
    page = _page(incident)
    lead = incident.orders[0]
    response = post_form(
        client, page, f"{page}/reassign", {"reassign-order_id": lead.id, "reassign-unit": lead.unit}
    )
    assert response.status_code == 302
    shown = client.get(page).get_data(as_text=True)
    unit_name = service.registry.units[lead.unit].name_zh
    # The hub's refusal in the reader's words: the unit by name, no English, no order id.
    assert f"未执行：该派单已派给 {unit_name}" in shown
    assert "already with" not in shown
    refused = [r for r in audit.entries(service.db_path) if r.outcome == "refused"]
    assert refused[0].action == "reassign" and "already with" in refused[0].detail["error"]


def test_a_refusal_names_the_state_in_words_and_switches_to_english(
    as_role: Callable[[str], FlaskClient], service: TestService, incident: IncidentView
) -> None:
    client = as_role("supervisor")
    page = _page(incident)
    lead = incident.orders[0]
    form = {"cancel-order_id": lead.id, "cancel-reason": "误派"}
    post_form(client, page, f"{page}/cancel", form)
    post_form(client, page, f"{page}/cancel", form)
    shown = client.get(page).get_data(as_text=True)
    assert "该派单状态为“已撤单”，不能撤销" in shown
    assert "cannot be cancelled" not in shown
    client.get("/lang/en")
    post_form(client, page, f"{page}/cancel", form)
    shown = client.get(page).get_data(as_text=True)
    assert f"order {lead.id} is cancelled; it cannot be cancelled" in shown


def test_cancel_needs_a_reason_next_to_the_field(
    as_role: Callable[[str], FlaskClient], service: TestService, incident: IncidentView
) -> None:
    client = as_role("supervisor")
    page = _page(incident)
    post_form(client, page, f"{page}/cancel", {"cancel-order_id": incident.orders[0].id})
    assert "原因: 此项必填。" in client.get(page).get_data(as_text=True)
    assert service.order(incident.orders[0].id).state == "dispatched"


def test_live_fragment_has_orders_and_timeline(
    as_role: Callable[[str], FlaskClient], incident: IncidentView
) -> None:
    fragment = as_role("operator").get(f"{_page(incident)}/live").get_data(as_text=True)
    assert "<html" not in fragment
    assert f'data-order="{incident.orders[0].id}"' in fragment
    assert 'class="timeline"' in fragment


def test_refusals_are_console_pages_but_the_api_keeps_its_own(
    as_role: Callable[[str], FlaskClient],
) -> None:
    client = as_role("operator")
    missing = client.get("/incidents/NOPE")
    assert missing.status_code == 404 and "没有这个警情" in missing.get_data(as_text=True)
    forbidden = client.get("/audit")
    assert forbidden.status_code == 403 and "无权操作" in forbidden.get_data(as_text=True)
    api = client.get("/api/v1/incidents/NOPE")
    assert api.status_code in (401, 404) and api.is_json


def test_an_order_of_another_incident_cannot_be_changed_from_this_page(
    as_role: Callable[[str], FlaskClient], service: TestService, incident: IncidentView
) -> None:
    """The page names one incident: an order id of another (a stale tab, a crafted post)
    is refused, not changed and audited under the wrong incident."""
    other, _ = service.intake(
        incident_data(source_id="J5323220000000999", category="power-cut"), source="cad-110"
    )
    foreign = other.orders[0]
    client = as_role("supervisor")
    page = _page(incident)
    response = post_form(
        client, page, f"{page}/cancel", {"cancel-order_id": foreign.id, "cancel-reason": "误派"}
    )
    assert response.status_code == 404
    assert service.order(foreign.id).state != "cancelled"
    refused = [r for r in audit.entries(service.db_path) if r.action == "cancel_order"]
    assert refused and refused[-1].outcome == "not_found"
