"""The 边界交换 page in a real headless Chromium against a whole running hub whose bridge
watches real gate folders: a refused file is shown with its Chinese reason, the supervisor
clicks 重新处理, the bridge takes the file again at once (inotify) and the page shows it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from demo.broker import Broker
from hub.console import audit
from hub.runtime import Hub
from hub.sources.boundary.config import BoundaryConfig
from hub.sources.boundary.folders import Folders
from hub.sources.boundary.mockgate import MockGate
from tests.hub.console.browser import chromium, require_chromium
from tests.hub.console.conftest import PASSWORD, make_user
from tests.hub.console.test_boundary_page import call
from tests.hub.console.test_browser import _login, _shot
from tests.hub.harness import hub_config
from tests.support.pki import ThrowawayPKI
from tests.support.wait import wait_for

pytestmark = [pytest.mark.broker, pytest.mark.slow]


@pytest.fixture
def gate_hub(tmp_path: Path, broker: Broker, test_pki: ThrowawayPKI) -> Iterator[Hub]:
    config = hub_config(tmp_path / "PKI", broker, test_pki, ["power-co"])
    gate = BoundaryConfig(folders=Folders.under(tmp_path / "gate"), settle_s=0.2, rescan_s=0.5)
    h = Hub(dataclasses.replace(config, boundary=gate))
    # A short heartbeat lets the board's stream notice its closed tab, so stop() does not
    # wait out the 15-second heartbeat (10 s of waitress's shutdown timeouts).
    h.app.config["CONSOLE_SSE_HEARTBEAT_S"] = 0.5
    h.start()
    yield h
    h.stop()


def test_supervisor_reprocesses_a_refused_file_in_the_browser(
    gate_hub: Hub, tmp_path: Path
) -> None:
    require_chromium()
    assert gate_hub.bridge is not None
    gate = MockGate(gate_hub.bridge.folders)
    now = datetime.now(UTC).isoformat()  # this hub runs on the real clock
    gate.drop("0001-ok.json", call("J5323220000000901", reported_at=now))
    gate.drop("0002-ufo.json", call("J5323220000000902", category="ufo", reported_at=now))
    wait_for(lambda: len(gate.done()) == 1 and len(gate.rejected()) == 1, 10, "both files taken")
    make_user(gate_hub.desk, "zhao", "supervisor")
    with chromium() as browser:
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        assert _login(page, gate_hub.url, "zhao", PASSWORD).status == 302
        page.click("text=边界交换")
        expect(page.locator("h1")).to_have_text("边界交换")
        refused = page.locator('tr[data-file="0002-ufo.json"]')
        expect(refused).to_contain_text("拒收")
        expect(refused).to_contain_text("未知警情类别")
        expect(page.locator('tr[data-file="0001-ok.json"]')).to_contain_text("J5323220000000901")
        _shot(page, tmp_path, "boundary")
        refused.locator("button").click()
        expect(page.locator(".flash.ok")).to_contain_text("已放回 inbound/")
        # The bridge takes it again (still unmapped, so refused again: a new row).
        wait_for(
            lambda: (
                len([r for r in gate_hub.bridge.recent_files() if r["name"] == "0002-ufo.json"])  # type: ignore[union-attr]
                == 2
            ),
            10,
            "the file taken again",
        )
        page.reload()
        expect(page.locator('tr[data-file="0002-ufo.json"]')).to_have_count(2)
        context.close()
    rows = [r for r in audit.entries(gate_hub.desk.db_path) if r.action == "boundary_reprocess"]
    assert [(r.actor, r.target, r.outcome) for r in rows] == [("zhao", "0002-ufo.json", "ok")]
