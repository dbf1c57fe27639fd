"""The kiosk in a real headless Chromium reads in Chinese, and its countdowns tick in hours.

The terminal's own Flask app served over HTTP, with three orders: one alarming to be
acknowledged, one acknowledged, on scene and fed back in time (then its deadlines pass),
and a drill. The page is checked as the console's pages are (tests/support/screen_words.py)
against the kiosk's own English words; the English switch gives English. With
LIANDONG_SCREENSHOTS=DIR the screenshots go to DIR for docs/gateway.md.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from gateway.config import parse_config
from gateway.kiosk import create_app
from gateway.kiosk.text import RESULT_NAMES_EN, TEXT
from gateway.terminal import Gateway
from tests.gateway.conftest import UNIT, TerminalFiles, order_body
from tests.hub.console.browser import chromium, require_chromium
from tests.support.screen_words import code_problems, english_phrases, problems, visible_text
from wire import Signer, encode

pytestmark = pytest.mark.slow
ALARMING, DONE, DRILL = (f"01JORDER000000000000000{i}" for i in (1, 2, 3))


@pytest.fixture
def kiosk(
    files: TerminalFiles, make_gateway: Callable[..., Gateway], hub_signer: Signer
) -> Iterator[tuple[str, Gateway]]:
    data = files.data()
    data["unit"]["name"] = "云南电网双柏供电局"
    gw = make_gateway(parse_config(data, files.root))
    now = gw.clock.now()
    for oid, drill in ((DONE, False), (DRILL, True)):
        body = order_body(oid, now=now - timedelta(minutes=2), drill=drill)
        gw.handle_down(encode("order", UNIT, body, hub_signer, at=now)[1])
    gw.acknowledge([DONE], "kiosk")
    gw.arrive(DONE, "kiosk")
    gw.feedback(DONE, "resolved", "已恢复供电")
    gw.clock.advance(40 * 60)  # type: ignore[attr-defined]  # DONE's deadlines pass
    fresh = gw.clock.now()
    gw.handle_down(encode("order", UNIT, order_body(ALARMING, now=fresh), hub_signer, at=fresh)[1])
    server = make_server("127.0.0.1", 0, create_app(gw), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", gw
    server.shutdown()
    thread.join(5)


def _keep(page: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("LIANDONG_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)


def test_the_kiosk_reads_in_chinese_and_counts_down_in_hours(
    kiosk: tuple[str, Gateway], tmp_path: Path
) -> None:
    require_chromium()
    url, _gw = kiosk
    english = [
        *english_phrases(v for key, v in TEXT["en"].items() if v != TEXT["zh"][key]),
        *english_phrases(RESULT_NAMES_EN.values()),
    ]
    with chromium() as browser:
        page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page.goto(url + "/")
        text = visible_text(page)
        assert problems(text, english) == []
        assert "联动终端 · 云南电网双柏供电局" in text and "power-co" not in text
        assert "未知：可点“打印测试单”检查" in text
        done = page.locator(f"#o-{DONE}")
        assert "已签收（按时）" in done.inner_text() and "已反馈（按时）" in done.inner_text()
        assert (
            done.locator(".countdown").count() == 0 and done.locator("form.feedback").count() == 0
        )
        assert "演练：非真实警情" in page.locator(f"#o-{DRILL}").inner_text()
        feedback = page.locator(f'#o-{ALARMING} .countdown[data-stage="feedback"] .cd')
        first = feedback.inner_text()
        assert re.fullmatch(r"23小时5\d分|24小时00分", first), first
        ack = page.locator(f'#o-{ALARMING} .countdown[data-stage="ack"] .cd')
        before = ack.inner_text()
        page.wait_for_timeout(1300)  # the page's own ticking, between its reloads
        assert re.fullmatch(r"[0-3]分\d\d秒", ack.inner_text()) and ack.inner_text() != before
        _keep(page, tmp_path, "kiosk")
        page.click("text=English")
        english_text = visible_text(page)
        assert code_problems(english_text) == []
        assert "Liandong terminal" in english_text and "acknowledged (in time)" in english_text
        assert re.search(r"23 h 5\d min|24 h 00 min", english_text)
        _keep(page, tmp_path, "kiosk-en")
