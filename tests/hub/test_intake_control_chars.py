"""Issue 11, case 3 (hub side) and the NUL of case 8: printer control codes never get in.

ESC/POS commands are ordinary control characters; a summary that carries them reset, cut,
turned upside down and pulsed the duty-room printer. Every text field refuses C0, C1 and
DEL at the door, naming the field; only the multi-line fields keep a newline.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from hub.errors import IntakeError
from tests.hub.conftest import count, incident_data, post_incident, signed
from tests.support.hubparts import TestService
from wire.clock import FakeClock

ESC_POS = {
    "reset": "\x1b@",
    "cut": "\x1dV\x00",
    "upside_down": "\x1b{\x01",
    "code_page": "\x1bt\x10",
    "pulse": "\x10\x14\x01\x00\x05",
}


def _refused(r: Any, field: str) -> dict[str, str]:
    assert r.status_code == 422, r.get_data(as_text=True)
    assert r.is_json
    fields: dict[str, dict[str, str]] = r.json["fields"]
    assert set(fields) == {field}
    return fields[field]


@pytest.mark.parametrize("name", sorted(ESC_POS))
def test_esc_pos_in_the_summary_is_refused_and_nothing_stored(
    client: FlaskClient, service: TestService, name: str
) -> None:
    r = post_incident(client, incident_data(summary=f"整条街停电{ESC_POS[name]}，有老人。"))
    message = _refused(r, "summary")
    assert "控制字符" in message["zh"] and "control character" in message["en"]
    assert count(service, "SELECT count(*) FROM incidents") == 0
    assert count(service, "SELECT count(*) FROM outbox") == 0


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\n", "\t", "\x7f", "\x85", "\x9b"])
def test_the_address_refuses_every_control_character_even_nul(
    client: FlaskClient, service: TestService, char: str
) -> None:
    r = post_incident(client, incident_data(address=f"妥甸镇{char}东街 12 号"))
    message = _refused(r, "address")
    assert f"U+{ord(char):04X}" in message["en"]
    assert count(service, "SELECT count(*) FROM incidents") == 0


@pytest.mark.parametrize("char", ["\x07", "\t", "\x7f", "\x85", "\x9b"])
def test_the_summary_refuses_c0_c1_and_del(client: FlaskClient, char: str) -> None:
    _refused(post_incident(client, incident_data(summary=f"停电{char}了")), "summary")


def test_surrounding_whitespace_is_trimmed_as_before(
    client: FlaskClient, service: TestService
) -> None:
    """Tabs and line breaks around a value never reach a printer: they are trimmed."""
    data = incident_data(summary="\t停电。\r\n", address="\n妥甸镇 东街 12 号\t")
    assert post_incident(client, data).status_code == 201
    row = service.store.one("SELECT summary, address FROM incidents")
    assert row == {"summary": "停电。", "address": "妥甸镇 东街 12 号"}


def test_the_summary_keeps_its_line_breaks_and_windows_ones_become_plain(
    client: FlaskClient, service: TestService
) -> None:
    r = post_incident(client, incident_data(summary="第一行\r\n第二行\r第三行\n第四行"))
    assert r.status_code == 201, r.get_data(as_text=True)
    row = service.store.one("SELECT summary FROM incidents")
    assert row is not None and row["summary"] == "第一行\n第二行\n第三行\n第四行"


def test_operator_texts_over_the_api_refuse_control_characters(
    client: FlaskClient, service: TestService, clock: FakeClock
) -> None:
    inc: Any = post_incident(client, incident_data()).json
    lead = inc["orders"][0]["id"]
    path = f"/api/v1/incidents/{inc['id']}/assist"
    _refused(signed(client, clock, "POST", path, {"unit": "fire", "note": "带\x1b@上"}), "note")
    _refused(signed(client, clock, "POST", path, {"unit": "fire", "by": "王\x00"}), "by")
    cancel = f"/api/v1/orders/{lead}/cancel"
    _refused(signed(client, clock, "POST", cancel, {"reason": "重复\x1dV\x00"}), "reason")
    reassign = f"/api/v1/orders/{lead}/reassign"
    _refused(
        signed(client, clock, "POST", reassign, {"unit": "water-co", "reason": "\x9b"}), "reason"
    )
    close = f"/api/v1/incidents/{inc['id']}/close"
    _refused(signed(client, clock, "POST", close, {"note": "好了\x10\x14\x01\x00\x05"}), "note")
    assert count(service, "SELECT count(*) FROM orders") == 1  # only the lead, still running
    ok = signed(client, clock, "POST", cancel, {"reason": "重复警情\n已合并"})
    assert ok.status_code == 200, ok.get_data(as_text=True)


def test_the_console_path_is_refused_by_the_service_too(service: TestService) -> None:
    """The console calls these same methods: the rule lives in the service, not the API."""
    view, _ = service.intake(incident_data(), source="cad-110")
    with pytest.raises(IntakeError) as e:
        service.cancel_order(view.orders[0].id, by="王", reason="\x1b@")
    assert set(e.value.details) == {"reason"}
    with pytest.raises(IntakeError) as e:
        service.add_note(view.id, "记录\x1bt\x10", by="王")
    assert set(e.value.details) == {"text"}


def test_an_incident_stored_with_windows_line_ends_can_still_get_orders(
    service: TestService,
) -> None:
    """Before this rule, console entries kept the textarea's CR LF. `PrintText` refuses CR,
    so the order writer unifies line ends: assisting on such an open incident still works."""
    view, _ = service.intake(incident_data(), source="cad-110")
    with service.store.write() as db:
        db.execute("UPDATE incidents SET summary=? WHERE id=?", ("一\r\n二", view.id))
        db.execute("UPDATE orders SET note=?", ("三\r\n四",))
    order = service.reassign(view.orders[0].id, "water-co", by="王")
    row = service.store.one("SELECT payload FROM outbox WHERE order_id=?", (order.id,))
    assert row is not None
    body = json.loads(row["payload"])["body"]
    assert (body["summary"], body["note"]) == ("一\n二", "三\n四")
