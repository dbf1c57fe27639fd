"""Daily spot checks, corrections, appeals and decisions on a real hub database; the
figures follow the records in force."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from hub.assessment import periods, sampling
from hub.assessment.compute import assess
from hub.assessment.evidence import connect_readonly
from hub.assessment.rubric import Rubric
from hub.assessment.spotcheck import SpotCheckError, SpotChecks
from hub.registry import Registry
from tests.hub.conftest import incident_data
from tests.support.hubparts import TestService
from wire.clock import FakeClock, shanghai

DAY = date(2026, 1, 5)


@pytest.fixture
def svc(tmp_path: Path, registry: Registry) -> TestService:
    clock = FakeClock(periods.day(DAY).start + timedelta(hours=1))
    service = TestService.open(tmp_path / "hub.sqlite3", registry=registry, clock=clock)
    for i in range(25):
        service.intake(
            incident_data(source_id=f"J{i:04d}", reported_at=clock.now().isoformat()),
            source="cad-110",
        )
        clock.advance(600)
    service.send_drill(["fire"], by="平安办")
    return service


def test_sampling_is_reproducible_and_sized() -> None:
    ids = [f"o{i:03d}" for i in range(57)]
    a = sampling.draw(ids, "shuangbai", DAY, 0.10, 3)
    assert a == sampling.draw(list(reversed(ids)), "shuangbai", DAY, 0.10, 3)
    assert len(a) == 6 and len(set(a)) == 6
    assert a != sampling.draw(ids, "shuangbai", DAY + timedelta(days=1), 0.10, 3)
    assert a != sampling.draw(ids, "other", DAY, 0.10, 3)
    assert len(sampling.draw(ids[:10], "shuangbai", DAY, 0.10, 3)) == 3
    assert len(sampling.draw(ids[:2], "shuangbai", DAY, 0.10, 3)) == 2


def test_the_day_sample_is_drawn_once_and_never_holds_a_drill(
    svc: TestService, rubric: Rubric
) -> None:
    checks = SpotChecks(svc.store, rubric, svc.clock)
    day_orders = checks.day_orders(DAY)
    assert len(day_orders) == 25  # the drill is not among them
    picked = checks.draw(DAY, by="审核员甲")
    assert len(picked) == 3 and set(picked) <= set(day_orders)
    assert picked == sampling.draw(day_orders, "shuangbai", DAY, 0.10, 3)
    svc.intake(
        incident_data(source_id="J-late", reported_at=svc.clock.now().isoformat()),
        source="cad-110",
    )
    assert checks.draw(DAY, by="审核员乙") == picked  # fixed once drawn
    assert [q.order_id for q in checks.queue(DAY)] == picked


def test_findings_corrections_appeals_and_the_figures_follow(
    svc: TestService, rubric: Rubric, registry: Registry
) -> None:
    checks = SpotChecks(svc.store, rubric, svc.clock)
    oid = checks.draw(DAY, by="审核员甲")[0]
    unit = svc.order(oid).unit
    dress = checks.record_dress(oid, ok=False, remark="未穿反光背心", by="审核员甲")
    checks.record_callback(oid, reached=True, satisfaction=2, remark="等待较久", by="审核员甲")
    checks.record_handling(oid, ok=True, remark="", by="审核员甲")

    def unit_score() -> tuple[float | None, dict[str, tuple[int, int]]]:
        conn = connect_readonly(svc.db_path)
        a = assess(conn, registry, rubric, periods.day(DAY), svc.clock.now() + timedelta(days=2))
        s = next(u for u in a.units if u.key == unit)
        return s.score, {k: (v.cases, v.met) for k, v in s.items.items()}

    score1, items = unit_score()
    assert items["dress-equipment"] == (1, 0) and items["callback-satisfied"] == (1, 0)
    assert items["handling-observed"] == (1, 1)
    # a correction supersedes; the old record stays on file
    fixed = checks.correct(dress.id, ok=True, remark="复核视频：已穿戴", by="审核员乙")
    assert fixed.supersedes == dress.id
    assert [f.id for f in checks.history(oid) if f.kind == "dress"] == [dress.id, fixed.id]
    with pytest.raises(SpotCheckError):
        checks.correct(dress.id, ok=False, remark="", by="审核员乙")
    score2, items = unit_score()
    assert items["dress-equipment"] == (1, 1) and score2 is not None and score1 is not None
    assert score2 > score1
    # an appeal against the callback, rejected then upheld: the latest decision stands
    cb = next(f for f in checks.queue(DAY)[0].findings if f.kind == "callback")
    appeal = checks.appeal_finding(cb.id, reason="报警人误拨，非本单位处置", by="主管丙")
    assert checks.appeals(undecided_only=True) == [appeal]
    assert checks.decide(appeal.id, upheld=False, remark="理由不足", by="审核员甲").upheld is False
    assert unit_score()[1]["callback-satisfied"] == (1, 0)
    assert checks.decide(appeal.id, upheld=True, remark="核实属实", by="审核员甲").upheld is True
    assert unit_score()[1]["callback-satisfied"] == (0, 0)
    # a late mark appealed and excused: the stage counts as met
    late_ack = unit_score()[1]["ack-3min"]
    assert late_ack[1] < late_ack[0]  # nobody acknowledged: every ack missed
    stage_appeal = checks.appeal_stage(oid, "ack", reason="终端断电，电话签收", by="主管丙")
    checks.decide(stage_appeal.id, upheld=True, remark="有通话记录", by="审核员甲")
    assert unit_score()[1]["ack-3min"] == (late_ack[0], late_ack[1] + 1)


def test_records_are_append_only_and_checked(svc: TestService, rubric: Rubric) -> None:
    checks = SpotChecks(svc.store, rubric, svc.clock)
    oid = checks.draw(DAY, by="审核员甲")[0]
    f = checks.record_dress(oid, ok=True, remark="", by="审核员甲")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"), svc.store.write() as db:
        db.execute("UPDATE assessment_findings SET ok=0 WHERE id=?", (f.id,))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"), svc.store.write() as db:
        db.execute("DELETE FROM assessment_findings")
    with pytest.raises(SpotCheckError, match="1 至 4"):
        checks.record_callback(oid, reached=True, satisfaction=5, remark="", by="审核员甲")
    with pytest.raises(SpotCheckError, match="理由"):
        checks.appeal_stage(oid, "ack", reason=" ", by="主管丙")
    drill = svc.store.one("SELECT id FROM orders WHERE drill=1")
    assert drill is not None
    with pytest.raises(SpotCheckError, match="演练"):
        checks.record_dress(drill["id"], ok=False, remark="", by="审核员甲")
    assert f.recorded_at == svc.clock.now() and shanghai(f.recorded_at).date() == DAY
