"""`liandong-hub report daily|quarter|year|range ...`: the assessment outputs from hub.toml.

Only translates the command line into a period, a scope and a format, then calls the
library (`compute.assess` and one writer); it opens the database read-only, so a report can
run beside a live hub and never changes it. The rubric is `[assessment] rubric` in hub.toml
(relative to that file), else the shipped Shuangbai default.
"""

from __future__ import annotations

import sqlite3
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from hub.assessment import periods
from hub.assessment.compute import Assessment, Scope, assess, assess_county
from hub.assessment.evidence import connect_readonly
from hub.assessment.periods import Period
from hub.assessment.rubric import Rubric, load_rubric
from hub.registry import Registry, load_registry
from wire.clock import SHANGHAI, Clock, SystemClock

FORMATS = ("xlsx", "pdf", "html", "json")


class ReportError(ValueError):
    """A report that cannot be made as asked; the message says what to change."""


@dataclass(frozen=True)
class Request:
    kind: str
    day: date | None = None
    year: int | None = None
    quarter: int | None = None
    first: date | None = None
    last: date | None = None
    unit: str | None = None
    township: str | None = None
    format: str = "xlsx"


def period_of(req: Request) -> Period:
    if req.kind == "daily":
        if req.day is None:
            raise ReportError("daily 需要 --date YYYY-MM-DD (daily needs --date)")
        return periods.day(req.day)
    if req.kind == "quarter":
        if req.year is None or req.quarter is None:
            raise ReportError(
                "quarter 需要 --year 和 --quarter (quarter needs --year and --quarter)"
            )
        return periods.quarter(req.year, req.quarter)
    if req.kind == "year":
        if req.year is None:
            raise ReportError("year 需要 --year (year needs --year)")
        return periods.year(req.year)
    if req.first is None or req.last is None:
        raise ReportError("range 需要 --from 和 --to (range needs --from and --to)")
    try:
        return periods.span(req.first, req.last)
    except ValueError as e:
        raise ReportError(str(e)) from None


def parse_as_of(text: str) -> datetime:
    """`--as-of`: an ISO time; without an offset it is Beijing time, as the county reads."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ReportError(f"--as-of {text!r} 不是时间 (not an ISO time)") from None
    return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)


def rubric_path(config_path: Path) -> Path | None:
    data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    value = str(data.get("assessment", {}).get("rubric", "") or "")
    return config_path.resolve().parent / value if value else None


def run(
    config_path: Path,
    req: Request,
    out: Path,
    *,
    clock: Clock | None = None,
    as_of: datetime | None = None,
) -> Assessment:
    """Make one report file; returns the figures it holds (the CLI prints a summary).

    `as_of` (default: now) reproduces a report as it was at that moment, or reads a
    database made on a faster clock than the wall's (the demo's county time runs ahead)."""
    from hub.config import load_config

    config = load_config(config_path)
    registry = load_registry(config.registry)
    rubric = load_rubric(rubric_path(config_path), county=registry.county_id)
    if req.unit is not None and req.unit not in registry.units:
        raise ReportError(f"单位 {req.unit!r} 不在县情配置中 (unknown unit)")
    if req.township is not None and req.township not in registry.townships:
        raise ReportError(f"乡镇 {req.township!r} 不在县情配置中 (unknown township)")
    if not config.db_path.exists():
        raise ReportError(f"数据库 {config.db_path} 不存在 (no hub database yet)")
    as_of = as_of or (clock or SystemClock()).now()
    period = period_of(req)
    conn = connect_readonly(config.db_path)
    try:
        return write(conn, registry, rubric, period, as_of, req, out)
    finally:
        conn.close()


def write(
    conn: sqlite3.Connection,
    registry: Registry,
    rubric: Rubric,
    period: Period,
    as_of: datetime,
    req: Request,
    out: Path,
) -> Assessment:
    """Compute and write one format (the benchmark and tests call this directly)."""
    from hub.assessment import document, xlsx

    scope = Scope(unit=req.unit, township=req.township)
    a = assess(conn, registry, rubric, period, as_of, scope)
    out.parent.mkdir(parents=True, exist_ok=True)
    if req.format == "xlsx":
        xlsx.write_xlsx(a, registry, out)
    elif req.format == "json":
        document.write_json(a, registry, out)
    else:
        prev = assess_county(conn, registry, rubric, period.previous(), as_of, scope)
        writer = document.write_pdf if req.format == "pdf" else document.write_html
        writer(a, registry, out, prev if prev.rows else None)
    return a
