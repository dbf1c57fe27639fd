"""The bulletin (季度通报) and year-end summary (年终汇总) as HTML, PDF and JSON.

One HTML document (a Jinja template, charts inlined) is both the `html` output and, through
WeasyPrint, the PDF. WeasyPrint rather than ReportLab because Debian's fonts-noto-cjk ships
OpenType/CFF collections (.ttc) that ReportLab cannot embed, while WeasyPrint lays out
Chinese through Pango and HarfBuzz with those fonts as installed, and the page layout stays
plain HTML/CSS that the console can show as it is. JSON carries the same figures for
machines (keys in English, names in Chinese).
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from hub.assessment import charts
from hub.assessment.compute import Assessment
from hub.assessment.judge import BUCKETS, NO_REPORT, OrderRow
from hub.assessment.periods import beijing_day
from hub.assessment.present import STAGE_ZH, beijing_text, detail_row, pct, scope_zh, title
from hub.assessment.score import Score, score_of
from hub.registry import Registry

log = logging.getLogger(__name__)
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _score_text(s: Score) -> str:
    return "—" if s.score is None else f"{s.score:.1f}"


def _change(now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return "无可比数据"
    d = (now - before) * 100
    if abs(d) < 0.05:
        return "持平"
    return f"{'上升' if d > 0 else '下降'} {abs(d):.1f} 个百分点"


def monthly(a: Assessment) -> list[tuple[str, Score]]:
    """The period's months (a day's report: its one day), scored from the same rows."""
    groups: dict[str, list[OrderRow]] = {f"{m.first.month}月": [] for m in a.period.months()}
    for r in a.rows:
        groups.setdefault(f"{beijing_day(r.facts.dispatched_at).month}月", []).append(r)
    return [(k, score_of(k, k, rs, [], a.rubric)) for k, rs in groups.items()]


def html(a: Assessment, registry: Registry, previous: Assessment | None = None) -> str:
    c = a.county
    low = {s.key for s in a.slowest}
    spot = {
        "total": len(a.findings),
        "callback": sum(1 for f in a.findings if f.kind == "callback"),
        "reached": sum(1 for f in a.findings if f.kind == "callback" and f.reached),
        "satisfied": sum(
            1
            for f in a.findings
            if f.kind == "callback" and (f.satisfaction or 0) >= a.rubric.satisfied_min
        ),
        "dress": sum(1 for f in a.findings if f.kind == "dress"),
        "dress_bad": sum(1 for f in a.findings if f.kind == "dress" and not f.ok),
        "handling": sum(1 for f in a.findings if f.kind == "handling"),
        "handling_bad": sum(1 for f in a.findings if f.kind == "handling" and not f.ok),
    }
    buckets = []
    for stage, bounds in BUCKETS.items():
        total = c.stage_cases.get(stage, 0) or 1
        labels = [b[1] for b in bounds] + [NO_REPORT[stage]]
        cells = [(lb, c.buckets[stage][lb], f"{c.buckets[stage][lb] / total:.1%}") for lb in labels]
        buckets.append({"stage": STAGE_ZH[stage], "cells": cells})

    def row(s: Score) -> dict[str, Any]:
        return {
            "rank": s.rank if s.rank is not None else "样本不足",
            "name": s.name_zh,
            "orders": s.orders,
            "score": _score_text(s),
            "ack": pct(s.rate("ack")),
            "arrive": pct(s.rate("arrive")),
            "feedback": pct(s.rate("feedback")),
            "open": s.open,
            "low": s.key in low,
        }

    prev = None
    if previous is not None:
        prev = {
            "period": previous.period.label_zh,
            "ack": _change(c.rate("ack"), previous.county.rate("ack")),
            "arrive": _change(c.rate("arrive"), previous.county.rate("arrive")),
        }
    context = {
        "title": title(a),
        "county": a.county_zh,
        "period": a.period.label_zh,
        "scope": scope_zh(a, registry),
        "as_of": beijing_text(a.as_of),
        "c": c,
        "rate": {s: pct(c.rate(s)) for s in ("receive", "ack", "arrive", "feedback")},
        "score": _score_text(c),
        "prev": prev,
        "excused": a.excused,
        "drills": len(a.drills),
        "slowest": "、".join(s.name_zh for s in reversed(a.slowest)),
        "per_stage": [
            {"stage": STAGE_ZH[st], "name": s.name_zh, "rate": pct(s.rate(st))}
            for st, s in a.slowest_per_stage.items()
        ],
        "units": [row(s) for s in a.units],
        "towns": [row(s) for s in a.townships],
        "buckets": buckets,
        "spot": spot,
        "rubric": a.rubric.name_zh,
        "chart_buckets": _b64(charts.buckets_per_unit(a)),
        "chart_trend": _b64(charts.trend(a, previous, monthly(a))),
        "chart_towns": _b64(charts.townships(a)),
    }
    return _ENV.get_template("bulletin.html").render(**context)


def write_pdf(a: Assessment, registry: Registry, path: Path, previous: Assessment | None) -> None:
    from weasyprint import HTML  # imported here: it loads Pango, which only the PDF needs

    logging.getLogger("fontTools").setLevel(logging.WARNING)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    HTML(string=html(a, registry, previous), base_url=str(path.parent)).write_pdf(path)


def write_html(a: Assessment, registry: Registry, path: Path, previous: Assessment | None) -> None:
    path.write_text(html(a, registry, previous), encoding="utf-8")


def _score_json(s: Score) -> dict[str, Any]:
    return {
        "key": s.key,
        "name_zh": s.name_zh,
        "rank": s.rank,
        "orders": s.orders,
        "score": s.score,
        "open": s.open,
        "late": s.late,
        "fed_back": s.fed_back,
        "clock_suspect": s.clock_suspect,
        "offline": s.offline,
        "self_recorded": s.self_recorded,
        "on_time": {
            st: {"cases": s.stage_cases[st], "met": s.stage_met[st]} for st in s.stage_cases
        },
        "buckets": s.buckets,
        "items": {
            k: {"cases": v.cases, "met": v.met, "earned": v.earned} for k, v in s.items.items()
        },
    }


def write_json(a: Assessment, registry: Registry, path: Path) -> None:
    detail = []
    for n, r in enumerate(a.rows, start=1):
        d = detail_row(n, r, registry)
        d["dispatched"] = beijing_text(r.facts.dispatched_at)
        d["ended"] = beijing_text(r.facts.end.at) if r.facts.end else ""
        d["evidence"] = r.evidence_ids
        detail.append(d)
    doc = {
        "title": title(a),
        "period": {
            "kind": a.period.kind,
            "first": a.period.first.isoformat(),
            "last": a.period.last.isoformat(),
        },
        "as_of_beijing": beijing_text(a.as_of),
        "rubric": {"name_zh": a.rubric.name_zh, "version": a.rubric.version},
        "county": _score_json(a.county),
        "units": [_score_json(s) for s in a.units],
        "townships": [_score_json(s) for s in a.townships],
        "slowest": [s.key for s in a.slowest],
        "drills": len(a.drills),
        "excused": a.excused,
        "orders": detail,
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
