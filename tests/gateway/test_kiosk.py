"""The kiosk: Chinese first, English by switch, CSRF-protected forms that share the
buttons' code path, /status.json and /metrics."""

from __future__ import annotations

import re
from collections.abc import Callable

import msgspec
import pytest
from flask.testing import FlaskClient

from gateway.config import parse_config
from gateway.devices.simulators import PrinterSimulator
from gateway.kiosk import create_app
from gateway.terminal import Gateway
from tests.gateway.conftest import UNIT, TerminalFiles, order_body
from tests.support.wait import wait_for
from wire import Signer, encode

OID = "01JORDER0000000000000001"


@pytest.fixture
def gw(files: TerminalFiles, make_gateway: Callable[..., Gateway], hub_signer: Signer) -> Gateway:
    gw = make_gateway(files.config())
    gw.handle_down(
        encode("order", UNIT, order_body(OID, now=gw.clock.now()), hub_signer, at=gw.clock.now())[1]
    )
    return gw


@pytest.fixture
def client(gw: Gateway) -> FlaskClient:
    return create_app(gw).test_client()


def _token(page: str) -> str:
    m = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert m, "the page has no CSRF token"
    return m.group(1)


def test_page_in_chinese_with_countdown_and_english_switch(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "联动终端" in page and "签收" in page and "到场" in page and "反馈" in page
    assert "停电" in page and "138****5678" in page
    words = re.sub(r"<[^>]+>", "", page)
    assert "签收时限:" in words and "3分00秒 剩余" in words  # three minutes to acknowledge
    assert "反馈时限:" in words and "24小时00分 剩余" in words  # hours, not "1440:00"
    assert "已处置" in page  # result codes by their Chinese names
    en = client.get("/?lang=en")
    assert "Acknowledge" in en.get_data(as_text=True)
    assert "Acknowledge" in client.get("/").get_data(as_text=True)  # kept in the cookie


def test_status_json(client: FlaskClient, gw: Gateway) -> None:
    # received, alarmed and (once the spool has run) printed wait for the link
    wait_for(lambda: gw.outbox.depth() == 3, what="three reports in the outbox")
    s = client.get("/status.json").get_json()
    assert s["alarm"]["active"] is True
    assert s["link"]["connected"] is False
    assert s["outbox"]["depth"] == 3
    assert s["orders"][0]["order_id"] == OID and s["orders"][0]["stage"] == "received"
    assert s["orders"][0]["seconds_left"]["ack"] == 180


def test_forms_need_the_csrf_token(client: FlaskClient, gw: Gateway) -> None:
    assert client.post(f"/orders/{OID}/ack").status_code == 400
    assert gw.alarm.active


def test_acknowledge_arrive_feedback_from_the_kiosk(client: FlaskClient, gw: Gateway) -> None:
    token = _token(client.get("/").get_data(as_text=True))
    assert client.post(f"/orders/{OID}/ack", data={"csrf_token": token}).status_code == 302
    assert not gw.alarm.active
    client.post(f"/orders/{OID}/arrive", data={"csrf_token": token})
    bad = client.post(
        f"/orders/{OID}/feedback",
        data={"csrf_token": token, "result_code": "nonsense", "text": "x"},
    )
    assert bad.status_code == 400
    r = client.post(
        f"/orders/{OID}/feedback",
        data={"csrf_token": token, "result_code": "resolved", "text": "已恢复"},
    )
    assert r.status_code == 302
    assert (
        client.post("/orders/01JNOSUCHORDER00000000000/ack", data={"csrf_token": token}).status_code
        == 404
    )
    with gw.store.read() as c:
        rows = [
            msgspec.json.decode(bytes(r[0]))
            for r in c.execute("SELECT payload FROM outbox ORDER BY seq")
        ]
    duty = [r for r in rows if r["kind"] not in ("alarmed", "printed")]  # the receipt chain
    assert {r["kind"] for r in rows} - {r["kind"] for r in duty} == {"alarmed", "printed"}
    rows = duty
    assert [(r["kind"], r["body"].get("via") or r["body"].get("source")) for r in rows] == [
        ("received", None),
        ("ack", "kiosk"),
        ("arrived", "kiosk"),
        ("feedback", None),
    ]
    assert rows[-1]["body"] == {"order_id": OID, "result_code": "resolved", "text": "已恢复"}
    assert client.get("/status.json").get_json()["orders"][0]["stage"] == "fed_back"


def test_metrics(client: FlaskClient) -> None:
    text = client.get("/metrics").get_data(as_text=True)
    assert "liandong_gateway_alarm_active 1.0" in text
    assert 'liandong_gateway_down_messages_total{kind="order"} 1.0' in text


def test_device_tests_from_the_kiosk(
    files: TerminalFiles, make_gateway: Callable[..., Gateway], printer_sim: PrinterSimulator
) -> None:
    """设备测试: the field checklist's steps. Buzzer and light sound alone for a moment and
    are refused while a real alarm sounds; the printer prints a test slip; button presses
    show on the page."""
    files.printer_url = printer_sim.url
    gw = make_gateway(files.config())
    client = create_app(gw).test_client()
    token = _token(client.get("/").get_data(as_text=True))
    now = [0.0]
    gw.alarm.monotonic = lambda: now[0]
    assert client.post("/test/buzzer", data={"csrf_token": token}).status_code == 302
    assert (gw.pins.buzzer.value, gw.pins.light.value) == (1, 0)
    now[0] = 1.5
    gw.alarm.tick()
    assert (gw.pins.buzzer.value, gw.pins.light.value) == (0, 0)
    client.post("/test/light", data={"csrf_token": token})
    assert (gw.pins.buzzer.value, gw.pins.light.value) == (0, 1)
    assert client.post("/test/printer", data={"csrf_token": token}).status_code == 302
    wait_for(lambda: "打印测试" in printer_sim.text(), what="the test slip")
    assert client.post("/test/siren", data={"csrf_token": token}).status_code == 404
    assert client.post("/test/buzzer").status_code == 400  # no CSRF token
    assert "最近按键" in client.get("/").get_data(as_text=True)
    gw.press("ack")
    assert client.get("/status.json").get_json()["buttons"]["ack"] is not None


def test_device_test_refused_while_alarming(client: FlaskClient, gw: Gateway) -> None:
    token = _token(client.get("/").get_data(as_text=True))
    assert gw.alarm.active
    resp = client.post("/test/buzzer", data={"csrf_token": token})
    assert resp.status_code == 409
    assert "正在报警" in resp.get_data(as_text=True)
    assert gw.alarm.active


def test_feedback_text_loses_control_characters(client: FlaskClient, gw: Gateway) -> None:
    """A paste into the feedback box can carry control characters; the signed report that
    goes to the hub (and on to its console and the 110 side) must not."""
    token = _token(client.get("/").get_data(as_text=True))
    only_controls = {"csrf_token": token, "result_code": "resolved", "text": "\x1b\x00\x07\r\n"}
    assert client.post(f"/orders/{OID}/feedback", data=only_controls).status_code == 400
    text = "已恢复\x1b{\x01供电\r\n\r\n用户\x7f确认\u202e"
    form = {"csrf_token": token, "result_code": "resolved", "text": text}
    assert client.post(f"/orders/{OID}/feedback", data=form).status_code == 302
    with gw.store.read() as c:
        [payload] = c.execute("SELECT payload FROM outbox WHERE kind = 'feedback'").fetchone()
    assert msgspec.json.decode(bytes(payload))["body"]["text"] == "已恢复{供电\n用户确认"


def test_header_names_the_unit_and_the_printer_in_words(
    files: TerminalFiles, make_gateway: Callable[..., Gateway]
) -> None:
    data = files.data()
    data["unit"]["name"] = "云南电网双柏供电局"
    gw = make_gateway(parse_config(data, files.root))
    page = create_app(gw).test_client().get("/").get_data(as_text=True)
    assert '联动终端 · <span id="unit-name">云南电网双柏供电局</span>' in page
    assert "未知：可点“打印测试单”检查" in page and ">unknown<" not in page
    gw.printer.state = "paper_out"
    page = create_app(gw).test_client().get("/?lang=en").get_data(as_text=True)
    assert "out of paper: load a roll" in page
    # Without a name the id stands in (a bundle made before names were written).
    assert parse_config(files.data(), files.root).unit_name == UNIT


def test_a_stage_done_in_time_shows_so_and_stops_its_countdown(
    client: FlaskClient, gw: Gateway
) -> None:
    """Acknowledged in time and fed back: no red 已超时, no countdowns, no feedback form,
    even once the deadlines have passed."""
    token = _token(client.get("/").get_data(as_text=True))
    client.post(f"/orders/{OID}/ack", data={"csrf_token": token})
    client.post(f"/orders/{OID}/arrive", data={"csrf_token": token})
    client.post(
        f"/orders/{OID}/feedback",
        data={"csrf_token": token, "result_code": "resolved", "text": "已恢复"},
    )
    gw.clock.advance(2 * 86400)  # type: ignore[attr-defined]
    page = client.get("/").get_data(as_text=True)
    order = page[page.index(f'id="o-{OID}"') :].split("<h2>")[0]
    assert "已签收（按时）" in order and "已到场（按时）" in order and "已反馈（按时）" in order
    assert "已超时" not in order and 'class="countdown' not in order
    assert 'class="feedback"' not in order
    done = client.get("/status.json").get_json()["orders"][0]["done"]
    assert done == {"ack": "in_time", "arrive": "in_time", "feedback": "in_time"}


def test_a_stage_done_late_says_late() -> None:
    from datetime import UTC, datetime

    from gateway.health.screen import _done

    due = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert _done("2026-12-01T08:00:01+00:00", due) == "late"
    assert _done("2026-12-01T16:00:00+08:00", due) == "in_time"  # the same instant
    assert _done(None, due) is None


def test_countdown_words_have_hours() -> None:
    from gateway.kiosk.text import countdown

    assert countdown(86_252, "zh") == "23小时57分"
    assert countdown(245, "zh") == "4分05秒"
    assert countdown(86_252, "en") == "23 h 57 min"
    assert countdown(-5, "zh") == "0分00秒"
