"""The incident timeline in words: every kind the hub writes has a phrase, units by name,
positions to 5 decimals, and an unknown kind still reads as a sentence, never as JSON."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

import hub.dispatch
from hub.console import timeline
from hub.dispatch.order_reports import ORDER_KINDS
from hub.dispatch.views import EventView
from hub.terminals.unit_certs import UnitKeys
from tests.hub.conftest import incident_data
from tests.hub.harness import COUNTY
from tests.support.hubparts import TestService
from tests.support.pki import ThrowawayPKI
from wire import codec, topics
from wire import kinds as k
from wire.clock import FakeClock
from wire.signing import Signer

DISPATCH = Path(hub.dispatch.__file__).parent
# `type="overdue"`, `type="online" if online else "offline"`, end_order(db, o, "cancelled"...),
# and the revocation kinds read back by `type IN ('revoked', 'reinstated')`.
_LITERAL_TYPE = re.compile(r'\btype="(\w+)"(?:\s+if\s+[^"]+else\s+"(\w+)")?')
_END_ORDER = re.compile(r'end_order\(\s*db,\s*\w+,\s*"(\w+)"')
_TYPE_IN = re.compile(r"type IN \(([^)]*)\)")


def written_kinds() -> set[str]:
    """Every event kind hub/dispatch/ writes, read from its source."""
    kinds: set[str] = set(ORDER_KINDS)  # order reports store the report's own kind
    for path in DISPATCH.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for a, b in _LITERAL_TYPE.findall(text):
            kinds.update(x for x in (a, b) if x)
        kinds.update(_END_ORDER.findall(text))
        for group in _TYPE_IN.findall(text):
            kinds.update(re.findall(r"'(\w+)'", group))
    return kinds


def test_every_event_kind_the_hub_writes_has_a_phrase(app: Flask) -> None:
    kinds = written_kinds()
    # The collection itself works: these are known to be written.
    assert {"incident", "dispatched", "ack", "overdue", "cancelled", "revoked"} <= kinds
    missing = sorted(kind for kind in kinds if not timeline.has_phrase(kind))
    assert missing == [], f"event kinds without a phrase in hub/console/timeline.py: {missing}"


def test_an_unknown_kind_reads_as_a_generic_phrase_not_json(app: Flask) -> None:
    event = EventView(
        at=datetime(2026, 12, 1, 21, 16, 52, tzinfo=UTC),
        recorded_at=datetime(2026, 12, 1, 21, 16, 52, tzinfo=UTC),
        order_id=None,
        type="sms_sent",
        source="engine",
        detail={"phone_count": 2, "sent_at": "2026-12-01T21:16:52.553916+00:00", "ok": True},
        late=False,
    )
    with app.test_request_context("/"):
        line = timeline.describe(event)
    text = " ".join([line.title, line.who, *line.facts])
    assert line.title.startswith("其他记录") and line.who == "系统"
    assert "{" not in text and "_" not in text and "+00:00" not in text
    assert "12-02 05:16:52" in text  # UTC 21:16 is 05:16 the next day in Beijing


def test_sources_read_as_who_did_it(app: Flask) -> None:
    with app.test_request_context("/"):
        assert timeline.who("unit:power-co") == "云南电网双柏供电局"
        assert timeline.who("operator:wang") == "值班员 wang"
        assert timeline.who("operator:cad-110/chief") == "110 接处警系统 值班员 chief"
        assert timeline.who("operator:api:cad-110") == "110 接处警系统（接口）"
        assert timeline.who("intake") == "110 接警" and timeline.who("engine") == "系统"
        assert timeline.who("tracker:fire") == "车载定位器"


def test_the_incident_page_tells_the_story_in_chinese(
    tmp_path: Path,
    service: TestService,
    clock: FakeClock,
    test_pki: ThrowawayPKI,
    as_role: Callable[[str], FlaskClient],
) -> None:
    cert, key = test_pki.client("power-co")
    (tmp_path / "units" / "power-co").mkdir(parents=True)
    (tmp_path / "units" / "power-co" / "unit.crt").write_bytes(cert.read_bytes())
    (tmp_path / "ca").mkdir()
    (tmp_path / "ca" / "ca.crt").write_bytes(test_pki.ca_path.read_bytes())
    handler = service.parts.uplink(UnitKeys(tmp_path))
    signer = Signer.from_pem(key.read_bytes())
    view, _ = service.intake(incident_data(lat=24.225981666666666, lon=101.6), source="cad-110")
    order_id = next(o.id for o in view.orders if o.unit == "power-co")

    def report(kind: str, body: k.Body) -> None:
        _, payload = codec.encode(kind, "power-co", body, signer, at=clock.now())
        handler.handle(topics.up(COUNTY, "power-co"), payload)

    clock.advance(60)
    report("received", k.ReceivedBody(order_id=order_id))
    report("ack", k.AckBody(order_id=order_id, via="button"))
    clock.advance(600)
    position = k.Position(lat=24.225981666666666, lon=101.612345678)
    report("arrived", k.ArrivedBody(order_id=order_id, source="gps", position=position))
    report("feedback", k.FeedbackBody(order_id=order_id, result_code="resolved", text="已恢复供电"))
    service.add_note(view.id, "已电话回访报警人", by="chief")

    page = as_role("operator").get(f"/incidents/{view.id}").get_data(as_text=True)
    timeline_html = page[page.index('class="timeline"') :]
    for words in (
        "接报警情",
        "110 接警",
        "向云南电网双柏供电局派单（主办）",
        "云南电网双柏供电局已签收",
        "按键",
        "云南电网双柏供电局已到场",
        "位置 24.22598, 101.61235",
        "云南电网双柏供电局反馈：已处置",
        "已恢复供电",
        "值班员 chief",
    ):
        assert words in timeline_html, words
    for raw in ("result_code", "resolved", "via", "unit:power-co", "role lead", "rev 1",
                "24.225981666", "intake", "operator:"):  # fmt: skip
        assert raw not in timeline_html, raw
    # The facts box shows the incident's own position to 5 decimals too.
    assert "24.22598, 101.60000" in page
