"""点名 in a real headless Chromium against a whole running hub (real Mosquitto, mutual
TLS, FakeClock): the supervisor clicks 立即点名, a terminal gets the signed command over
the broker and answers with a signed report, the others miss, and the page shows it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from hub.runtime import Hub
from tests.hub.console import test_browser as board_tests
from tests.hub.console.conftest import PASSWORD, make_user
from tests.hub.console.test_browser import _login, _shot
from tests.hub.harness import Terminal
from tests.support.wait import wait_for
from wire import kinds as k
from wire.clock import FakeClock

pytestmark = [pytest.mark.broker, pytest.mark.slow]
# The whole running hub, its terminals and the browser, as the board's tests make them.
browser = board_tests.browser
hub = board_tests.hub
terminals = board_tests.terminals


def test_supervisor_calls_the_roll_and_sees_the_answer_and_the_misses(
    browser: Any,
    hub: Hub,
    terminals: dict[str, Terminal],
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    make_user(hub.desk, "wang", "supervisor")
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    assert _login(page, hub.url, "wang", PASSWORD).status == 302
    page.click("nav >> text=点名")
    expect(page.locator("h1")).to_have_text("点名")
    page.click("#rollcall-form button, #rollcall-form input[type=submit]")
    expect(page.locator(".flash.ok")).to_contain_text("已向全部一级联动单位值班室发出点名")
    term = terminals["power-co"]
    msg = term.next("command")
    assert isinstance(msg.body, k.CommandBody) and msg.body.command == "rollcall"
    clock.advance(12)
    term.send("rollcall_answer", k.RollcallAnswerBody(rollcall_id=msg.body.rollcall_id))  # type: ignore[arg-type]
    wait_for(
        lambda: hub.desk.rollcall_rounds()[0].count("answered") == 1, 10, "the answer recorded"
    )
    clock.advance(200)
    wait_for(lambda: hub.desk.rollcall_rounds()[0].count("waiting") == 0, 10, "misses fired")
    page.reload()
    row = page.locator("tr.answered")
    expect(row).to_contain_text("已应答")
    expect(row).to_contain_text("12 s")
    expect(page.locator("tr.missed").first).to_contain_text("未应答")
    _shot(page, tmp_path, "rollcall")
    context.close()
