"""The console as a person uses it: a real headless Chromium against a whole running hub.

The hub runs for real (waitress, MQTT link to a real Mosquitto with mutual TLS, deadline
engine) on a FakeClock; `Terminal` (tests/hub/harness.py) signs reports with a unit's own
key. The board and the incident page must change without a reload when the terminal's
acknowledgement arrives, and beep when a deadline escalates.

Screenshots are always taken (into the test's folder); with LIANDONG_SCREENSHOTS=DIR they
are also written to DIR (docs/screenshots for the docs).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from demo.broker import Broker
from hub.console import audit
from hub.runtime import Hub
from tests.hub.conftest import incident_data
from tests.hub.console.browser import chromium, other_site, require_chromium
from tests.hub.console.conftest import PASSWORD, make_user
from tests.hub.harness import COUNTY, Terminal, hub_config
from tests.support.pki import ThrowawayPKI
from tests.support.wait import wait_for
from wire import codec, topics
from wire import kinds as k
from wire.clock import FakeClock
from wire.signing import Signer

pytestmark = [pytest.mark.broker, pytest.mark.slow]
UNITS = ["power-co", "water-co", "fire", "tuodian-gov"]
WAIT_MS = 8000


@pytest.fixture
def browser() -> Iterator[Any]:
    require_chromium()
    with chromium() as b:
        yield b


@pytest.fixture
def hub(tmp_path: Path, broker: Broker, test_pki: ThrowawayPKI, clock: FakeClock) -> Iterator[Hub]:
    h = Hub(hub_config(tmp_path / "PKI", broker, test_pki, UNITS), clock=clock)
    # A short heartbeat lets each stream notice its closed tab quickly, so the server
    # stops within the test instead of waiting out a 15-second heartbeat.
    h.app.config["CONSOLE_SSE_HEARTBEAT_S"] = 0.5
    h.start()
    wait_for(h.link.connected.is_set, what="hub connected")
    yield h
    h.stop()


@pytest.fixture
def terminals(
    hub: Hub, broker: Broker, test_pki: ThrowawayPKI, clock: FakeClock
) -> Iterator[dict[str, Terminal]]:
    dispatch = Signer.from_pem(hub.config.dispatch_key.read_bytes())
    found = {u: Terminal(broker, test_pki, u, dispatch, clock) for u in UNITS[:3]}
    yield found
    for t in found.values():
        t.close()


def _online(t: Terminal, printer: str, outbox: int, gps_age: float | None) -> None:
    health = k.HealthBody(
        version="0.1.0",
        uptime_s=3600,
        printer=printer,  # type: ignore[arg-type]
        outbox_depth=outbox,
        gps=k.GpsHealth(fix=True, age_s=gps_age) if gps_age is not None else None,
    )
    _, payload = codec.encode(
        "state", t.unit, k.StateBody(status="online", health=health), t.signer, at=t.clock.now()
    )
    t.mqtt.publish(topics.state(COUNTY, t.unit), payload, retain=True)


def _shot(page: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    keep = os.environ.get("LIANDONG_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)


def _login(page: Any, url: str, name: str, password: str) -> Any:
    page.goto(f"{url}/login")
    page.fill("#username", name)
    page.fill("#password", password)
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        page.click("#submit")
    return response.value


def test_board_follows_intake_ack_and_escalation_without_reload(
    browser: Any, hub: Hub, terminals: dict[str, Terminal], clock: FakeClock, tmp_path: Path
) -> None:
    make_user(hub.desk, "wang", "supervisor")
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    board = context.new_page()

    refused = _login(board, hub.url, "wang", "not-my-password")
    assert refused.status == 401
    expect(board.locator("span.error")).to_contain_text("用户名或密码错误")
    assert _login(board, hub.url, "wang", PASSWORD).status == 302
    board.wait_for_url(f"{hub.url}/")
    expect(board.locator("#live-status.on")).to_be_visible(timeout=WAIT_MS)
    board.evaluate("window.__sameDocument = true")

    # Terminals report in: two healthy-ish, one out of paper; tuodian-gov never connects.
    _online(terminals["power-co"], "ok", 0, 4.0)
    _online(terminals["water-co"], "paper_out", 7, None)
    _online(terminals["fire"], "ok", 0, None)
    wait_for(lambda: sum(u.online for u in hub.desk.units_status()) == 3, what="units online")

    # Manual entry in a second tab.
    entry = context.new_page()
    entry.goto(f"{hub.url}/entry")
    entry.select_option("#category", "power-cut")
    entry.select_option("#township", "tuodian")
    entry.fill("#address", "妥甸镇 东街 12 号")
    entry.fill("#caller_phone", "13812345678")
    entry.fill("#summary", "整条街停电，有老人使用制氧机。")
    entry.click("#submit")
    entry.wait_for_url(re.compile(r"/incidents/[0-9A-Z]+$"))
    incident_id = entry.url.rsplit("/", 1)[1]

    # It appears on the open board without a reload.
    row = board.locator(f'tbody[data-incident="{incident_id}"]')
    expect(row).to_be_visible(timeout=WAIT_MS)
    expect(row).to_contain_text("停电")
    expect(row.locator(".countdown")).to_have_class(re.compile("cd-"))
    assert board.evaluate("window.__sameDocument") is True

    # The terminal receives and acknowledges: the board and the incident page follow.
    power = terminals["power-co"]
    order = power.next("order").body
    assert isinstance(order, k.OrderBody) and order.incident_id == incident_id
    power.send("received", k.ReceivedBody(order_id=order.order_id))
    power.send("ack", k.AckBody(order_id=order.order_id))
    order_row = board.locator(
        f'tbody[data-incident="{incident_id}"] tr[data-order="{order.order_id}"]'
    )
    expect(order_row).to_have_attribute("data-state", "acknowledged", timeout=WAIT_MS)
    expect(order_row.locator(".order-state")).to_contain_text("已签收")
    assert board.evaluate("window.__sameDocument") is True
    expect(entry.locator("ol.timeline")).to_contain_text(
        "云南电网双柏供电局已签收", timeout=WAIT_MS
    )
    # The receipt chain: the alarm sounded, the slip failed for want of paper, then printed.
    power.send("alarmed", k.AlarmedBody(order_id=order.order_id))
    power.send("print_failed", k.PrintFailedBody(order_id=order.order_id, reason="paper_out"))
    power.send("printed", k.PrintedBody(order_id=order.order_id))
    timeline = entry.locator("ol.timeline")
    for words in ("已报警", "打印失败：缺纸", "已打印"):
        expect(timeline).to_contain_text(words, timeout=WAIT_MS)
    _shot(entry, tmp_path, "incident-receipt-chain")
    expect(entry.locator(f'#live tr[data-order="{order.order_id}"]')).to_have_attribute(
        "data-state", "acknowledged"
    )

    units = context.new_page()
    units.goto(f"{hub.url}/units")
    first = units.locator("table.units tbody tr").first
    expect(first).to_have_class("dark")
    expect(units.locator('tr[data-unit="water-co"]')).to_have_class("degraded")
    expect(units.locator('tr[data-unit="water-co"]')).to_contain_text("缺纸")
    _shot(units, tmp_path, "units")

    # Twenty minutes on the operator notes a call to the unit (activity keeps the login);
    # half an hour after dispatch nobody has arrived: the engine escalates, the board beeps.
    clock.advance(20 * 60)
    entry.fill("#note-text", "已电话催促供电公司值班室")
    entry.click("#note-form input[type=submit]")
    expect(entry.locator("ol.timeline")).to_contain_text("已电话催促")
    assert board.evaluate("document.body.dataset.beeps") == "0"
    clock.advance(11 * 60)
    expect(board.locator("body")).to_have_attribute(
        "data-beeps", re.compile("^[1-9]"), timeout=WAIT_MS
    )
    expect(row).to_have_class(re.compile(r"\blate\b"), timeout=WAIT_MS)
    expect(row.locator(".countdown")).to_have_class(re.compile("cd-"))
    assert board.evaluate("window.__sameDocument") is True
    # A fresh incident from 110 over the API path, for units without a terminal here.
    hub.desk.intake(
        incident_data(
            source_id="J532322-0002",
            category="road-damage",
            township="dazhuang",
            address="老街口",
            lat=24.76,
            lon=101.55,
        ),
        source="cad-110",
    )
    expect(board.locator("tbody.incident")).to_have_count(2, timeout=WAIT_MS)
    _shot(board, tmp_path, "board")
    entry.reload()
    expect(entry.locator("ol.timeline li.late").first).to_be_visible()
    _shot(entry, tmp_path, "incident")
    context.close()


def test_a_cross_site_post_is_refused(browser: Any, hub: Hub, tmp_path: Path) -> None:
    make_user(hub.desk, "li", "supervisor")
    incident, _ = hub.desk.intake(incident_data(), source="cad-110")
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    assert _login(page, hub.url, "li", PASSWORD).status == 302
    attack = (
        f'<form id="f" method="post" action="{hub.url}/incidents/{incident.id}/close">'
        '<input name="close-note" value="pwned"></form>'
        "<script>document.getElementById('f').submit()</script>"
    )
    with other_site({"/": attack}) as evil:
        with page.expect_response(lambda r: r.url.endswith("/close")) as response:
            page.goto(f"{evil}/")
        assert response.value.status == 400
        expect(page.locator("h1")).to_contain_text("请求被拒绝")
    assert hub.desk.incident(incident.id).state == "open"
    refusals = [r for r in audit.entries(hub.desk.db_path) if r.action == "csrf_refused"]
    assert refusals and refusals[0].detail["origin"] == evil
    # The same person's own click, with the page's token, works.
    page.goto(f"{hub.url}/incidents/{incident.id}")
    page.fill("#close-note", "已处置")
    page.click("#close-form input[type=submit]")
    expect(page.locator(".flash.ok")).to_be_visible()
    assert hub.desk.incident(incident.id).state == "closed"
    context.close()
