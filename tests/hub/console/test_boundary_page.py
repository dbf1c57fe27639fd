"""The 110 gate page (边界交换) through the real Flask app over a real bridge and SQLite file:
files in with their fate (the why in Chinese, Beijing times, the 110 number instead of our
ids), the outbound backlog, the red banner when outbound/ is stuck, and re-processing a
refused file (supervisor or admin only, CSRF, audited)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from hub.console import audit
from hub.sources.boundary.bridge import APP_KEY, Bridge
from hub.sources.boundary.config import BoundaryConfig
from hub.sources.boundary.folders import Folders
from hub.sources.boundary.mockgate import MockGate
from tests.hub.console.conftest import csrf_token
from tests.support.hubparts import TestService

BUTTON = '<button type="submit">重新处理</button>'


def call(number: str, **over: Any) -> dict[str, Any]:
    data = {
        "source_id": number,
        "category": "power-cut",
        "township": "tuodian",
        "address": "妥甸镇 东街 12 号",
        "caller_phone": "13812345678",
        "summary": "整条街停电",
        "reported_at": "2026-01-05T08:30:00+08:00",
    }
    data.update(over)
    return data


@pytest.fixture
def bridge(app: Flask, service: TestService, tmp_path: Path) -> Iterator[Bridge]:
    """A bridge on the app as `liandong-hub serve` leaves it (hub/runtime.py)."""
    b = Bridge(
        service.parts.gate, BoundaryConfig(folders=Folders.under(tmp_path / "gate"), settle_s=0)
    )
    b.prepare()
    app.extensions[APP_KEY] = b
    yield b
    b.stop()


@pytest.fixture
def gate(bridge: Bridge) -> MockGate:
    """Two files through the gate: one taken, one refused for its category."""
    g = MockGate(bridge.folders)
    g.drop("0001-ok.json", call("J5323220000000777"))
    g.drop("0002-ufo.json", call("J5323220000000778", category="ufo"))
    assert bridge.take_all(set()) == {"0001-ok.json": "done", "0002-ufo.json": "rejected"}
    return g


def _row(page: str, name: str) -> str:
    found = re.search(rf'<tr class="[a-z]+" data-file="{re.escape(name)}">(.*?)</tr>', page, re.S)
    assert found, f"no row for {name}"
    return found.group(1)


def _visible(page: str) -> str:
    """The page without tags (what a person reads)."""
    return re.sub(r"<[^>]+>", " ", page)


def test_operator_sees_files_and_their_fate_in_chinese(
    as_role: Callable[[str], FlaskClient], gate: MockGate, service: TestService
) -> None:
    client = as_role("operator")
    board = client.get("/").get_data(as_text=True)
    assert 'href="/boundary"' in board and "边界交换" in board
    page = client.get("/boundary").get_data(as_text=True)
    ok, refused = _row(page, "0001-ok.json"), _row(page, "0002-ufo.json")
    assert "已接收" in ok and "新建警情" in ok and "J5323220000000777" in ok
    assert "拒收" in refused and "ufo" in refused and "category" in refused
    why = gate.rejected()["0002-ufo.json"]["zh"]
    assert escape(why) in refused  # the Chinese reason of the why.json, as written
    # Beijing time (the FakeClock is at 01:00 UTC), never the stored UTC or our ids.
    assert "01-05 09:00:00" in ok
    [inc] = service.open_incidents()
    text = _visible(page)
    assert inc.id not in text and "+00:00" not in text and "UTC" not in text
    assert f'href="/incidents/{inc.id}"' in ok
    # The outbound figures (incident and dispatched not yet written) and no banner.
    assert 'id="outbound-stuck"' not in page
    assert re.search(r'id="backlog">(\d+)<', page).group(1) == str(  # type: ignore[union-attr]
        service.store.one(
            "SELECT count(*) AS n FROM events WHERE type IN ('incident', 'dispatched')"
        )["n"]
    )
    # An operator watches; re-processing is a supervisor's call.
    assert BUTTON not in page


def test_english_switch(as_role: Callable[[str], FlaskClient], gate: MockGate) -> None:
    client = as_role("operator")
    client.get("/lang/en?next=/boundary")
    page = client.get("/boundary").get_data(as_text=True)
    assert "Boundary exchange" in page and "refused" in _row(page, "0002-ufo.json")
    assert escape(gate.rejected()["0002-ufo.json"]["en"]) in _row(page, "0002-ufo.json")
    assert "new incident" in _row(page, "0001-ok.json")


def test_supervisor_reprocesses_a_refused_file_audited(
    as_role: Callable[[str], FlaskClient], gate: MockGate, service: TestService
) -> None:
    client = as_role("supervisor")
    page = client.get("/boundary")
    assert BUTTON in _row(page.get_data(as_text=True), "0002-ufo.json")
    assert BUTTON not in _row(page.get_data(as_text=True), "0001-ok.json")
    # Without the CSRF token: refused, audited, nothing moved.
    assert client.post("/boundary/reprocess", data={"name": "0002-ufo.json"}).status_code == 400
    assert gate.inbound() == []
    token = csrf_token(page)
    answer = client.post("/boundary/reprocess", data={"csrf_token": token, "name": "0002-ufo.json"})
    assert answer.status_code == 302
    assert gate.inbound() == ["0002-ufo.json"] and gate.rejected() == {}
    again = client.get("/boundary").get_data(as_text=True)
    assert "已放回 inbound/" in again and BUTTON not in again
    # A name that is not a refused file (or tries to leave the folder): refused, audited.
    for bad in ("0002-ufo.json", "../../hub.sqlite3"):
        client.post("/boundary/reprocess", data={"csrf_token": token, "name": bad})
    rows = [r for r in audit.entries(service.db_path) if r.action == "boundary_reprocess"]
    assert [(r.target, r.outcome) for r in rows] == [
        ("../../hub.sqlite3", "not_found"),
        ("0002-ufo.json", "not_found"),
        ("0002-ufo.json", "ok"),
    ]
    assert rows[-1].actor == "supervisor-1" and rows[-1].detail == {"inbound": "0002-ufo.json"}
    assert any(r.action == "csrf_refused" for r in audit.entries(service.db_path))


@pytest.mark.parametrize("role", ["operator", "auditor"])
def test_reprocess_refused_below_supervisor(
    as_role: Callable[[str], FlaskClient], gate: MockGate, service: TestService, role: str
) -> None:
    client = as_role(role)
    token = csrf_token(client.get("/password"))
    answer = client.post("/boundary/reprocess", data={"csrf_token": token, "name": "0002-ufo.json"})
    assert answer.status_code == 403
    assert "0002-ufo.json" in gate.rejected()
    assert [r.action for r in audit.entries(service.db_path) if r.outcome == "forbidden"] == [
        "denied:console_boundary.reprocess"
    ]


def test_admin_sees_the_page_auditor_does_not(
    as_role: Callable[[str], FlaskClient], gate: MockGate
) -> None:
    assert as_role("admin").get("/boundary").status_code == 200


def test_auditor_is_refused_the_page(as_role: Callable[[str], FlaskClient], gate: MockGate) -> None:
    assert as_role("auditor").get("/boundary").status_code == 403


def test_red_banner_when_outbound_cannot_take_files(
    as_role: Callable[[str], FlaskClient], gate: MockGate, bridge: Bridge
) -> None:
    shutil.rmtree(bridge.folders.outbound)
    bridge.folders.outbound.write_text("not a folder")  # as root, chmod would not stop us
    assert bridge.outbound.pump() == 0
    page = as_role("operator").get("/boundary").get_data(as_text=True)
    banner = re.search(
        r'<p class="banner-late" role="alert" id="outbound-stuck">(.*?)</p>', page, re.S
    )
    assert banner and "不可写或已满" in banner.group(1) and "110 收不到任何反馈" in banner.group(1)
    assert "受阻" in page


def test_page_says_when_no_gate_is_configured(as_role: Callable[[str], FlaskClient]) -> None:
    page = as_role("operator").get("/boundary").get_data(as_text=True)
    assert 'id="not-configured"' in page and "[boundary]" in page
