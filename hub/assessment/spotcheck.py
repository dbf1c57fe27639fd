"""Daily spot checks (日常抽查), callbacks (回访), appeals (申诉): the one writer of the
assessment tables, with the API the console's 考核 pages call.

Every call is one transaction on the hub's Store and appends a record with its author and
time from the injected clock; nothing is ever edited (the tables refuse it). A correction is
`correct()`, a new finding that supersedes the old; an appeal is decided by `decide()`, and
a later decision on the same appeal replaces the earlier one. Scores follow what is in force
(`findings.standing_findings`, `findings.excused_stages`). Roles (auditor records and
decides, a unit's supervisor appeals) are checked by the console; here `by` is recorded.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from hub.assessment import findings, sampling
from hub.assessment.findings import Appeal, Finding
from hub.assessment.judge import STAGES
from hub.assessment.periods import day as day_period
from hub.assessment.rollcalls import MissedRollcall, missed_on
from hub.assessment.rubric import Rubric
from hub.db.store import Store
from hub.db.times import ts
from wire.clock import Clock, SystemClock
from wire.ids import new_id

log = logging.getLogger(__name__)

MAX_REMARK = 2000
T = TypeVar("T")


class SpotCheckError(ValueError):
    """A spot-check record that cannot be made; the message says why (Chinese first)."""


@dataclass(frozen=True)
class QueueItem:
    """One sampled order in the auditor's work queue, with the findings in force."""

    order_id: str
    unit: str
    position: int
    findings: tuple[Finding, ...]

    @property
    def done(self) -> bool:
        return {f.kind for f in self.findings} >= {"callback", "dress", "handling"}


class SpotChecks:
    def __init__(self, store: Store, rubric: Rubric, clock: Clock | None = None) -> None:
        self.store = store
        self.rubric = rubric
        self.clock: Clock = clock or SystemClock()

    # ---- the sample --------------------------------------------------------------------
    def day_orders(self, day: date) -> list[str]:
        """The day's counted orders (Beijing date of dispatch; drills never)."""
        p = day_period(day)
        return [
            r["id"]
            for r in self.store.query(
                "SELECT o.id FROM orders o JOIN incidents i ON i.id = o.incident_id"
                " WHERE o.dispatched_at >= ? AND o.dispatched_at < ?"
                " AND o.drill = 0 AND i.drill = 0",
                (ts(p.start), ts(p.end)),
            )
        ]

    def draw(self, day: date, *, by: str) -> list[str]:
        """The day's sample; drawn once and then fixed (a later order does not reshuffle a
        queue the auditor has started)."""
        with self.store.write() as db:
            drawn = self.sample(day)
            if drawn:
                return drawn
            seed = sampling.seed_for(self.rubric.county, day)
            picked = sampling.draw(
                self.day_orders(day),
                self.rubric.county,
                day,
                self.rubric.sample_share,
                self.rubric.sample_minimum,
            )
            now = ts(self.clock.now())
            db.conn.executemany(
                "INSERT INTO assessment_samples (day, order_id, position, seed, drawn_at,"
                " drawn_by) VALUES (?,?,?,?,?,?)",
                [(day.isoformat(), o, i, seed, now, by) for i, o in enumerate(picked)],
            )
        log.info("spot check %s: %d orders drawn by %s", day, len(picked), by)
        return picked

    def sample(self, day: date) -> list[str]:
        return [
            r["order_id"]
            for r in self.store.query(
                "SELECT order_id FROM assessment_samples WHERE day=? ORDER BY position",
                (day.isoformat(),),
            )
        ]

    def queue(self, day: date) -> list[QueueItem]:
        """The work queue of a drawn day: each sampled order and its findings in force."""
        standing = self._read(findings.standing_findings)
        by_order: dict[str, list[Finding]] = {}
        for f in standing:
            by_order.setdefault(f.order_id, []).append(f)
        out = []
        for pos, oid in enumerate(self.sample(day)):
            unit = self._order(oid)["unit"]
            out.append(QueueItem(oid, unit, pos, tuple(by_order.get(oid, []))))
        return out

    def missed_rollcalls(self, day: date) -> list[MissedRollcall]:
        """The day's roll-calls not answered in time, with their check in force: every one
        is checked (a phone call to the duty room), not a sample (rollcall_checks.py)."""
        p = day_period(day)
        return self._read(lambda conn: missed_on(conn, p.start, p.end, self.clock.now()))

    # ---- findings ----------------------------------------------------------------------
    def record_callback(
        self, order_id: str, *, reached: bool, satisfaction: int | None, remark: str, by: str
    ) -> Finding:
        """回访: the caller reached or not; satisfaction 1 (不满意) to 4 (非常满意) if reached."""
        return self._add(order_id, "callback", by, remark, reached=reached, sat=satisfaction)

    def record_dress(self, order_id: str, *, ok: bool, remark: str, by: str) -> Finding:
        """着装携装: dress and equipment as seen (photos, video, inspection)."""
        return self._add(order_id, "dress", by, remark, ok=ok)

    def record_handling(self, order_id: str, *, ok: bool, remark: str, by: str) -> Finding:
        """现场处置: the handling as observed."""
        return self._add(order_id, "handling", by, remark, ok=ok)

    def correct(
        self,
        finding_id: str,
        *,
        by: str,
        remark: str,
        reached: bool | None = None,
        satisfaction: int | None = None,
        ok: bool | None = None,
    ) -> Finding:
        """A correction: a new finding of the same kind that supersedes `finding_id`."""
        old = self._finding(finding_id)
        if any(f.supersedes == finding_id for f in self._read(findings.all_findings)):
            raise SpotCheckError(
                f"记录 {finding_id} 已被更正过，请更正最新记录 (already superseded)"
            )
        return self._add(
            old.order_id,
            old.kind,
            by,
            remark,
            reached=reached,
            sat=satisfaction,
            ok=ok,
            supersedes=finding_id,
        )

    def finding(self, finding_id: str) -> Finding:
        """One finding by id (superseded or not); SpotCheckError when there is none."""
        return self._finding(finding_id)

    def history(self, order_id: str) -> list[Finding]:
        return self._read(lambda c: findings.all_findings(c, order_id))

    # ---- appeals -----------------------------------------------------------------------
    def appeal_finding(self, finding_id: str, *, reason: str, by: str) -> Appeal:
        f = self._finding(finding_id)
        return self._appeal(f.order_id, f.unit, reason, by, finding_id=finding_id)

    def appeal_stage(self, order_id: str, stage: str, *, reason: str, by: str) -> Appeal:
        """Appeal a late mark (e.g. the ack was made by phone while the terminal was down)."""
        if stage not in STAGES:
            raise SpotCheckError(f"环节 {stage!r} 不存在 (stage must be one of {STAGES})")
        return self._appeal(order_id, self._order(order_id)["unit"], reason, by, stage=stage)

    def decide(self, appeal_id: str, *, upheld: bool, remark: str, by: str) -> Appeal:
        """The auditor's decision; the figures follow the latest one."""
        if self.store.one("SELECT 1 AS x FROM assessment_appeals WHERE id=?", (appeal_id,)) is None:
            raise SpotCheckError(f"申诉 {appeal_id} 不存在 (no such appeal)")
        with self.store.write() as db:
            db.execute(
                "INSERT INTO assessment_decisions (id, appeal_id, upheld, remark, author,"
                " decided_at) VALUES (?,?,?,?,?,?)",
                (new_id(), appeal_id, int(upheld), _remark(remark), _by(by), self._now()),
            )
        return next(a for a in self.appeals() if a.id == appeal_id)

    def appeals(self, *, undecided_only: bool = False) -> list[Appeal]:
        out = self._read(findings.appeals)
        return [a for a in out if a.upheld is None] if undecided_only else out

    # ---- helpers -----------------------------------------------------------------------
    def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Read through the store's one connection, under its lock (it is shared)."""
        with self.store.lock:
            return fn(self.store.db.conn)

    def _now(self) -> str:
        return ts(self.clock.now())

    def _order(self, order_id: str) -> dict[str, Any]:
        row = self.store.one(
            "SELECT o.id, o.unit, o.drill, i.drill AS idrill FROM orders o"
            " JOIN incidents i ON i.id = o.incident_id WHERE o.id=?",
            (order_id,),
        )
        if row is None:
            raise SpotCheckError(f"派单 {order_id} 不存在 (no such order)")
        if row["drill"] or row["idrill"]:
            raise SpotCheckError(f"派单 {order_id} 是演练，不计入考核 (a drill is never assessed)")
        return row

    def _finding(self, finding_id: str) -> Finding:
        for f in self._read(findings.all_findings):
            if f.id == finding_id:
                return f
        raise SpotCheckError(f"抽查记录 {finding_id} 不存在 (no such finding)")

    def _add(
        self,
        order_id: str,
        kind: str,
        by: str,
        remark: str,
        *,
        reached: bool | None = None,
        sat: int | None = None,
        ok: bool | None = None,
        supersedes: str | None = None,
    ) -> Finding:
        unit = self._order(order_id)["unit"]
        if kind == "callback":
            if reached is None:
                raise SpotCheckError("回访须注明是否联系上报警人 (reached is required)")
            if reached and sat not in (1, 2, 3, 4):
                raise SpotCheckError("满意度须为 1 至 4 (satisfaction must be 1 to 4)")
            if not reached and sat is not None:
                raise SpotCheckError("未联系上时不能填写满意度 (no satisfaction when not reached)")
            ok = None
        else:
            if ok is None:
                raise SpotCheckError("须注明是否合格 (ok is required)")
            reached = sat = None
        fid = new_id()
        with self.store.write() as db:
            db.execute(
                "INSERT INTO assessment_findings (id, order_id, unit, kind, reached,"
                " satisfaction, ok, remark, author, recorded_at, supersedes)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    fid,
                    order_id,
                    unit,
                    kind,
                    None if reached is None else int(reached),
                    sat,
                    None if ok is None else int(ok),
                    _remark(remark),
                    _by(by),
                    self._now(),
                    supersedes,
                ),
            )
        return self._finding(fid)

    def _appeal(
        self,
        order_id: str,
        unit: str,
        reason: str,
        by: str,
        *,
        finding_id: str | None = None,
        stage: str | None = None,
    ) -> Appeal:
        if not reason.strip():
            raise SpotCheckError("申诉须写明理由 (an appeal needs a reason)")
        aid = new_id()
        with self.store.write() as db:
            db.execute(
                "INSERT INTO assessment_appeals (id, order_id, unit, finding_id, stage, reason,"
                " author, filed_at) VALUES (?,?,?,?,?,?,?,?)",
                (aid, order_id, unit, finding_id, stage, _remark(reason), _by(by), self._now()),
            )
        return next(a for a in self.appeals() if a.id == aid)


def _remark(text: str) -> str:
    if len(text) > MAX_REMARK:
        raise SpotCheckError(f"备注最多 {MAX_REMARK} 字 (at most {MAX_REMARK} characters)")
    return text


def _by(by: str) -> str:
    if not by.strip() or len(by) > 64:
        raise SpotCheckError("须注明记录人 (the author is required)")
    return by
