"""The receipt chain on the incident page: 已报警, 已打印, 打印失败：缺纸, each once however
often the terminal sends it, and none of them moving the order or its deadlines."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from provisioning.pki import new_key
from tests.hub.conftest import incident_data
from tests.support.hubparts import TestService
from wire import Signer, decode, encode
from wire import kinds as k


def _report(service: TestService, unit: str, kind: str, body: k.Body) -> bytes:
    signer = Signer(new_key())
    _, raw = encode(kind, unit, body, signer, at=service.parts.clock.now())
    service.parts.inbox.report(unit, decode(raw, signer.verifier, unit=unit))
    return raw


def test_alarmed_printed_and_print_failed_on_the_timeline_in_chinese(
    as_role: Callable[[str], FlaskClient], service: TestService
) -> None:
    incident, _ = service.intake(incident_data(category="road-damage"), source="cad-110")
    order = incident.orders[0]
    oid, unit = order.id, order.unit
    signer = Signer(new_key())
    _, raw = encode("alarmed", unit, k.AlarmedBody(oid), signer, at=service.parts.clock.now())
    msg = decode(raw, signer.verifier, unit=unit)
    service.parts.inbox.report(unit, msg)
    service.parts.inbox.report(unit, msg)  # delivered twice: applied once
    _report(service, unit, "print_failed", k.PrintFailedBody(oid, reason="paper_out", detail="x"))
    _report(service, unit, "printed", k.PrintedBody(oid, rev=2, reprint=True))

    after = service.incident(incident.id)
    chain = [(e.type, e.detail) for e in after.timeline if e.order_id == oid][1:]
    assert chain == [
        ("alarmed", {"rev": 1}),
        ("print_failed", {"rev": 1, "reason": "paper_out"}),
        ("printed", {"rev": 2, "reprint": True}),
    ]
    assert all(e.source == f"unit:{unit}" for e in after.timeline[-3:])
    # evidence only: the order is still only dispatched, nothing received or met
    assert after.orders[0].state == "dispatched" and after.orders[0].received_at is None
    met = service.store.one("SELECT count(*) AS n FROM deadlines WHERE met_at IS NOT NULL")
    assert met is not None and met["n"] == 0

    client = as_role("auditor")
    page = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "已报警" in page and "已打印" in page and "打印失败：缺纸" in page
    assert "第 2 版" in page and "补打" in page
    assert "paper_out" not in page.split('class="timeline"')[1].split("ev-print_failed")[1][:400]
    client.get("/lang/en")
    english = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "alarm sounded" in english and "print failed: out of paper" in english


def test_a_report_for_another_units_order_is_refused(service: TestService) -> None:
    incident, _ = service.intake(incident_data(category="road-damage"), source="cad-110")
    order = incident.orders[0]
    other = "water-co" if order.unit != "water-co" else "power-co"
    _report(service, other, "printed", k.PrintedBody(order.id))
    types = [e.type for e in service.incident(incident.id).timeline]
    assert "printed" not in types
    row = service.store.one("SELECT reason FROM rejected ORDER BY rowid DESC LIMIT 1")
    assert row is not None and row["reason"] == "wrong_order"
