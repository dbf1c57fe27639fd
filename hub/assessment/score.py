"""From judged orders and standing findings to scores: per unit, per township, a ranking.

Every figure is a count over rows that `compute.py` also exports one by one, so an assessor
can recount any number from the 派单明细 sheet. A unit's score is the points it earned over
the items that apply to it, scaled to the rubric's full marks: a unit that attends no scene
(tier 3) is not marked down for the on-scene item it cannot have. The roll-call item
(点名应答) counts the unit's roll-calls of the period (`rollcalls.py`), not its orders.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from hub.assessment.findings import Finding
from hub.assessment.judge import BUCKETS, NO_REPORT, STAGES, OrderRow, Stage
from hub.assessment.rollcalls import RollcallCount
from hub.assessment.rubric import Rubric

MEASURE_STAGE: dict[str, Stage] = {
    "received_on_time": "receive",
    "ack_on_time": "ack",
    "arrive_on_time": "arrive",
    "feedback_on_time": "feedback",
}


@dataclass(frozen=True)
class ItemScore:
    item_id: str
    cases: int
    met: int
    earned: float | None  # None: not assessed (no case for a rate item)


@dataclass
class Score:
    """The figures of one unit or one township (or the whole county) for the period."""

    key: str
    name_zh: str
    orders: int = 0
    open: int = 0
    late: int = 0  # orders with at least one stage late or missed (excused ones are met)
    fed_back: int = 0  # orders whose feedback report the hub has
    clock_suspect: int = 0
    offline: int = 0
    self_recorded: int = 0  # 自接: calls the unit took itself and recorded (双轨制)
    items: dict[str, ItemScore] = field(default_factory=dict)
    stage_cases: dict[str, int] = field(default_factory=dict)
    stage_met: dict[str, int] = field(default_factory=dict)
    buckets: dict[str, dict[str, int]] = field(default_factory=dict)
    mean_s: dict[str, float | None] = field(default_factory=dict)
    score: float | None = None
    rank: int | None = None  # None: not ranked (too few orders)

    def rate(self, stage: str) -> float | None:
        cases = self.stage_cases.get(stage, 0)
        return None if cases == 0 else self.stage_met.get(stage, 0) / cases


def measure_counts(
    measure: str,
    rows: list[OrderRow],
    found: list[Finding],
    satisfied_min: int,
    rollcalls: RollcallCount | None = None,
) -> tuple[int, int]:
    """(cases, met) of one measure over some rows and the findings on those rows (and,
    for `rollcall_answered`, the unit's roll-calls)."""
    stage = MEASURE_STAGE.get(measure)
    if stage is not None:
        judged = [r.stages[stage] for r in rows if r.stages[stage].counted]
        return len(judged), sum(1 for s in judged if s.met)
    if measure in ("spot_dress", "spot_handling"):
        kind = "dress" if measure == "spot_dress" else "handling"
        mine = [f for f in found if f.kind == kind]
        return len(mine), sum(1 for f in mine if f.ok)
    if measure == "callback_satisfied":
        reached = [f for f in found if f.kind == "callback" and f.reached]
        return len(reached), sum(1 for f in reached if (f.satisfaction or 0) >= satisfied_min)
    if measure == "self_recorded":
        taken = [r for r in rows if r.facts.self_recorded]
        return len(taken), sum(1 for r in taken if recorded_in_time(r))
    if measure == "rollcall_answered":
        return (rollcalls.cases, rollcalls.met) if rollcalls else (0, 0)
    return 0, 0


SELF_RECORD_WITHIN = timedelta(hours=24)
"""A self-taken call is recorded in time when its record (the unit's signed report, the
order's feedback) reached the hub within the notice's feedback figure of the call."""


def recorded_in_time(row: OrderRow) -> bool:
    report = row.stages["feedback"].evidence
    return report is not None and report.at - row.facts.dispatched_at <= SELF_RECORD_WITHIN


def score_of(
    key: str,
    name_zh: str,
    rows: list[OrderRow],
    found: list[Finding],
    rubric: Rubric,
    rollcalls: RollcallCount | None = None,
) -> Score:
    s = Score(key, name_zh, orders=len(rows))
    s.open = sum(1 for r in rows if r.open)
    s.late = sum(1 for r in rows if any(x.status in ("late", "missed") for x in r.stages.values()))
    s.fed_back = sum(1 for r in rows if r.stages["feedback"].evidence is not None)
    s.clock_suspect = sum(1 for r in rows if r.clock_suspect)
    s.offline = sum(1 for r in rows if r.offline)
    s.self_recorded = sum(1 for r in rows if r.facts.self_recorded)
    for stage in STAGES:
        judged = [r.stages[stage] for r in rows if r.stages[stage].counted]
        s.stage_cases[stage] = len(judged)
        s.stage_met[stage] = sum(1 for j in judged if j.met)
        times = [j.elapsed_s for j in judged if j.elapsed_s is not None]
        s.mean_s[stage] = sum(times) / len(times) if times else None
        if stage in BUCKETS:
            counts = {label: 0 for _, label in BUCKETS[stage]}
            counts[NO_REPORT[stage]] = 0
            for j in judged:
                counts[j.bucket or NO_REPORT[stage]] += 1
            s.buckets[stage] = counts
    earned = available = 0.0
    for item in rubric.items:
        cases, met = measure_counts(item.measure, rows, found, rubric.satisfied_min, rollcalls)
        points = item.earned(cases, met)
        s.items[item.id] = ItemScore(item.id, cases, met, points)
        if points is not None:
            earned += points
            available += item.points
    s.score = rubric.full_marks * earned / available if available and rows else None
    return s


def rank(scores: Iterable[Score], rubric: Rubric) -> list[Score]:
    """Best first; a unit with fewer than `min_orders` counted orders is listed, not ranked.
    Ties: the higher ack rate, then more orders, then the key (stable across runs)."""
    ordered = sorted(
        scores,
        key=lambda s: (
            s.score is None or s.orders < rubric.min_orders,
            -(s.score or 0.0),
            -(s.rate("ack") or 0.0),
            -s.orders,
            s.key,
        ),
    )
    position = 0
    for s in ordered:
        if s.score is not None and s.orders >= rubric.min_orders:
            position += 1
            s.rank = position
    return ordered


def slowest(ranked: list[Score], rubric: Rubric) -> list[Score]:
    """排名靠后: the last `slowest` ranked units, worst last."""
    ranked_only = [s for s in ranked if s.rank is not None]
    return ranked_only[-rubric.slowest :] if rubric.slowest else []


def slowest_per_stage(ranked: list[Score], rubric: Rubric) -> dict[str, Score]:
    """Per stage, the ranked unit with the lowest on-time rate (then the longest mean time),
    as the Ankang bulletin names the slowest unit per category."""
    out: dict[str, Score] = {}
    for stage in ("ack", "arrive", "feedback"):
        pool = [
            s
            for s in ranked
            if s.rank is not None and s.stage_cases.get(stage, 0) >= rubric.min_orders
        ]
        if pool:
            out[stage] = min(pool, key=lambda s: (s.rate(stage) or 0.0, -(s.mean_s[stage] or 0.0)))
    return out
