"""`liandong-hub report` on the synthetic quarter: every format, and 派单明细 row for row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from hub.assessment import periods
from hub.assessment.compute import assess
from hub.assessment.evidence import connect_readonly
from hub.assessment.rubric import Rubric
from hub.cli import main
from hub.registry import Registry
from tests.hub.assessment.conftest import QUARTER, Quarter


@pytest.fixture
def config(tmp_path: Path, quarter: Quarter) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(f'[county]\nid = "shuangbai"\n[store]\npath = "{quarter.db_path}"\n')
    return path


def report(config: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["report", *args, "--config", str(config)])
    assert result.exit_code == 0, result.output
    return result.output


def test_xlsx_has_one_detail_row_per_counted_order(
    config: Path, tmp_path: Path, quarter: Quarter, registry: Registry, rubric: Rubric
) -> None:
    out = tmp_path / "q1.xlsx"
    said = report(config, "quarter", "--year", "2026", "--quarter", "1", "--out", str(out))
    assert "计入考核派单" in said
    wb = load_workbook(out, read_only=False)
    assert wb.sheetnames == ["汇总", "排名", "分段统计", "乡镇", "抽查", "演练", "派单明细"]
    ws = wb["派单明细"]
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert header[:4] == ["序号", "派单时间（北京时间）", "110警情编号", "单位"]
    assert header[-2:] == ["派单编号", "证据事件编号"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    a = assess(connect_readonly(quarter.db_path), registry, rubric, QUARTER, quarter.as_of)
    ids = [r[header.index("派单编号")] for r in rows]
    assert len(ids) == len(set(ids)) == len(a.rows)
    assert set(ids) == {r.facts.order_id for r in a.rows}
    ack = header.index("签收用时（秒）")
    assert all(isinstance(r[ack], float | int) for r in rows if r[ack] is not None)
    assert all(not str(r[header.index("单位")]).isascii() for r in rows)  # Chinese names
    ranking = wb["排名"]
    assert ranking.freeze_panes == "A2"
    ranked = list(ranking.iter_rows(min_row=2, values_only=True))
    assert ranked[0][0] == 1 and isinstance(ranked[0][3], float)
    summary = {r[0]: r[1] for r in wb["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["计入考核派单数"] == len(a.rows)
    assert summary["演练派单（另行统计，不计入）"] == len(a.drills)


def test_pdf_html_json_and_the_other_periods(
    config: Path, tmp_path: Path, quarter: Quarter
) -> None:
    pdf = tmp_path / "q1.pdf"
    report(
        config, "quarter", "--year", "2026", "--quarter", "1", "--format", "pdf", "--out", str(pdf)
    )
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 50_000
    page = tmp_path / "q1.html"
    report(
        config,
        "quarter",
        "--year",
        "2026",
        "--quarter",
        "1",
        "--format",
        "html",
        "--out",
        str(page),
    )
    text = page.read_text(encoding="utf-8")
    assert "双柏县社会应急联动季度通报（2026年第1季度）" in text
    assert "排名靠后" in text and "北京时间" in text
    day = tmp_path / "day.json"
    report(config, "daily", "--date", "2026-02-10", "--format", "json", "--out", str(day))
    doc = json.loads(day.read_text(encoding="utf-8"))
    assert doc["period"] == {"kind": "daily", "first": "2026-02-10", "last": "2026-02-10"}
    assert doc["county"]["orders"] == len(doc["orders"]) > 0
    assert all(o["dispatched"].startswith("2026-02-10") for o in doc["orders"])  # Beijing day
    unit = tmp_path / "unit.json"
    report(
        config,
        "range",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-31",
        "--unit",
        "housing",
        "--format",
        "json",
        "--out",
        str(unit),
    )
    doc = json.loads(unit.read_text(encoding="utf-8"))
    assert [u["key"] for u in doc["units"]] == ["housing"]
    assert {o["unit"] for o in doc["orders"]} == {"双柏县住房和城乡建设局"}
    year = tmp_path / "year.xlsx"
    report(config, "year", "--year", "2026", "--township", "ejia", "--out", str(year))
    assert load_workbook(year)["乡镇"].max_row == 2


def test_bad_requests_are_named(config: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = str(tmp_path / "x.xlsx")
    r = runner.invoke(
        main, ["report", "quarter", "--year", "2026", "--config", str(config), "--out", out]
    )
    assert r.exit_code != 0 and "--quarter" in r.output
    r = runner.invoke(
        main,
        [
            "report",
            "year",
            "--year",
            "2026",
            "--unit",
            "nobody",
            "--config",
            str(config),
            "--out",
            out,
        ],
    )
    assert r.exit_code != 0 and "nobody" in r.output
    assert not Path(out).exists()


def test_the_report_never_writes_the_database(
    config: Path, tmp_path: Path, quarter: Quarter
) -> None:
    before = quarter.db_path.stat().st_mtime_ns
    report(
        config,
        "daily",
        "--date",
        "2026-03-01",
        "--format",
        "json",
        "--out",
        str(tmp_path / "d.json"),
    )
    assert quarter.db_path.stat().st_mtime_ns == before
    assert periods.day(QUARTER.first).end > periods.day(QUARTER.first).start
