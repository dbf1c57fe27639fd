"""The incident page's SMS section in a real headless Chromium, against a running hub that
sends through the pty modem (screenshot: docs/screenshots/incident-sms.png with
LIANDONG_SCREENSHOTS=docs/screenshots)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from demo.broker import Broker
from demo.modem import ModemSimulator
from hub.runtime import Hub
from tests.hub.alerts.conftest import notify_settings
from tests.hub.conftest import incident_data
from tests.hub.console.browser import chromium, require_chromium
from tests.hub.console.conftest import PASSWORD, make_user
from tests.hub.harness import hub_config
from tests.support.pki import ThrowawayPKI
from tests.support.wait import wait_for
from wire.clock import FakeClock

pytestmark = [pytest.mark.broker, pytest.mark.slow]


@pytest.fixture
def browser() -> Iterator[Any]:
    require_chromium()
    with chromium() as b:
        yield b


def test_the_incident_page_shows_each_sms_and_its_fate(
    browser: Any, tmp_path: Path, broker: Broker, test_pki: ThrowawayPKI, sim: ModemSimulator
) -> None:
    clock = FakeClock()
    config = hub_config(
        tmp_path / "PKI", broker, test_pki, [], notify=notify_settings(sim, max_attempts=3)
    )
    hub = Hub(config, clock=clock)
    hub.start()
    try:
        make_user(hub.desk, "wang", "supervisor")
        view, _ = hub.desk.intake(incident_data(), source="cad-110")
        sim.state.cms_error, sim.state.cms_errors_left = 500, 1  # the first is refused once
        clock.advance(30 * 60 + 1)  # receive, ack and arrival missed: five SMS
        hub.parts.wake.deadlines.set()

        def settled() -> bool:
            rows = hub.store.query("SELECT state, attempts FROM notifications")
            return len(rows) == 5 and sum(r["state"] == "sent" for r in rows) == 4

        wait_for(settled, timeout=10, what="four sent, one retrying")
        context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.goto(f"{hub.url}/login")
        page.fill("#username", "wang")
        page.fill("#password", PASSWORD)
        page.click("#submit")
        page.wait_for_url(f"{hub.url}/")
        page.goto(f"{hub.url}/incidents/{view.id}")
        section = page.locator("section.sms")
        expect(section).to_contain_text("督办短信")
        expect(section.locator("tr.sms-sent")).to_have_count(4)
        expect(section.locator("tr.sms-retrying")).to_contain_text("重试中")
        expect(section.locator("tr.sms-retrying")).to_contain_text("短信中心拒收")
        expect(section).to_contain_text("中心督办")
        expect(section).to_contain_text("已超时未到场（时限30分钟）")
        path = tmp_path / "incident-sms.png"
        # the whole page: the live part may be re-rendered under an element screenshot
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000
        keep = os.environ.get("LIANDONG_SCREENSHOTS")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / path.name)
        context.close()
    finally:
        hub.stop()
