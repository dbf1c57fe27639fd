"""The registry page (县情配置): what the county's TOML file says, read-only, for admins and
auditors; refused (403, audited) for operators.

The registry here is the shipped Shuangbai file with changed deadline figures, written to a
temporary file and loaded the way the hub loads it, so the page is seen to show the file's
figures and path rather than the defaults.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub.console import audit
from hub.registry import Registry, default_registry_path, load_registry
from tests.hub.console.conftest import login, make_user
from tests.support.hubparts import TestService

DEADLINES = """[deadlines]
receive_s = 45
ack_s = 240
arrive_emergency_urban_min = 12
arrive_tier1_min = 25
arrive_tier2_default_min = 50
feedback_h = 36
"""


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    """Shuangbai with its own deadline figures, from a file as a county would write it."""
    text = default_registry_path().read_text(encoding="utf-8")
    start = text.index("[deadlines]")
    end = text.index("\n\n", start)
    path = tmp_path / "county.toml"
    path.write_text(text[:start] + DEADLINES + text[end:], encoding="utf-8")
    return load_registry(path)


def _row(page: str, attr: str, key: str) -> str:
    found = re.search(rf'<tr {attr}="{re.escape(key)}">(.*?)</tr>', page, re.S)
    assert found, f"no row {attr}={key}"
    return found.group(1)


def test_admin_reads_the_registry_in_chinese(
    as_role: Callable[[str], FlaskClient], registry: Registry
) -> None:
    client = as_role("admin")
    board = client.get("/").get_data(as_text=True)
    assert 'href="/registry"' in board and "县情配置" in board
    response = client.get("/registry")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "县情配置" in page and "双柏县" in page
    assert registry.source in page  # which file, so the admin knows what to edit
    # How a county changes it: edit, check, restart.
    assert f"python -m hub.registry {registry.source}" in page
    assert "liandong-hub serve" in page and "重启平台" in page
    # The deadline figures of the file, not the defaults.
    deadlines = re.search(r'id="deadlines">(.*?)</table>', page, re.S)
    assert deadlines
    for figure in ("45 秒", "240 秒", "12 分钟", "25 分钟", "50 分钟", "36 小时"):
        assert figure in deadlines.group(1)
    assert "30 秒" not in deadlines.group(1)
    # Every township, urban or rural, with its government.
    assert page.count("<tr data-township=") == len(registry.townships)
    assert "城区" in _row(page, "data-township", "tuodian")
    rural = _row(page, "data-township", "dazhuang")
    assert "农村" in rural and "大庄镇" in rural
    # Units by tier, with class, township and duty phones.
    for tier in (1, 2, 3):
        table = re.search(rf'data-tier="{tier}">(.*?)</table>', page, re.S)
        assert table
        expected = {u.id for u in registry.units.values() if u.tier == tier}
        assert set(re.findall(r'data-unit="([^"]+)"', table.group(1))) == expected
    housing = _row(page, "data-unit", "housing")
    assert "一级联动部门" in housing and "全县" in housing and "0878-7710024" in housing
    police = _row(page, "data-unit", "tuodian-police")
    assert "应急救援单位" in police and "妥甸镇" in police
    # Categories with lead unit, 属地 flag, default priority and on-scene figure.
    assert page.count("<tr data-category=") == len(registry.categories)
    gas = _row(page, "data-category", "gas-smell")
    assert "燃气异味或泄漏" in gas and "双柏县住房和城乡建设局" in gas
    assert "是" in gas and "特急" in gas and "按单位层级" in gas
    local = next(c for c in registry.categories.values() if not c.township_also)
    assert "否" in _row(page, "data-category", local.code)
    assert "无需到场" in _row(page, "data-category", "weather-enquiry")
    assert "240 分钟" in _row(page, "data-category", "cable-tv-fault")
    # Read-only: no form on the page but the logout.
    assert page.count("<form") == 1


def test_the_registry_page_in_english(
    as_role: Callable[[str], FlaskClient], registry: Registry
) -> None:
    client = as_role("admin")
    client.get("/lang/en")
    page = client.get("/registry").get_data(as_text=True)
    assert "Registry" in page and "Shuangbai County" in page
    assert "How to change it" in page and "Restart the hub" in page
    assert "45 seconds" in page and "12 minutes" in page and "36 hours" in page
    assert "rural" in _row(page, "data-township", "dazhuang")
    assert "county-wide" in _row(page, "data-unit", "housing")
    assert "Gas smell or leak" in _row(page, "data-category", "gas-smell")
    assert "县情配置" not in page and "双柏县" not in page


def test_auditor_reads_it_operator_is_refused_and_audited(
    as_role: Callable[[str], FlaskClient], service: TestService, app: Flask
) -> None:
    assert as_role("auditor").get("/registry").status_code == 200
    operator = app.test_client()
    make_user(service, "op-1", "operator")
    login(operator, "op-1")
    board = operator.get("/").get_data(as_text=True)
    assert 'href="/registry"' not in board
    refused = operator.get("/registry")
    assert refused.status_code == 403 and "无权操作" in refused.get_data(as_text=True)
    [row] = [r for r in audit.entries(service.db_path) if r.outcome == "forbidden"]
    assert (row.actor, row.role, row.target) == ("op-1", "operator", "/registry")
    assert row.action == "denied:console_county.registry_page"
