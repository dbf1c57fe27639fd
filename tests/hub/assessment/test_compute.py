"""The quarter's figures, computed a second way (plain SQL and Python over the events) and
compared with `assess`; and the properties: no order twice, no drill, rows add up."""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from contextlib import closing
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.assessment import periods
from hub.assessment.compute import Assessment, Scope, assess
from hub.assessment.evidence import connect_readonly
from hub.assessment.rubric import Rubric
from hub.db.times import ts
from hub.registry import Registry
from tests.hub.assessment.conftest import QUARTER, Quarter

# The bulletin's buckets, written out again here rather than imported.
ACK = [(30, "0-30秒"), (60, "30-60秒"), (120, "1-2分钟"), (180, "2-3分钟"), (1e18, "3分钟以上")]
ARRIVE = [(300, "0-5分钟"), (600, "5-10分钟"), (900, "10-15分钟"), (1800, "15-30分钟")]
ARRIVE += [(1e18, "30分钟以上")]
FEEDBACK = [(1800, "0-30分钟"), (3600, "30-60分钟"), (7200, "1-2小时"), (14400, "2-4小时")]
FEEDBACK += [(86400, "4-24小时"), (1e18, "24小时以上")]
BUCKETS = {"ack": ACK, "arrive": ARRIVE, "feedback": FEEDBACK}
NONE = {"ack": "未签收", "arrive": "未到场", "feedback": "未反馈"}
KINDS = {
    "receive": "'received','ack','arrived','feedback'",
    "ack": "'ack'",
    "arrive": "'arrived'",
    "feedback": "'feedback'",
}


def t(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def independent(db: sqlite3.Connection, start: datetime, end: datetime, as_of: datetime) -> Any:
    """Per unit: orders, (cases, met) per stage, buckets and open orders, from the events."""
    first = {
        stage: f"""(SELECT e.at FROM events e WHERE e.order_id = o.id AND e.type IN ({kinds})
                    AND (x.end_at IS NULL OR e.at <= x.end_at) ORDER BY e.seq LIMIT 1)"""  # noqa: S608
        for stage, kinds in KINDS.items()
    }
    sql = f"""
        WITH x AS (
            SELECT o.id, o.unit, o.dispatched_at, d.detail AS dd,
                   (SELECT min(at) FROM events z WHERE z.order_id = o.id
                     AND z.type IN ('closed','cancelled','reassigned')) AS end_at
            FROM orders o JOIN incidents i ON i.id = o.incident_id
            JOIN events d ON d.order_id = o.id AND d.type = 'dispatched'
            WHERE o.drill = 0 AND i.drill = 0 AND o.dispatched_at >= ? AND o.dispatched_at < ?
        )
        SELECT x.id, x.unit, x.dispatched_at, x.end_at,
               json_extract(x.dd, '$.deadlines.receive') AS receive_due,
               json_extract(x.dd, '$.deadlines.ack') AS ack_due,
               json_extract(x.dd, '$.deadlines.arrive') AS arrive_due,
               json_extract(x.dd, '$.deadlines.feedback') AS feedback_due,
               {first["receive"]} AS receive_at, {first["ack"]} AS ack_at,
               {first["arrive"]} AS arrive_at, {first["feedback"]} AS feedback_at
        FROM x JOIN orders o ON o.id = x.id
    """  # noqa: S608 - constants
    args = (ts(start), ts(end))
    per_unit: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"orders": 0, "open": 0, "cases": Counter(), "met": Counter(), "b": Counter()}
    )
    cur = db.execute(sql, args)
    names = [c[0] for c in cur.description]
    for raw in cur.fetchall():
        r = dict(zip(names, raw, strict=True))
        u = per_unit[r["unit"]]
        u["orders"] += 1
        dispatched, ended = t(r["dispatched_at"]), t(r["end_at"])
        assert dispatched is not None
        if ended is None and r["feedback_at"] is None:
            u["open"] += 1
        for stage in KINDS:
            due, at = t(r[f"{stage}_due"]), t(r[f"{stage}_at"])
            if due is None:
                continue
            if at is None and ((ended is not None and ended < due) or due > as_of):
                continue  # void or pending
            u["cases"][stage] += 1
            if at is not None and at <= due:
                u["met"][stage] += 1
            if stage in BUCKETS:
                if at is None:
                    u["b"][(stage, NONE[stage])] += 1
                else:
                    s = (at - dispatched).total_seconds()
                    u["b"][(stage, next(label for hi, label in BUCKETS[stage] if s <= hi))] += 1
    return per_unit


def test_the_quarter_matches_an_independent_count(
    quarter: Quarter, registry: Registry, rubric: Rubric
) -> None:
    conn = connect_readonly(quarter.db_path)
    a = assess(conn, registry, rubric, QUARTER, quarter.as_of)
    expected = independent(conn, QUARTER.start, QUARTER.end, quarter.as_of)
    assert len(a.rows) > 2500  # thousands of orders, as the issue asks
    assert {s.key for s in a.units} == set(expected)
    for s in a.units:
        e = expected[s.key]
        assert s.orders == e["orders"], s.key
        assert s.open == e["open"], s.key
        for stage in KINDS:
            assert (s.stage_cases[stage], s.stage_met[stage]) == (
                e["cases"][stage],
                e["met"][stage],
            ), (s.key, stage)
        for stage, counts in s.buckets.items():
            for label, n in counts.items():
                assert n == e["b"][(stage, label)], (s.key, stage, label)
        # the score from the rubric's formula over the same counts (no spot checks here)
        earned = available = 0.0
        for item in rubric.items:
            stage = {"received_on_time": "receive", "ack_on_time": "ack"}.get(item.measure)
            stage = stage or {"arrive_on_time": "arrive", "feedback_on_time": "feedback"}.get(
                item.measure
            )
            if stage is None:  # spot checks, roll-call, self-recorded: no case yet
                earned += item.points if item.method == "deduct" else 0
                available += item.points if item.method == "deduct" else 0
            elif e["cases"][stage]:
                earned += item.points * e["met"][stage] / e["cases"][stage]
                available += item.points
        assert s.score == pytest.approx(100 * earned / available)
    # the simulation really had every case the rules speak of
    stats = quarter.stats
    assert min(stats[k] for k in ("offline_orders", "clock_suspect", "cancelled")) > 10
    assert stats["reassigned"] > 10 and stats["drill_orders"] > 20
    assert sum(1 for r in a.rows if r.clock_suspect) > 10
    assert sum(1 for r in a.rows if r.offline) > 100
    statuses = Counter(s.status for r in a.rows for s in r.stages.values())
    assert statuses["void"] > 0 and statuses["missed"] > 0 and statuses["late"] > 0


def test_every_row_names_its_evidence(quarter: Quarter, registry: Registry, rubric: Rubric) -> None:
    conn = connect_readonly(quarter.db_path)
    a = assess(conn, registry, rubric, QUARTER, quarter.as_of)
    ids = [i for r in a.rows for i in r.evidence_ids]
    known = {
        row[0]
        for row in conn.execute(
            f"SELECT id FROM events WHERE id IN ({','.join('?' * len(ids[:900]))})",  # noqa: S608
            ids[:900],
        )
    }
    assert set(ids[:900]) == known
    for r in a.rows[:300]:
        for s in r.stages.values():
            if s.evidence is not None:
                ev = conn.execute(
                    "SELECT order_id, type FROM events WHERE id=?", (s.evidence.event_id,)
                ).fetchone()
                assert ev[0] == r.facts.order_id


def test_no_drill_is_counted_and_drills_get_their_own_report(
    quarter: Quarter, registry: Registry, rubric: Rubric
) -> None:
    conn = connect_readonly(quarter.db_path)
    a = assess(conn, registry, rubric, QUARTER, quarter.as_of)
    drill_ids = {
        r[0]
        for r in conn.execute(
            "SELECT o.id FROM orders o JOIN incidents i ON i.id=o.incident_id"
            " WHERE (o.drill=1 OR i.drill=1) AND o.dispatched_at >= ? AND o.dispatched_at < ?",
            (ts(QUARTER.start), ts(QUARTER.end)),
        )
    }
    assert drill_ids
    assert not drill_ids & {r.facts.order_id for r in a.rows}
    assert {r.facts.order_id for r in a.drills} == drill_ids


@pytest.fixture(scope="module")
def whole(quarter: Quarter, registry: Registry, rubric: Rubric) -> Assessment:
    """The whole quarter, assessed once: it does not depend on the split test's cut, and
    assessing it again in each of that test's 25 examples took half the test's time."""
    with closing(connect_readonly(quarter.db_path)) as conn:
        return assess(conn, registry, rubric, QUARTER, quarter.as_of)


@settings(max_examples=25, deadline=None)
@given(cut=st.integers(min_value=1, max_value=88))
def test_no_order_counted_twice_and_split_periods_add_up(
    quarter: Quarter, registry: Registry, rubric: Rubric, whole: Assessment, cut: int
) -> None:
    conn = connect_readonly(quarter.db_path)
    ids = [r.facts.order_id for r in whole.rows]
    assert len(ids) == len(set(ids))
    middle = QUARTER.first + timedelta(days=cut)
    left = assess(conn, registry, rubric, periods.span(QUARTER.first, middle), quarter.as_of)
    right = assess(
        conn,
        registry,
        rubric,
        periods.span(middle + timedelta(days=1), QUARTER.last),
        quarter.as_of,
    )
    halves = [r.facts.order_id for r in left.rows + right.rows]
    assert sorted(halves) == sorted(ids)
    for stage in KINDS:
        assert (
            left.county.stage_met[stage] + right.county.stage_met[stage]
            == whole.county.stage_met[stage]
        )


def test_scope_keeps_county_wide_ranks(
    quarter: Quarter, registry: Registry, rubric: Rubric
) -> None:
    conn = connect_readonly(quarter.db_path)
    whole = assess(conn, registry, rubric, QUARTER, quarter.as_of)
    one = assess(conn, registry, rubric, QUARTER, quarter.as_of, Scope(unit="housing"))
    assert [s.key for s in one.units] == ["housing"]
    assert one.units[0].rank == next(s.rank for s in whole.units if s.key == "housing")
    assert all(r.facts.unit == "housing" for r in one.rows)
    town = assess(conn, registry, rubric, QUARTER, quarter.as_of, Scope(township="ejia"))
    assert {r.facts.township for r in town.rows} == {"ejia"}
    assert [s.key for s in town.townships] == ["ejia"]


def test_a_report_as_of_an_earlier_time_ignores_what_came_later(
    quarter: Quarter, registry: Registry, rubric: Rubric
) -> None:
    """Re-running a report for the same as_of gives the same figures, whatever arrived since."""
    conn = connect_readonly(quarter.db_path)
    day = periods.day(date(2026, 2, 10))
    early = day.end + timedelta(minutes=10)
    a = assess(conn, registry, rubric, day, early)
    later = assess(conn, registry, rubric, day, quarter.as_of)
    assert [r.facts.order_id for r in a.rows] == [r.facts.order_id for r in later.rows]
    assert a.county.open >= later.county.open
    assert sum(a.county.stage_cases.values()) <= sum(later.county.stage_cases.values())
    for r in a.rows:
        for s in r.stages.values():
            assert s.evidence is None or s.evidence.recorded_at <= early
