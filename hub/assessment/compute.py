"""The whole assessment of one period: a pure function of a read-only database and a period.

`assess(conn, registry, rubric, period, as_of)` reads the orders dispatched in the period
(evidence.py), judges each (judge.py) with the stages excused on appeal, scores units and
townships with the standing spot-check findings (score.py), ranks the units and names the
slowest. Drills are judged the same way but kept apart (`drills`): they never reach a score.
Every output (xlsx, PDF, HTML, JSON) renders an `Assessment` and nothing else, so the
figures in each are the same figures.

Township figures are the orders for calls from that township (属地), whichever unit took
them; the township government's own score is its unit's row in the ranking.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from hub.assessment import findings
from hub.assessment.evidence import read_orders
from hub.assessment.findings import Finding
from hub.assessment.judge import OrderRow, judge
from hub.assessment.periods import Period
from hub.assessment.rollcalls import RollcallCount, read_rollcalls
from hub.assessment.rubric import Rubric
from hub.assessment.score import Score, rank, score_of, slowest, slowest_per_stage
from hub.registry import Registry


@dataclass(frozen=True)
class Scope:
    """Narrow a report to one unit or one township (ranks stay county-wide)."""

    unit: str | None = None
    township: str | None = None

    def keeps(self, row: OrderRow) -> bool:
        if self.unit is not None and row.facts.unit != self.unit:
            return False
        return self.township is None or row.facts.township == self.township


@dataclass(frozen=True)
class Assessment:
    period: Period
    as_of: datetime
    county_zh: str
    rubric: Rubric
    scope: Scope
    rows: list[OrderRow]  # every counted order in scope: the 派单明细
    drills: list[OrderRow]
    county: Score
    units: list[Score]  # ranked (county-wide ranks), in scope
    townships: list[Score]
    slowest: list[Score]
    slowest_per_stage: dict[str, Score]
    findings: list[Finding]  # standing findings on the counted orders in scope
    excused: int  # stages excused on appeal among the rows
    rollcalls: dict[str, RollcallCount] = field(default_factory=dict)  # per unit, in scope


def unit_name(registry: Registry, unit: str) -> str:
    u = registry.units.get(unit)
    return u.name_zh if u else f"（已撤销单位）{unit}"


def township_name(registry: Registry, township: str) -> str:
    t = registry.townships.get(township)
    return t.name_zh if t else township


def assess(
    conn: sqlite3.Connection,
    registry: Registry,
    rubric: Rubric,
    period: Period,
    as_of: datetime,
    scope: Scope = Scope(),
) -> Assessment:
    excused = findings.excused_stages(conn)
    facts = read_orders(conn, period.start, period.end, as_of)
    judged = [judge(f, as_of, excused) for f in facts]
    counted = [r for r in judged if not r.facts.drill]
    drills = [r for r in judged if r.facts.drill]
    ids = {r.facts.order_id for r in counted}
    standing = [f for f in findings.standing_findings(conn) if f.order_id in ids]
    by_order: dict[str, list[Finding]] = {}
    for f in standing:
        by_order.setdefault(f.order_id, []).append(f)

    def found(rows: list[OrderRow]) -> list[Finding]:
        return [f for r in rows for f in by_order.get(r.facts.order_id, [])]

    per_unit: dict[str, list[OrderRow]] = {}
    for r in counted:
        per_unit.setdefault(r.facts.unit, []).append(r)
    calls = read_rollcalls(conn, period.start, period.end, as_of)
    ranked = rank(
        (
            score_of(u, unit_name(registry, u), rs, found(rs), rubric, calls.get(u))
            for u, rs in per_unit.items()
        ),
        rubric,
    )
    rows = [r for r in counted if scope.keeps(r)]
    per_town: dict[str, list[OrderRow]] = {t: [] for t in registry.townships}
    for r in rows:
        per_town.setdefault(r.facts.township, []).append(r)
    townships = [
        score_of(t, township_name(registry, t), rs, found(rs), rubric)
        for t, rs in per_town.items()
        if scope.township is None or t == scope.township
    ]
    in_scope = {r.facts.unit for r in rows}
    kept = {u: c for u, c in calls.items() if scope.unit is None or u == scope.unit}
    if scope.township is not None:
        kept = {}  # a township's figures are its calls' orders; roll-calls are per unit
    return Assessment(
        period=period,
        as_of=as_of,
        county_zh=registry.county_name,
        rubric=rubric,
        scope=scope,
        rows=rows,
        drills=[r for r in drills if scope.keeps(r)],
        county=score_of(
            registry.county_id,
            registry.county_name,
            rows,
            found(rows),
            rubric,
            sum(kept.values(), RollcallCount()),
        ),
        units=[s for s in ranked if s.key in in_scope],
        townships=townships,
        slowest=slowest(ranked, rubric),
        slowest_per_stage=slowest_per_stage(ranked, rubric),
        findings=found(rows),
        excused=sum(1 for r in rows for s in r.stages.values() if s.status == "excused"),
        rollcalls=kept,
    )


def assess_county(
    conn: sqlite3.Connection,
    registry: Registry,
    rubric: Rubric,
    period: Period,
    as_of: datetime,
    scope: Scope | None = None,
) -> Assessment:
    """Only the county's figures (in scope) of a period: what a bulletin needs of the
    *previous* period for its trend (on-time rates, counts). It skips the per-unit and
    per-township scores, the ranking and the findings, which the bulletin never shows for
    the previous period, so the PDF does not pay for a second full assessment."""
    scope = scope or Scope()
    excused = findings.excused_stages(conn)
    judged = [judge(f, as_of, excused) for f in read_orders(conn, period.start, period.end, as_of)]
    rows = [r for r in judged if not r.facts.drill and scope.keeps(r)]
    county = score_of(registry.county_id, registry.county_name, rows, [], rubric)
    return Assessment(
        period=period,
        as_of=as_of,
        county_zh=registry.county_name,
        rubric=rubric,
        scope=scope,
        rows=rows,
        drills=[],
        county=county,
        units=[],
        townships=[],
        slowest=[],
        slowest_per_stage={},
        findings=[],
        excused=sum(1 for r in rows for s in r.stages.values() if s.status == "excused"),
    )


def drill_summary(a: Assessment) -> Score:
    """The drill report (演练): the same figures, never mixed into a score or a ranking."""
    return score_of("drill", "演练", a.drills, [], a.rubric)
