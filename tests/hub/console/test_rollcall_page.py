"""The 点名 page through the Flask test client: everyone reads it, only a supervisor calls
the roll (CSRF, audited), outcomes and names shown in Chinese (English on request), Beijing
times, no raw ids."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient

from hub.console import audit
from tests.hub.console.conftest import csrf_token
from tests.hub.test_deadlines import Recorder
from tests.hub.test_rollcall import answer, commands
from tests.support.hubparts import TestService
from wire.clock import FakeClock, shanghai


def test_an_operator_reads_but_cannot_call(
    as_role: Callable[[str], FlaskClient], service: TestService
) -> None:
    client = as_role("operator")
    page = client.get("/rollcall").get_data(as_text=True)
    assert "点名" in page and "尚无点名记录" in page and "立即点名" not in page
    assert client.post("/rollcall", data={}).status_code in (400, 403)
    assert not service.rollcall_rounds()


def test_a_supervisor_calls_the_roll_and_sees_who_answered(
    as_role: Callable[[str], FlaskClient], service: TestService, clock: FakeClock
) -> None:
    client = as_role("supervisor")
    page = client.get("/rollcall")
    assert "立即点名" in page.get_data(as_text=True)
    assert client.post("/rollcall", data={}).status_code == 400  # no CSRF token
    assert not service.rollcall_rounds()
    response = client.post("/rollcall", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    (rnd,) = service.rollcall_rounds()
    clock.advance(37)
    rc = commands(service, "tuodian-gov")[0].rollcall_id
    answer(service, "tuodian-gov", rc, clock.now())
    clock.advance(180)
    service.parts.engine(notifier=Recorder()).run_due()
    page_text = client.get("/rollcall").get_data(as_text=True)
    assert "已向全部一级联动单位值班室发出点名" in page_text
    assert "妥甸镇人民政府" in page_text
    assert "37 s" in page_text and "已应答: 1" in page_text
    assert f"未应答: {len(rnd.calls) - 1}" in page_text
    assert rc not in page_text and rnd.id not in page_text  # no raw ids on screen
    called = rnd.called_at + timedelta(hours=8)  # Beijing time
    assert called.strftime("%Y-%m-%d %H:%M:%S") in page_text
    english = client.get("/rollcall", headers={"Accept-Language": "en"})
    assert english.status_code == 200
    rows = [r for r in audit.entries(service.db_path) if r.action == "rollcall"]
    assert [(r.actor, r.target, r.outcome) for r in rows] == [("supervisor-1", rnd.id, "ok")]


def test_a_supervisor_calls_only_the_rooms_picked(
    as_role: Callable[[str], FlaskClient], service: TestService
) -> None:
    client = as_role("supervisor")
    page = client.get("/rollcall")
    text = page.get_data(as_text=True)
    assert "只点这些值班室" in text and "妥甸镇人民政府" in text
    picked = ["tuodian-gov", "power-co"]
    token = csrf_token(page)
    response = client.post("/rollcall", data={"csrf_token": token, "units": picked})
    assert response.status_code == 302
    (rnd,) = service.rollcall_rounds()
    assert sorted(c.unit for c in rnd.calls) == sorted(picked)
    assert "已向 2 个值班室发出点名" in client.get("/rollcall").get_data(as_text=True)
    # A unit that is not a duty room on the list (forged form) calls nobody.
    client.post("/rollcall", data={"csrf_token": token, "units": ["no-such-unit"]})
    assert len(service.rollcall_rounds()) == 1
    rows = [r for r in audit.entries(service.db_path) if r.action == "rollcall"]
    assert sorted((r.outcome, r.detail.get("units")) for r in rows) == [
        ("invalid", None),
        ("ok", picked),
    ]


def test_missed_rollcalls_are_on_the_days_spot_check(
    as_role: Callable[[str], FlaskClient], service: TestService, clock: FakeClock
) -> None:
    service.rollcall_now(by="s", units=["tuodian-gov", "dazhuang-gov"])
    rc = commands(service, "dazhuang-gov")[0].rollcall_id
    answer(service, "dazhuang-gov", rc, clock.now())
    client = as_role("auditor")
    day = shanghai(clock.now()).date().isoformat()
    before = client.get(f"/assessment/spot-checks?day={day}").get_data(as_text=True)
    assert "未按时应答的点名" not in before  # still inside answer-by
    clock.advance(181)
    service.parts.engine(notifier=Recorder()).run_due()
    page = client.get(f"/assessment/spot-checks?day={day}").get_data(as_text=True)
    table = page[page.index('id="missed-rollcalls"') :]
    assert "未按时应答的点名" in page and "妥甸镇人民政府" in table
    assert "大庄镇人民政府" not in table


def test_the_auditor_records_what_the_check_found(
    as_role: Callable[[str], FlaskClient], service: TestService, clock: FakeClock
) -> None:
    service.rollcall_now(by="s", units=["tuodian-gov"])
    rc = commands(service, "tuodian-gov")[0].rollcall_id
    clock.advance(181)
    service.parts.engine(notifier=Recorder()).run_due()
    client = as_role("auditor")
    day = shanghai(clock.now()).date().isoformat()
    page = client.get(f"/assessment/spot-checks?day={day}")
    assert "待检查" in page.get_data(as_text=True)
    form = {"csrf_token": csrf_token(page), "result": "excused", "remark": "线路故障", "day": day}
    assert client.post(f"/assessment/rollcalls/{rc}/check", data=form).status_code == 302
    page_text = client.get(f"/assessment/spot-checks?day={day}").get_data(as_text=True)
    table = page_text[page_text.index('id="missed-rollcalls"') :]
    assert "在岗，终端或线路故障" in table and "已记录" in page_text
    bad = {**form, "result": "asleep"}
    client.post(f"/assessment/rollcalls/{rc}/check", data=bad)
    rows = [r for r in audit.entries(service.db_path) if r.action == "rollcall_check"]
    assert sorted((r.target, r.outcome) for r in rows) == [(rc, "invalid"), (rc, "ok")]


def test_only_the_auditor_checks(
    as_role: Callable[[str], FlaskClient], service: TestService, clock: FakeClock
) -> None:
    client = as_role("supervisor")
    response = client.post("/assessment/rollcalls/01JNOSUCH000000000000001/check", data={})
    assert response.status_code in (400, 403)
