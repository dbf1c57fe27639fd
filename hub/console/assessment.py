"""考核 pages (blueprint `console_assessment`): the quarter at a glance, a unit's drill-down,
downloads and the rubric, read-only.

Every figure on these pages is `hub.assessment.compute.assess` over a read-only connection
to the hub's database, as of the hub's clock: the same function the xlsx and the PDF
bulletin render, so the screen and the downloaded files cannot disagree. The console only
chooses the period and the scope and shows the result in the reader's language (units and
townships by name, times in Beijing time); the spot-check queue and appeals, which write,
are in `spotchecks.py`.

The rubric is loaded once, lazily, from `ASSESSMENT_RUBRIC` (hub.toml's `[assessment]
rubric`, else the shipped Shuangbai default). A broken rubric file shows its problems on
these pages instead of stopping the hub: dispatch must not depend on the scoring standard.
"""

from __future__ import annotations

import io
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from hub.assessment import periods
from hub.assessment.command import Request, write
from hub.assessment.compute import Assessment, Scope, assess
from hub.assessment.evidence import connect_readonly
from hub.assessment.judge import BUCKETS, NO_REPORT, STAGES, OrderRow
from hub.assessment.periods import Period
from hub.assessment.rubric import Rubric, RubricError, load_rubric
from hub.assessment.spotcheck import SpotChecks
from hub.console.web import act, need, now, service

bp = Blueprint("console_assessment", __name__, template_folder="templates")
RUBRIC_KEY = "liandong.assessment.rubric"
MAX_DETAIL = 1000
"""A unit's drill-down lists at most this many orders (late ones first); the xlsx has all."""

STAGE_LABELS = {
    "receive": _l("Receive"),
    "ack": _l("Acknowledge"),
    "arrive": _l("Arrive"),
    "feedback": _l("Feedback"),
}
STATUS_LABELS = {
    "on_time": _l("on time"),
    "late": _l("late"),
    "missed": _l("missed, no report"),
    "excused": _l("excused on appeal"),
    "pending": _l("not due yet"),
    "void": _l("not judged (cancelled, reassigned or closed)"),
    "none": _l("no such stage"),
}
BUCKET_LABELS = {
    "0-30秒": _l("0-30 s"),
    "30-60秒": _l("30-60 s"),
    "1-2分钟": _l("1-2 min"),
    "2-3分钟": _l("2-3 min"),
    "3分钟以上": _l("over 3 min"),
    "0-5分钟": _l("0-5 min"),
    "5-10分钟": _l("5-10 min"),
    "10-15分钟": _l("10-15 min"),
    "15-30分钟": _l("15-30 min"),
    "30分钟以上": _l("over 30 min"),
    "0-30分钟": _l("0-30 min"),
    "30-60分钟": _l("30-60 min"),
    "1-2小时": _l("1-2 h"),
    "2-4小时": _l("2-4 h"),
    "4-24小时": _l("4-24 h"),
    "24小时以上": _l("over 24 h"),
    "未签收": _l("not acknowledged"),
    "未到场": _l("not on scene"),
    "未反馈": _l("no feedback"),
}
END_LABELS = {"closed": _l("closed"), "cancelled": _l("cancelled"), "reassigned": _l("reassigned")}
FORMATS = {"xlsx": "xlsx", "pdf": "pdf"}


# ---- shared by both blueprints --------------------------------------------------------


def rubric() -> Rubric:
    """The rubric in effect, or a page listing the rubric file's problems (500)."""
    found = current_app.extensions.get(RUBRIC_KEY)
    if found is None:
        path = current_app.config.get("ASSESSMENT_RUBRIC")
        try:
            found = load_rubric(Path(path) if path else None, county=service().county)
        except RubricError as e:
            found = e
        current_app.extensions[RUBRIC_KEY] = found
    if isinstance(found, RubricError):
        abort(
            Response(
                render_template("console/rubric_broken.html", problems=found.problems), status=500
            )
        )
    result: Rubric = found
    return result


def spot_checks() -> SpotChecks:
    """The one writer of the assessment tables, on the hub's store and clock."""
    store = current_app.extensions.get("liandong.assessment_store")
    if store is None:
        abort(503)  # an app built without it (a tool's) cannot record findings
    return SpotChecks(store, rubric(), service().clock)


@contextmanager
def readonly() -> Iterator[sqlite3.Connection]:
    """A read-only connection to the hub's database for one page."""
    conn = connect_readonly(service().db_path)
    try:
        yield conn
    finally:
        conn.close()


def figures(period: Period, scope: Scope | None = None) -> Assessment:
    """The whole assessment of `period` as of the hub's clock, narrowed to `scope`."""
    scope = scope or Scope()
    with readonly() as conn:
        return assess(conn, service().registry, rubric(), period, now(), scope)


def today() -> date:
    return periods.beijing_day(now())


def period_label(p: Period) -> str:
    """A period as the reader says it: 2026年第1季度 / 2026 Q1."""
    english = str(get_locale() or "zh").startswith("en")
    if not english:
        return p.label_zh
    if p.kind == "quarter":
        return f"{p.first.year} Q{(p.first.month - 1) // 3 + 1}"
    if p.kind == "daily":
        return p.first.isoformat()
    return f"{p.first.isoformat()} – {p.last.isoformat()}"


def flag_labels(row: OrderRow) -> list[str]:
    """The row's flags (docs/assessment.md) in the reader's language."""
    out = []
    if row.clock_suspect:
        out.append(_("clock suspect: judged by the centre's receipt time"))
    if row.offline:
        out.append(_("reported offline"))
    if row.operator_recorded:
        out.append(_("recorded by an operator"))
    if row.facts.self_recorded:
        out.append(_("taken by the unit itself (dual track)"))
    if row.facts.replaces:
        out.append(_("taken over by reassignment"))
    if any(s.status == "excused" for s in row.stages.values()):
        out.append(_("excused on appeal"))
    return out


def stage_cells(row: OrderRow) -> list[dict[str, Any]]:
    """One cell per stage: status key (for the colour), words, time taken, bucket."""
    cells = []
    for stage in STAGES:
        s = row.stages[stage]
        cells.append(
            {
                "stage": stage,
                "status": s.status,
                "text": STATUS_LABELS[s.status],
                "elapsed": s.elapsed_s,
                "bucket": BUCKET_LABELS.get(s.bucket or "", s.bucket or ""),
                "due": s.due,
            }
        )
    return cells


def register_filters(state: Any) -> None:
    state.app.jinja_env.globals.update(
        stage_labels=STAGE_LABELS,
        status_labels=STATUS_LABELS,
        bucket_labels=BUCKET_LABELS,
        end_labels=END_LABELS,
    )


bp.record_once(register_filters)


# ---- pages ----------------------------------------------------------------------------


def _quarter_arg() -> Period:
    """?year=&quarter= or the hub clock's current quarter (Beijing date)."""
    d = today()
    year = request.args.get("year", type=int) or d.year
    q = request.args.get("quarter", type=int) or (d.month - 1) // 3 + 1
    if not 2000 <= year <= 2100 or not 1 <= q <= 4:
        abort(404)
    return periods.quarter(year, q)


def quarter_args(p: Period) -> dict[str, int]:
    """The query arguments that name a quarter period."""
    return {"year": p.first.year, "quarter": (p.first.month - 1) // 3 + 1}


def _nav(p: Period) -> dict[str, dict[str, int]]:
    """Links to the quarter before and, unless it is still ahead, the one after."""
    q = quarter_args(p)
    nxt = (
        periods.quarter(q["year"] + 1, 1)
        if q["quarter"] == 4
        else (periods.quarter(q["year"], q["quarter"] + 1))
    )
    out = {"prev": quarter_args(p.previous())}
    if nxt.first <= today():
        out["next"] = quarter_args(nxt)
    return out


@bp.route("/assessment")
def overview() -> str:
    """The quarter at a glance: county figures, ranking, buckets, the slowest units."""
    need("assessment")
    p = _quarter_arg()
    a = figures(p)
    buckets = []
    for stage, bounds in BUCKETS.items():
        total = a.county.stage_cases.get(stage, 0)
        labels = [b[1] for b in bounds] + [NO_REPORT[stage]]
        cells = [(BUCKET_LABELS[lb], a.county.buckets[stage][lb]) for lb in labels]
        buckets.append({"stage": stage, "total": total, "cells": cells})
    undecided = len(spot_checks().appeals(undecided_only=True))
    return render_template(
        "console/assessment.html",
        a=a,
        period=p,
        label=period_label(p),
        nav=_nav(p),
        buckets=buckets,
        undecided=undecided,
        q=quarter_args(p),
    )


@bp.route("/assessment/units/<unit>")
def unit_page(unit: str) -> str:
    """One unit's quarter: its score, items, and every counted order with its stages."""
    need("assessment")
    if unit not in service().registry.units:
        abort(404)
    p = _quarter_arg()
    a = figures(p, Scope(unit=unit))
    score = a.units[0] if a.units else None

    def worst_first(r: OrderRow) -> tuple[int, Any]:
        bad = any(s.status in ("late", "missed") for s in r.stages.values())
        return (not bad, r.facts.dispatched_at)

    rows = sorted(a.rows, key=worst_first)[:MAX_DETAIL]
    return render_template(
        "console/assessment_unit.html",
        a=a,
        unit=service().registry.units[unit],
        score=score,
        label=period_label(p),
        rows=[(r, stage_cells(r), flag_labels(r)) for r in rows],
        shown=len(rows),
        q=quarter_args(p),
    )


@bp.route("/assessment/download.<fmt>")
def download(fmt: str) -> Response:
    """The quarter's workbook (with 派单明细) or PDF bulletin, as `liandong-hub report` makes
    it; audited, since it carries every order's evidence out of the building."""
    need("assessment")
    if fmt not in FORMATS:
        abort(404)
    p = _quarter_arg()
    svc = service()
    name = f"{svc.registry.county_name}考核-{p.slug}.{fmt}"
    with tempfile.TemporaryDirectory(prefix="ld-report-") as tmp, readonly() as conn:
        out = Path(tmp) / f"report.{fmt}"
        write(conn, svc.registry, rubric(), p, now(), Request("quarter", format=fmt), out)
        data = out.read_bytes()
    act("assessment_download", target=p.slug, detail={"format": fmt, "bytes": len(data)})
    mimetype = (
        "application/pdf"
        if fmt == "pdf"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)


@bp.route("/assessment/rubric")
def rubric_page() -> str:
    """The scoring standard in effect, read-only, and how the county changes it."""
    need("assessment")
    r = rubric()
    parts = [(part, [i for i in r.items if i.part == part.id]) for part in r.parts]
    return render_template("console/rubric.html", r=r, parts=parts)
