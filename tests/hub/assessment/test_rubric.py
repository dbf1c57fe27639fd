"""The rubric file: the shipped one is valid; every problem of a bad one named with its line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hub.assessment import periods
from hub.assessment.rubric import RubricError, default_rubric_path, load_rubric, main


def test_the_shipped_rubric_loads_and_adds_up(capsys: pytest.CaptureFixture[str]) -> None:
    r = load_rubric(county="shuangbai")
    assert [p.name_zh for p in r.parts] == ["接警调度", "出警时间", "着装携装", "现场处置"]
    assert sum(p.points for p in r.parts) == r.full_marks == 100
    assert {i.measure for i in r.items} >= {"rollcall_answered", "self_recorded", "spot_dress"}
    assert main([str(default_rubric_path())]) == 0
    assert "OK" in capsys.readouterr().out


def test_every_problem_is_reported_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = default_rubric_path().read_text(encoding="utf-8")
    text = text.replace('measure = "ack_on_time"', 'measure = "ack_ontime"')
    text = text.replace(
        'method = "deduct"\ndeduct = 2\npoints = 10', 'method = "deduct"\npoints = 10'
    )
    text = text.replace("points = 30\n\n[[parts]]", "points = 31\n\n[[parts]]", 1)
    text += '\n[[items]]\nid = "extra"\npart = "nowhere"\nname_zh = "x"\nname_en = "x"\n'
    text += 'measure = "ack_on_time"\nmethod = "rate"\npoints = 0\ncolour = "red"\n'
    bad = tmp_path / "rubric.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(RubricError) as e:
        load_rubric(bad, county="other")
    lines = text.splitlines()
    problems = e.value.problems

    def line_of(fragment: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if fragment in line)

    assert any(
        f"line {line_of('ack_ontime')}:" in p and "measure must be one of" in p for p in problems
    )
    assert any('missing key "deduct"' in p for p in problems)
    assert any('part "nowhere" is not a part' in p for p in problems)
    assert any('unknown key "colour"' in p for p in problems)
    assert any("is not this hub's county" in p for p in problems)
    assert any("add up to" in p for p in problems)
    assert all(" line " in p for p in problems)
    assert main([str(bad)]) == 1
    assert "rubric.toml line" in capsys.readouterr().err


def test_syntax_and_encoding_errors(tmp_path: Path) -> None:
    bad = tmp_path / "r.toml"
    bad.write_bytes(b'[rubric]\nname_zh = "\xff"\n')
    with pytest.raises(RubricError, match="line 2: not UTF-8"):
        load_rubric(bad)
    bad.write_text("[rubric\n", encoding="utf-8")
    with pytest.raises(RubricError, match="TOML syntax"):
        load_rubric(bad)


def test_periods_follow_beijing_dates() -> None:
    q1 = periods.quarter(2026, 1)
    assert q1.start.isoformat() == "2025-12-31T16:00:00+00:00"
    assert q1.end.isoformat() == "2026-03-31T16:00:00+00:00"
    assert q1.previous() == periods.quarter(2025, 4)
    assert q1.label_zh == "2026年第1季度" and q1.slug == "2026-Q1"
    assert [m.first.month for m in q1.months()] == [1, 2, 3]
    assert periods.quarter(2026, 4).last == date(2026, 12, 31)
    r = periods.span(date(2026, 3, 1), date(2026, 3, 10))
    assert r.previous() == periods.span(date(2026, 2, 19), date(2026, 2, 28))
    with pytest.raises(ValueError):
        periods.quarter(2026, 5)
