"""The roll-call item (点名应答) of the rubric: counted from the hub's roll-call tables, per
unit, judged by answer-by; a call not yet due is no case; missed ones reach the spot check."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.assessment import periods
from hub.assessment.compute import Scope, assess
from hub.assessment.evidence import connect_readonly
from hub.assessment.rollcall_checks import RollcallCheckError, RollcallChecks
from hub.assessment.rollcalls import missed_on
from hub.assessment.rubric import Rubric
from hub.registry import Registry
from tests.hub.conftest import incident_data
from tests.hub.test_deadlines import Recorder
from tests.hub.test_rollcall import answer, commands
from tests.support.hubparts import TestService
from wire.clock import FakeClock

DAY = date(2026, 1, 5)


def test_a_missed_rollcall_costs_its_deduction_and_joins_the_spot_check(
    tmp_path: Path, registry: Registry, rubric: Rubric
) -> None:
    clock = FakeClock(periods.day(DAY).start + timedelta(hours=9))
    svc = TestService.open(tmp_path / "hub.sqlite3", registry=registry, clock=clock)
    for i in range(3):  # power-co leads power cuts: it has orders, so it is scored
        svc.intake(
            incident_data(source_id=f"J{i}", reported_at=clock.now().isoformat()), source="cad-110"
        )
    engine = svc.parts.engine(notifier=Recorder())
    svc.rollcall_now(by="值班长", units=["power-co", "water-co"])
    clock.advance(30)
    answer(svc, "power-co", commands(svc, "power-co")[0].rollcall_id, clock.now())
    clock.advance(3600)
    svc.rollcall_now(by="值班长", units=["power-co"])  # missed
    clock.advance(600)
    engine.run_due()
    svc.rollcall_now(by="值班长", units=["power-co"])  # still inside answer-by: no case yet
    as_of = clock.now()

    def items(scope: Scope | None = None) -> tuple[dict[str, tuple[int, int, float | None]], Any]:
        scope = scope or Scope()
        a = assess(connect_readonly(svc.db_path), registry, rubric, periods.day(DAY), as_of, scope)
        unit = next(u for u in a.units if u.key == "power-co")
        return {k: (v.cases, v.met, v.earned) for k, v in unit.items.items()}, a

    found, a = items()
    item = next(i for i in rubric.items if i.measure == "rollcall_answered")
    assert found[item.id] == (2, 1, item.points - item.deduct)
    assert a.rollcalls["power-co"].missed == 1 and a.rollcalls["water-co"].missed == 1
    county = a.county.items[item.id]
    assert (county.cases, county.met) == (3, 1)
    only, _ = items(Scope(unit="power-co"))
    assert only[item.id][:2] == (2, 1)
    missed = missed_on(
        connect_readonly(svc.db_path), periods.day(DAY).start, periods.day(DAY).end, as_of
    )
    assert sorted(m.unit for m in missed) == ["power-co", "water-co"]
    svc.store.close()


def test_a_miss_the_check_excuses_is_no_case_and_checks_are_append_only(
    tmp_path: Path, registry: Registry, rubric: Rubric
) -> None:
    clock = FakeClock(periods.day(DAY).start + timedelta(hours=9))
    svc = TestService.open(tmp_path / "hub.sqlite3", registry=registry, clock=clock)
    for i in range(3):
        svc.intake(
            incident_data(source_id=f"J{i}", reported_at=clock.now().isoformat()),
            source="cad-110",
        )
    engine = svc.parts.engine(notifier=Recorder())
    svc.rollcall_now(by="值班长", units=["power-co"])
    first = commands(svc, "power-co")[0].rollcall_id
    checks = RollcallChecks(svc.store, clock)
    with pytest.raises(RollcallCheckError, match="not answered in time"):
        checks.record(first, result="absent", remark="", by="审核员")  # still inside answer-by
    clock.advance(200)
    engine.run_due()
    svc.rollcall_now(by="值班长", units=["power-co"])
    second = [c for c in commands(svc, "power-co") if c.command == "rollcall"][1].rollcall_id
    clock.advance(30)
    answer(svc, "power-co", second, clock.now())
    with pytest.raises(RollcallCheckError, match="not answered in time"):
        checks.record(second, result="excused", remark="", by="审核员")
    with pytest.raises(RollcallCheckError, match="result"):
        checks.record(first, result="asleep", remark="", by="审核员")
    clock.advance(600)
    item = next(i for i in rubric.items if i.measure == "rollcall_answered")

    def cases() -> tuple[int, int]:
        conn = connect_readonly(svc.db_path)
        a = assess(conn, registry, rubric, periods.day(DAY), clock.now())
        got = next(u for u in a.units if u.key == "power-co").items[item.id]
        return got.cases, got.met

    assert cases() == (2, 1)
    checks.record(first, result="absent", remark="无人接听", by="审核员")
    assert cases() == (2, 1)
    checks.record(first, result="excused", remark="停电，值班员在岗", by="审核员")
    assert cases() == (1, 1)  # excused: no case
    assert checks.in_force() == {first: "excused"}
    (missed,) = missed_on(
        connect_readonly(svc.db_path), periods.day(DAY).start, periods.day(DAY).end, clock.now()
    )
    assert (missed.rollcall_id, missed.check) == (first, "excused")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        svc.store.db.execute("DELETE FROM assessment_rollcall_checks")
    svc.store.close()
