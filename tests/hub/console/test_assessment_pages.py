"""The 考核 pages through the real Flask app over a simulated county's real database: who
may read and who may write (403 and audited otherwise), the spot-check work queue, the
appeal and its decision moving the figures, CSRF on every post, the downloads.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from playwright.sync_api import expect
from werkzeug.serving import make_server

from hub.assessment import periods
from hub.assessment.compute import assess
from hub.assessment.evidence import connect_readonly
from hub.assessment.rubric import load_rubric
from hub.console import audit
from hub.registry import Registry
from tests.hub.console.assess_county import CHECK_DAY, CountyDays, build
from tests.hub.console.browser import chromium, require_chromium
from tests.hub.console.conftest import PASSWORD, csrf_token, login, make_user
from tests.support.hubparts import TestService, web_app
from wire.clock import FakeClock

ROLES = ("operator", "supervisor", "auditor", "admin")
ULID = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{26}\b")


@pytest.fixture(scope="session")
def county_days(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> CountyDays:
    return build(tmp_path_factory.mktemp("assess-county"), registry)


@pytest.fixture
def clock(county_days: CountyDays) -> FakeClock:
    return FakeClock(county_days.end + timedelta(hours=1))


@pytest.fixture
def service(
    tmp_path: Path, registry: Registry, clock: FakeClock, county_days: CountyDays
) -> Iterator[TestService]:
    svc = TestService.open(county_days.copy_to(tmp_path), registry=registry, clock=clock)
    yield svc
    svc.store.close()


@pytest.fixture
def signed_in(app: Flask, service: TestService) -> Callable[[str], FlaskClient]:
    """A fresh client logged in as a new user of `role` (several roles in one test)."""

    def make(role: str) -> FlaskClient:
        client = app.test_client()
        make_user(service, f"{role}-a", role)
        assert login(client, f"{role}-a").status_code == 302
        return client

    return make


def visible(html: str) -> str:
    """The text a person reads: no tags, attributes, scripts or styles."""
    body = html.split("<body", 1)[1]
    return re.sub(r"<[^>]+>", " ", body)


def post(client: FlaskClient, page: str, action: str, data: dict[str, str]) -> int:
    token = csrf_token(client.get(page))
    return client.post(action, data={"csrf_token": token, **data}).status_code


def actions(service: TestService, name: str) -> list[audit.AuditEntry]:
    return [e for e in audit.entries(service.db_path, limit=1000) if e.action == name]


def test_who_may_read_the_assessment_pages(
    signed_in: Callable[[str], FlaskClient], service: TestService
) -> None:
    pages = ["/assessment", "/assessment/spot-checks", "/assessment/appeals", "/assessment/rubric"]
    for role in ROLES:
        client = signed_in(role)
        board = client.get("/").get_data(as_text=True)
        for page in pages:
            code = client.get(f"{page}?year=2026&quarter=1").status_code
            assert code == (403 if role == "operator" else 200), (role, page)
        assert ('href="/assessment"' in board) == (role != "operator")
    denied = actions(service, "denied:console_assessment.overview")
    assert denied and denied[0].role == "operator"


def test_the_quarter_page_is_chinese_with_names_and_beijing_times(
    signed_in: Callable[[str], FlaskClient], service: TestService, registry: Registry
) -> None:
    client = signed_in("supervisor")
    page = client.get("/assessment").get_data(as_text=True)  # the hub clock's quarter: Q1
    text = visible(page)
    assert "2026年第1季度" in text and "排名" in text and "排名靠后" in text
    assert "签收按时" in text and "0-30秒" in text and "派单" in text
    with connect_readonly(service.db_path) as conn:
        a = assess(conn, registry, load_rubric(), periods.quarter(2026, 1), service.clock.now())
    assert a.county.orders > 100
    assert f">{a.county.orders}<" in page
    for s in a.units:
        assert registry.units[s.key].name_zh in text
    for unit in registry.units:  # unit keys only in links and data attributes
        assert not re.search(rf"(?<![\w/-]){re.escape(unit)}(?![\w-])", text), unit
    assert not ULID.search(text)
    assert "T0" not in text and "+00:00" not in text and "UTC" not in text
    # The English switch.
    client.get("/lang/en?next=/assessment")
    english = visible(client.get("/assessment").get_data(as_text=True))
    assert "2026 Q1" in english and "Ranking" in english and "Slowest units" in english


def test_a_units_drill_down_lists_its_orders_with_judged_stages(
    signed_in: Callable[[str], FlaskClient], service: TestService, registry: Registry
) -> None:
    client = signed_in("admin")
    with connect_readonly(service.db_path) as conn:
        a = assess(conn, registry, load_rubric(), periods.quarter(2026, 1), service.clock.now())
    unit = max(a.units, key=lambda s: s.orders)
    page = client.get(f"/assessment/units/{unit.key}").get_data(as_text=True)
    assert page.count("<tr data-order=") == unit.orders
    assert registry.units[unit.key].name_zh in page
    for word in ("按时", "签收", "到场", "反馈", "110警情编号"):
        assert word in page
    assert not ULID.search(visible(page))
    assert client.get("/assessment/units/no-such-unit").status_code == 404


def _day_order(client: FlaskClient) -> str:
    page = client.get(f"/assessment/spot-checks?day={CHECK_DAY}").get_data(as_text=True)
    found = re.findall(r'<tr data-order="([0-9A-Z]+)"', page)
    assert found, page
    return found[0]


def test_the_spot_check_queue_findings_corrections_and_the_audit_log(
    signed_in: Callable[[str], FlaskClient], service: TestService
) -> None:
    queue = f"/assessment/spot-checks?day={CHECK_DAY}"
    supervisor, auditor = signed_in("supervisor"), signed_in("auditor")
    assert "抽取当日样本" not in supervisor.get(queue).get_data(as_text=True)
    draw = {"day": CHECK_DAY.isoformat()}
    assert post(supervisor, queue, "/assessment/spot-checks/draw", draw) == 403
    assert post(signed_in("admin"), queue, "/assessment/spot-checks/draw", draw) == 403
    assert post(auditor, queue, "/assessment/spot-checks/draw", draw) == 302
    page = auditor.get(queue).get_data(as_text=True)
    drawn = re.findall(r'<tr data-order="([0-9A-Z]+)"', page)
    assert len(drawn) >= 3 and "待检查" in page
    oid = drawn[0]
    order_page = f"/assessment/orders/{oid}"
    assert "记录抽查结果" not in supervisor.get(order_page).get_data(as_text=True)
    found = f"/assessment/orders/{oid}/findings"
    callback = {"kind": "callback", "reached": "yes", "satisfaction": "2", "remark": "等待较久"}
    assert post(supervisor, order_page, found, callback) == 403
    assert post(auditor, order_page, found, callback) == 302
    dress = {"kind": "dress", "ok": "no", "remark": "未穿反光背心"}
    assert post(auditor, order_page, found, dress) == 302
    assert post(auditor, order_page, found, {"kind": "handling", "ok": "yes", "remark": ""}) == 302
    # A satisfaction without reaching the caller is refused by SpotChecks, shown, audited.
    bad = {"kind": "callback", "reached": "no", "satisfaction": "4", "remark": ""}
    assert post(auditor, order_page, found, bad) == 302
    shown = auditor.get(order_page).get_data(as_text=True)
    assert "未联系上时不能填写满意度" in shown
    outcomes = sorted(e.outcome for e in actions(service, "spot_check_finding"))
    assert outcomes == ["ok", "ok", "ok", "refused"]
    assert len(actions(service, "denied:console_spotchecks.record")) == 1
    assert "✓" in auditor.get(queue).get_data(as_text=True)
    # A correction is a new record; the old one stays, marked superseded.
    dress_id = service.store.one(
        "SELECT id FROM assessment_findings WHERE order_id=? AND kind='dress'", (oid,)
    )["id"]
    fix = {"kind": "dress", "ok": "yes", "remark": "复核视频：已穿"}
    assert post(auditor, order_page, f"/assessment/findings/{dress_id}/correct", fix) == 302
    shown = auditor.get(order_page).get_data(as_text=True)
    assert "已被更正" in shown and "复核视频：已穿" in shown
    rows = service.store.query("SELECT * FROM assessment_findings WHERE order_id=?", (oid,))
    assert len(rows) == 4 and rows[-1]["supersedes"] == dress_id
    corrected = actions(service, "spot_check_correct")
    assert corrected[0].actor == "auditor-a" and corrected[0].detail["supersedes"] == dress_id
    assert actions(service, "spot_check_draw")[0].detail["orders"] == len(drawn)


def test_an_appeal_filed_by_the_supervisor_and_upheld_by_the_auditor_moves_the_figures(
    signed_in: Callable[[str], FlaskClient], service: TestService, registry: Registry
) -> None:
    q1 = periods.quarter(2026, 1)

    def excused() -> int:
        with connect_readonly(service.db_path) as conn:
            return assess(conn, registry, load_rubric(), q1, service.clock.now()).excused

    late = service.store.one(
        "SELECT o.id FROM orders o JOIN deadlines d ON d.order_id = o.id"
        " WHERE d.name='ack' AND d.fired_at IS NOT NULL AND o.drill=0 ORDER BY o.id LIMIT 1"
    )
    assert late is not None
    oid = late["id"]
    page = f"/assessment/orders/{oid}"
    supervisor, auditor = signed_in("supervisor"), signed_in("auditor")
    assert 'id="appeal-ack"' in supervisor.get(page).get_data(as_text=True)
    reason = {"target": "stage:ack", "reason": "终端断电，电话签收"}
    assert post(auditor, page, f"/assessment/orders/{oid}/appeals", reason) == 403
    assert post(supervisor, page, f"/assessment/orders/{oid}/appeals", reason) == 302
    appeal_id = service.store.one("SELECT id FROM assessment_appeals")["id"]
    listing = auditor.get("/assessment/appeals").get_data(as_text=True)
    assert "终端断电，电话签收" in listing and "待裁定" in listing
    before = excused()
    decide = {"upheld": "yes", "remark": "有通话记录", "back": "list"}
    decision = f"/assessment/appeals/{appeal_id}/decide"
    assert post(supervisor, "/assessment/appeals", decision, decide) == 403
    assert post(auditor, "/assessment/appeals", decision, decide) == 302
    assert excused() == before + 1
    assert "申诉成立" in auditor.get(page).get_data(as_text=True)
    filed, decided = actions(service, "appeal_file"), actions(service, "appeal_decide")
    assert any(e.actor == "supervisor-a" and e.detail["stage"] == "ack" for e in filed)
    assert any(e.actor == "auditor-a" and e.detail["upheld"] is True for e in decided)


def test_every_post_needs_the_csrf_token(
    signed_in: Callable[[str], FlaskClient], service: TestService
) -> None:
    auditor = signed_in("auditor")
    response = auditor.post("/assessment/spot-checks/draw", data={"day": CHECK_DAY.isoformat()})
    assert response.status_code == 400
    oid = service.store.one("SELECT id FROM orders WHERE drill=0 LIMIT 1")["id"]
    response = auditor.post(
        f"/assessment/orders/{oid}/findings", data={"kind": "dress", "ok": "no"}
    )
    assert response.status_code == 400
    supervisor = signed_in("supervisor")
    response = supervisor.post(
        f"/assessment/orders/{oid}/appeals", data={"target": "stage:ack", "reason": "x"}
    )
    assert response.status_code == 400
    for table in ("assessment_samples", "assessment_findings", "assessment_appeals"):
        assert service.store.one(f"SELECT count(*) AS n FROM {table}")["n"] == 0  # noqa: S608
    assert len(actions(service, "csrf_refused")) == 3


@pytest.mark.slow
def test_downloads_are_the_reports_and_are_audited(
    signed_in: Callable[[str], FlaskClient], service: TestService, registry: Registry
) -> None:
    admin = signed_in("admin")
    response = admin.get("/assessment/download.xlsx?year=2026&quarter=1")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    with connect_readonly(service.db_path) as conn:
        a = assess(conn, registry, load_rubric(), periods.quarter(2026, 1), service.clock.now())
    assert sum(1 for _ in book["派单明细"].iter_rows()) == len(a.rows) + 1  # and the header
    pdf = admin.get("/assessment/download.pdf?year=2026&quarter=1")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert admin.get("/assessment/download.csv").status_code == 404
    assert [e.detail["format"] for e in actions(service, "assessment_download")] == ["pdf", "xlsx"]
    assert signed_in("operator").get("/assessment/download.xlsx").status_code == 403


def test_the_rubric_is_shown_read_only_and_a_broken_one_does_not_stop_dispatch(
    signed_in: Callable[[str], FlaskClient], service: TestService, tmp_path: Path
) -> None:
    page = signed_in("auditor").get("/assessment/rubric").get_data(as_text=True)
    assert "接警调度" in page and "出警时间" in page and "python -m hub.assessment.rubric" in page
    assert "<form" not in page.split("<main>", 1)[1]
    broken = tmp_path / "rubric.toml"
    broken.write_text('[rubric]\ncounty = "shuangbai"\n', encoding="utf-8")
    app = web_app(
        service, test_config={"TESTING": True, "SECRET_KEY": "x", "ASSESSMENT_RUBRIC": broken}
    )
    client = app.test_client()
    make_user(service, "aud2", "auditor")
    assert login(client, "aud2").status_code == 302
    response = client.get("/assessment")
    assert response.status_code == 500 and "rubric.toml" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200


ALLOWED_LATIN = {"English", "Excel", "PDF", "zhang"}  # the language switch, file kinds, login


@pytest.mark.slow
def test_in_a_real_browser_the_chinese_page_shows_no_key_or_raw_id(
    app: Flask, service: TestService, registry: Registry, tmp_path: Path
) -> None:
    """Headless Chromium against the real app served over HTTP: the quarter page, then the
    auditor draws the day's sample by clicking and opens an order of the queue."""
    require_chromium()
    make_user(service, "zhang", "auditor")
    cases = {r["source_id"] for r in service.store.query("SELECT source_id FROM incidents")}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        with chromium() as browser:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
            page = context.new_page()
            page.goto(f"{url}/login")
            page.fill("#username", "zhang")
            page.fill("#password", PASSWORD)
            page.click("#submit")
            page.wait_for_url(f"{url}/")
            page.click("text=考核")
            page.wait_for_url(f"{url}/assessment")
            expect(page.locator("h1")).to_contain_text("2026年第1季度")
            _readable_in_chinese(page.inner_text("body"), registry, cases)
            _shot(page, tmp_path, "assessment")
            page.goto(f"{url}/assessment/spot-checks?day={CHECK_DAY}")
            page.click("#draw-form input[type=submit]")
            expect(page.locator("#queue tbody tr").first).to_be_visible()
            _readable_in_chinese(page.inner_text("body"), registry, cases)
            _shot(page, tmp_path, "assessment-spotcheck")
            page.click("#queue tbody tr >> text=打开")
            page.select_option("#callback-reached", "yes")
            page.select_option("#callback-satisfaction", "4")
            page.click("#form-callback input[type=submit]")
            expect(page.locator(".flash.ok")).to_contain_text("已记录")
            expect(page.locator("#findings")).to_contain_text("4 非常满意")
            _readable_in_chinese(page.inner_text("body"), registry, cases)
            _shot(page, tmp_path, "assessment-order")
            context.close()
    finally:
        server.shutdown()
        thread.join(5)
    assert [e.actor for e in actions(service, "spot_check_finding")] == ["zhang"]


def _readable_in_chinese(text: str, registry: Registry, case_numbers: set[str]) -> None:
    """Only Chinese, numbers, and the 110 case numbers people quote (J21000025)."""
    latin = set(re.findall(r"[A-Za-z][A-Za-z0-9_-]+", text)) - case_numbers
    assert latin <= ALLOWED_LATIN, f"English words, keys or ids on the Chinese page: {latin}"
    assert not ULID.search(text)
    assert not any(re.search(rf"\b{re.escape(u)}\b", text) for u in registry.units)


def _shot(page: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("LIANDONG_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)
