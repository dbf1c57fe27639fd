"""One order judged: each stage on time or not, its time bucket, its evidence, its flags.

A pure function of the order's facts (`evidence.OrderFacts`), the moment the report is made
(`as_of`) and the stages an auditor excused on appeal, so it can be tested and reasoned
about without a database. The rules (docs/assessment.md):

- A stage is judged against the due time written in the order's `dispatched` event, by the
  time its report is judged by (the signed time, or the hub's receipt time when that was
  not believable: then `clock_suspect` is flagged on the row).
- The evidence for a stage is the first report of that kind the hub recorded (for
  `receive`, the first report of any kind: any report proves the terminal holds the order).
- A report counts if it was made before the order ended, even when it reached the hub after
  (an offline acknowledgement made on time counts on time).
- An order that ended (closed, cancelled, reassigned) before a stage fell due, with no report
  for it, is not judged on that stage (void); a stage already due when it ended is.
- A stage not yet due at `as_of` with no report is pending: not counted yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from hub.assessment.evidence import OrderFacts, Report

Stage = Literal["receive", "ack", "arrive", "feedback"]
STAGES: tuple[Stage, ...] = ("receive", "ack", "arrive", "feedback")
EVIDENCE: dict[Stage, tuple[str, ...]] = {
    "receive": ("received", "ack", "arrived", "feedback"),
    "ack": ("ack",),
    "arrive": ("arrived",),
    "feedback": ("feedback",),
}
Status = Literal["on_time", "late", "missed", "excused", "pending", "void", "none"]
COUNTED: frozenset[str] = frozenset({"on_time", "late", "missed", "excused"})
MET: frozenset[str] = frozenset({"on_time", "excused"})

STATUS_ZH: dict[str, str] = {
    "on_time": "按时",
    "late": "超时",
    "missed": "超时未报",
    "excused": "申诉成立",
    "pending": "未到期",
    "void": "不计(已撤/改派/办结)",
    "none": "无此环节",
}

# Time buckets as county bulletins publish them: (upper bound in seconds, label).
_INF = float("inf")
BUCKETS: dict[Stage, tuple[tuple[float, str], ...]] = {
    "ack": (
        (30, "0-30秒"),
        (60, "30-60秒"),
        (120, "1-2分钟"),
        (180, "2-3分钟"),
        (_INF, "3分钟以上"),
    ),
    "arrive": (
        (300, "0-5分钟"),
        (600, "5-10分钟"),
        (900, "10-15分钟"),
        (1800, "15-30分钟"),
        (_INF, "30分钟以上"),
    ),
    "feedback": (
        (1800, "0-30分钟"),
        (3600, "30-60分钟"),
        (7200, "1-2小时"),
        (14400, "2-4小时"),
        (86400, "4-24小时"),
        (_INF, "24小时以上"),
    ),
}
NO_REPORT: dict[Stage, str] = {
    "receive": "未接收",
    "ack": "未签收",
    "arrive": "未到场",
    "feedback": "未反馈",
}
OFFLINE_AFTER_S = 60.0
"""A report committed this long after its own time was made offline (离线补报)."""


@dataclass(frozen=True)
class StageResult:
    stage: Stage
    status: Status
    due: datetime | None
    evidence: Report | None
    elapsed_s: float | None  # from dispatch to the report's judged time

    @property
    def counted(self) -> bool:
        return self.status in COUNTED

    @property
    def met(self) -> bool:
        return self.status in MET

    @property
    def bucket(self) -> str | None:
        """The bulletin's bucket for a counted stage ('0-30秒' ... or '未签收')."""
        if not self.counted or self.stage not in BUCKETS:
            return None
        if self.elapsed_s is None:
            return NO_REPORT[self.stage]
        return bucket_of(self.stage, self.elapsed_s)


@dataclass(frozen=True)
class OrderRow:
    """One counted order with the evidence behind every figure it adds to."""

    facts: OrderFacts
    stages: dict[Stage, StageResult]
    open: bool  # not ended and no feedback yet at as_of (仍未办结)
    clock_suspect: bool
    offline: bool
    operator_recorded: bool

    @property
    def evidence_ids(self) -> list[str]:
        ids = [self.facts.dispatch_event]
        ids += [s.evidence.event_id for s in self.stages.values() if s.evidence]
        if self.facts.end is not None:
            ids.append(self.facts.end.event_id)
        return list(dict.fromkeys(ids))


def bucket_of(stage: Stage, elapsed_s: float) -> str:
    for upper, label in BUCKETS[stage]:
        if elapsed_s <= upper:
            return label
    raise AssertionError("the last bucket is unbounded")  # pragma: no cover


def first_report(facts: OrderFacts, stage: Stage) -> Report | None:
    """The first report recorded for the stage that was made before the order ended."""
    kinds = EVIDENCE[stage]
    end = facts.end.at if facts.end else None
    for r in facts.reports:  # in the order the hub recorded them
        if r.type in kinds and (end is None or r.at <= end):
            return r
    return None


def judge_stage(
    facts: OrderFacts, stage: Stage, as_of: datetime, excused: bool = False
) -> StageResult:
    due = facts.deadlines.get(stage)
    report = first_report(facts, stage)
    elapsed = (report.at - facts.dispatched_at).total_seconds() if report else None
    if due is None:
        return StageResult(stage, "none", None, report, elapsed)
    if report is not None:
        status: Status = "on_time" if report.at <= due else "late"
    elif facts.end is not None and facts.end.at < due:
        status = "void"
    elif due > as_of:
        status = "pending"
    else:
        status = "missed"
    if excused and status in ("late", "missed"):
        status = "excused"
    return StageResult(stage, status, due, report, elapsed)


def judge(
    facts: OrderFacts, as_of: datetime, excused: frozenset[tuple[str, str]] = frozenset()
) -> OrderRow:
    """Judge every stage of one order; `excused` holds (order id, stage) upheld on appeal."""
    stages = {s: judge_stage(facts, s, as_of, (facts.order_id, s) in excused) for s in STAGES}
    used = [s.evidence for s in stages.values() if s.evidence is not None]
    fed_back = stages["feedback"].evidence is not None
    return OrderRow(
        facts=facts,
        stages=stages,
        open=facts.end is None and not fed_back,
        clock_suspect=any(r.clock_suspect for r in used),
        offline=any((r.recorded_at - r.at).total_seconds() > OFFLINE_AFTER_S for r in used),
        operator_recorded=any(r.source.startswith("operator:") for r in used),
    )
