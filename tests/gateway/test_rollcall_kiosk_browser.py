"""The kiosk's 点名 in a real headless Chromium, served by waitress as `liandong-gateway run`
serves it: it shows the roll-call with its countdown, the room clicks 应答点名 (the real
CSRF-protected form) and the signed answer is in the outbox; the page then says 已应答."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect
from waitress.server import create_server

from gateway.kiosk import create_app
from gateway.terminal import Gateway
from tests.gateway.conftest import TerminalFiles
from tests.gateway.test_rollcall import RC, outbox, rollcall
from tests.hub.console.browser import chromium
from wire import Signer

pytestmark = pytest.mark.slow


def test_the_room_answers_the_rollcall_on_the_kiosk(
    files: TerminalFiles,
    make_gateway: Callable[..., Gateway],
    hub_signer: Signer,
    tmp_path: Path,
) -> None:
    gw = make_gateway(files.config())
    rollcall(gw, hub_signer)
    server = create_server(create_app(gw), host="127.0.0.1", port=0, threads=2)
    web = threading.Thread(target=server.run, daemon=True)
    web.start()
    try:
        with chromium() as browser:
            page = browser.new_page(locale="zh-CN", viewport={"width": 1024, "height": 700})
            page.goto(f"http://127.0.0.1:{server.effective_port}/")
            ringing = page.locator("#rollcall-ringing")
            expect(ringing).to_contain_text("点名 · 请立即应答")
            expect(ringing).to_contain_text("应答时限")
            shot = tmp_path / "kiosk-rollcall.png"
            page.screenshot(path=str(shot), full_page=True)
            keep = os.environ.get("LIANDONG_SCREENSHOTS")
            if keep:
                shutil.copy(shot, Path(keep) / shot.name)
            ringing.locator("button").click()
            expect(page.locator("#rollcalls")).to_contain_text("已应答")
            expect(page.locator("#rollcall-ringing")).to_have_count(0)
    finally:
        server.close()
        server.task_dispatcher.shutdown(timeout=5)
    (answer,) = outbox(gw, "rollcall_answer")
    assert answer["body"] == {"rollcall_id": RC, "via": "kiosk"}
    assert not gw.alarm.active
