"""自接警情 at the kiosk (双轨制): the form, its checks, the masked phone, the signed report
in the outbox (and nothing stored when the input is bad)."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from gateway.config import parse_config
from gateway.kiosk import create_app
from gateway.terminal import Gateway
from tests.gateway.conftest import UNIT, TerminalFiles
from wire import decode
from wire.clock import shanghai
from wire.kinds import SelfCallBody


@pytest.fixture
def gw(files: TerminalFiles, make_gateway: Callable[..., Gateway]) -> Gateway:
    data = files.data()
    data["selfcall"] = {
        "categories": {"water-main-burst": "水管爆裂", "power-cut": "停电"},
        "townships": {"tuodian": "妥甸镇", "dazhuang": "大庄镇"},
    }
    return make_gateway(parse_config(data, files.root))


@pytest.fixture
def client(gw: Gateway) -> FlaskClient:
    return create_app(gw).test_client()


def _token(client: FlaskClient) -> str:
    page = client.get("/selfcall").get_data(as_text=True)
    m = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert m
    return m.group(1)


def _local(gw: Gateway, minutes_ago: int) -> str:
    when = shanghai(gw.clock.now() - timedelta(minutes=minutes_ago))
    return when.strftime("%Y-%m-%dT%H:%M")


def _valid(gw: Gateway, token: str, **change: Any) -> dict[str, Any]:
    data = {
        "csrf_token": token,
        "category": "water-main-burst",
        "township": "tuodian",
        "address": "南街 3 号",
        "taken_at": _local(gw, 50),
        "caller_phone": "139 1234 5678",
        "summary": "南街水管爆裂，路面积水。",
        "arrived_at": _local(gw, 30),
        "result_code": "resolved",
        "result_text": "已关阀抢修。",
        "needs_assist": "y",
        "assist_note": "需交警疏导交通",
    }
    data.update(change)
    return data


def _selfcalls(gw: Gateway) -> list[bytes]:
    with gw.store.read() as c:
        return [bytes(r[0]) for r in c.execute("SELECT payload FROM outbox WHERE kind='selfcall'")]


def test_form_in_chinese_with_the_county_lists_and_an_english_switch(client: FlaskClient) -> None:
    page = client.get("/selfcall").get_data(as_text=True)
    assert "自接警情登记" in page and "水管爆裂" in page and "妥甸镇" in page
    assert "将隐去中间四位" in page and "已处置" in page
    assert "登记自接警情" in client.get("/").get_data(as_text=True)  # linked from the kiosk
    assert "Record a call taken here" in client.get("/selfcall?lang=en").get_data(as_text=True)


def test_a_valid_call_is_one_signed_report_with_the_phone_masked(
    client: FlaskClient, gw: Gateway, files: TerminalFiles
) -> None:
    resp = client.post("/selfcall", data=_valid(gw, _token(client)))
    assert resp.status_code == 302
    shown = client.get("/").get_data(as_text=True)
    assert "139****5678" in shown and "13912345678" not in shown
    [raw] = _selfcalls(gw)
    msg = decode(raw, gw.signer.signer.verifier, unit=UNIT, direction="up")
    body = msg.body
    assert isinstance(body, SelfCallBody)
    assert body.caller_phone == "139****5678"
    assert (body.category, body.township, body.result_code) == (
        "water-main-burst",
        "tuodian",
        "resolved",
    )
    assert body.needs_assist and body.assist_note == "需交警疏导交通"
    assert body.arrived_at is not None and body.arrived_at - body.taken_at == timedelta(minutes=20)
    assert shanghai(body.taken_at).strftime("%Y-%m-%dT%H:%M") == _local(gw, 50)
    # the full number is nowhere in the terminal's state file
    db = sqlite3.connect(gw.config.state_dir / "gateway.sqlite3")
    dump = "\n".join(db.iterdump())
    assert "13912345678" not in dump and "1234 5678" not in dump
    assert gw.outbox.waiting("selfcall") == 1


@pytest.mark.parametrize(
    "change",
    [
        {"summary": ""},
        {"result_text": ""},
        {"result_code": "done"},
        {"category": "Water Main"},
        {"caller_phone": "call me"},
        {"taken_at": "yesterday"},
        {"address": "x" * 201},
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    client: FlaskClient, gw: Gateway, change: dict[str, str]
) -> None:
    resp = client.post("/selfcall", data=_valid(gw, _token(client), **change))
    assert resp.status_code == 400
    assert "登记未保存" in resp.get_data(as_text=True)
    assert _selfcalls(gw) == []


def test_times_that_cannot_be_are_refused(client: FlaskClient, gw: Gateway) -> None:
    token = _token(client)
    future = client.post("/selfcall", data=_valid(gw, token, taken_at=_local(gw, -10)))
    assert future.status_code == 400 and "晚于现在" in future.get_data(as_text=True)
    before = client.post("/selfcall", data=_valid(gw, token, arrived_at=_local(gw, 60)))
    assert before.status_code == 400 and "到场时间" in before.get_data(as_text=True)
    assert _selfcalls(gw) == []


def test_the_form_needs_its_csrf_token(client: FlaskClient, gw: Gateway) -> None:
    data = _valid(gw, "")
    del data["csrf_token"]
    assert client.post("/selfcall", data=data).status_code == 400
    assert _selfcalls(gw) == []


def test_without_county_lists_the_codes_are_typed(
    files: TerminalFiles, make_gateway: Callable[..., Gateway]
) -> None:
    gw = make_gateway(files.config())
    client = create_app(gw).test_client()
    page = client.get("/selfcall").get_data(as_text=True)
    assert '<input id="category" name="category"' in page
    assert client.post("/selfcall", data=_valid(gw, _token(client))).status_code == 302
    assert len(_selfcalls(gw)) == 1


@pytest.mark.slow
def test_a_duty_room_records_a_call_in_a_real_browser(gw: Gateway, tmp_path: Path) -> None:
    """Headless Chromium fills the form as a person does; the screenshot is the docs'."""
    from playwright.sync_api import expect
    from werkzeug.serving import make_server

    from tests.hub.console.browser import chromium, require_chromium

    require_chromium()
    server = make_server("127.0.0.1", 0, create_app(gw), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with chromium() as browser:
            page = browser.new_page(locale="zh-CN", viewport={"width": 900, "height": 1100})
            page.goto(f"http://127.0.0.1:{server.server_port}/")
            page.click("#selfcall-link a")
            page.select_option("#category", "water-main-burst")
            page.select_option("#township", "tuodian")
            page.fill("#address", "南街 3 号")
            page.fill("#caller_phone", "13912345678")
            page.fill("#summary", "群众直接来电：南街水管爆裂，路面积水。")
            page.fill("#taken_at", _local(gw, 50))
            page.fill("#arrived_at", _local(gw, 10))
            page.fill("#result_text", "已关阀抢修，恢复供水。")
            page.check("#needs_assist")
            page.fill("#assist_note", "需交警疏导交通")
            shot = tmp_path / "kiosk-selfcall.png"
            page.screenshot(path=str(shot), full_page=True)
            page.click("form.selfcall button")
            expect(page.locator("p.good")).to_contain_text("139****5678")
    finally:
        server.shutdown()
    keep = os.environ.get("LIANDONG_SCREENSHOTS")
    if keep:
        shutil.copy(shot, Path(keep) / shot.name)
    [raw] = _selfcalls(gw)
    body = decode(raw, gw.signer.signer.verifier, unit=UNIT).body
    assert isinstance(body, SelfCallBody) and body.caller_phone == "139****5678"
