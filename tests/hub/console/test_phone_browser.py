"""Units without a terminal and self-taken calls in a real headless Chromium against a
whole running hub (real Mosquitto with mutual TLS): the water company's terminal sends a
signed `selfcall` over MQTT and the board shows it marked 自接 without a reload; the operator
records a phone unit's 签收 on the incident page's 电话录入 form; the units page lists the
phone units with their duty phones instead of red 离线."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import msgspec
import pytest
from playwright.sync_api import expect

from demo.broker import Broker
from hub.console import audit
from hub.runtime import Hub
from tests.hub.conftest import incident_data
from tests.hub.console.browser import chromium, require_chromium
from tests.hub.console.conftest import PASSWORD, make_user
from tests.hub.console.test_browser import _login, _shot
from tests.hub.harness import Terminal, hub_config
from tests.support import samples
from tests.support.pki import ThrowawayPKI
from tests.support.wait import wait_for
from wire.clock import FakeClock
from wire.signing import Signer

pytestmark = [pytest.mark.broker, pytest.mark.slow]
WAIT_MS = 8000


@pytest.fixture
def hub(tmp_path: Path, broker: Broker, test_pki: ThrowawayPKI, clock: FakeClock) -> Iterator[Hub]:
    h = Hub(hub_config(tmp_path / "PKI", broker, test_pki, ["water-co"]), clock=clock)
    h.app.config["CONSOLE_SSE_HEARTBEAT_S"] = 0.5
    h.start()
    wait_for(h.link.connected.is_set, what="hub connected")
    yield h
    h.stop()


def test_phone_units_and_a_self_taken_call_in_the_browser(
    hub: Hub, broker: Broker, test_pki: ThrowawayPKI, clock: FakeClock, tmp_path: Path
) -> None:
    require_chromium()
    phone, _ = hub.desk.intake(incident_data(category="telecom-line-down"), source="cad-110")
    [order] = phone.orders
    make_user(hub.desk, "zhao", "operator")
    dispatch = Signer.from_pem(hub.config.dispatch_key.read_bytes())
    water = Terminal(broker, test_pki, "water-co", dispatch, clock)
    try:
        with chromium() as browser:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
            board = context.new_page()
            assert _login(board, hub.url, "zhao", PASSWORD).status == 302
            board.goto(f"{hub.url}/")
            expect(board.locator(f'tr[data-order="{order.id}"]')).to_contain_text("电话联络")
            board.evaluate("window.__sameDocument = true")

            # The water company's terminal reports a call it took itself, over MQTT.
            body = msgspec.structs.replace(
                samples.selfcall(),
                taken_at=clock.now() - timedelta(minutes=40),
                arrived_at=clock.now() - timedelta(minutes=20),
            )
            water.send("selfcall", body)
            own = board.locator("tbody.incident", has_text="自接")
            expect(own).to_have_count(1, timeout=WAIT_MS)
            expect(own).to_contain_text("请求协助")
            assert board.evaluate("window.__sameDocument") is True
            _shot(board, tmp_path, "board-selfcall")
            own.locator("a.inc-link").click()
            expect(board.locator(".facts")).to_contain_text("自接")
            expect(board.locator(".needs-assist")).to_have_text("需交警协助疏导交通")
            expect(board.locator(".facts")).to_contain_text("139****1234")
            expect(board.locator("#assist-form")).to_be_visible()
            _shot(board, tmp_path, "incident-selfcall")

            page = context.new_page()
            page.goto(f"{hub.url}/incidents/{phone.id}")
            panel = page.locator("#phone-orders")
            expect(panel).to_contain_text("电话联络单位")
            expect(panel.locator("a.duty-phone")).to_have_text("0878-7710033")
            page.select_option("#phone-step", "acknowledged")
            page.fill("#phone-taken_by", "李工")
            page.click("#phone-form input[type=submit]")
            expect(page.locator(".flash.ok")).to_contain_text("电话录入已保存")
            expect(page.locator(f'#live tr[data-order="{order.id}"]')).to_have_attribute(
                "data-state", "acknowledged", timeout=WAIT_MS
            )
            expect(page.locator("ol.timeline")).to_contain_text("值班员 zhao")
            _shot(page, tmp_path, "incident-phone")

            units = context.new_page()
            units.goto(f"{hub.url}/units")
            telecom = units.locator('tr[data-unit="china-telecom"]')
            expect(telecom).to_have_class("phone")
            expect(telecom).to_contain_text("电话联络")
            expect(telecom).not_to_contain_text("离线")
            _shot(units, tmp_path, "units-phone")
            context.close()
    finally:
        water.close()
    assert hub.desk.order(order.id).state == "acknowledged"
    rows = [r for r in audit.entries(hub.desk.db_path) if r.action == "phone_record"]
    assert [(r.actor, r.outcome, r.detail["taken_by"]) for r in rows] == [("zhao", "ok", "李工")]
