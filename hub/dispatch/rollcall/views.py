"""What the console, the demo and the assessment read of the roll-call: rounds with each
unit's outcome, and counts per unit over a period. Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.db.store import Store
from hub.db.times import must_ts, parse_ts, ts
from hub.registry import Registry
from wire.clock import Clock

Outcome = str
"""`answered` (by answer-by), `late` (after it), `missed` (no answer by it), `waiting`."""


@dataclass(frozen=True)
class CallView:
    rollcall_id: str
    unit: str
    unit_name: str
    outcome: Outcome
    answered_at: datetime | None
    answer_s: float | None  # seconds from the call to the answer
    via: str | None


@dataclass(frozen=True)
class RoundView:
    id: str
    called_at: datetime
    answer_by: datetime
    expires_at: datetime
    source: str
    called_by: str
    calls: list[CallView]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for c in self.calls if c.outcome == outcome)


@dataclass(frozen=True)
class Tally:
    sent: int = 0
    answered: int = 0
    late: int = 0
    missed: int = 0


def outcome(answered_at: str | None, answer_by: str, missed_at: str | None) -> Outcome:
    if answered_at is not None:
        return "answered" if answered_at <= answer_by else "late"
    return "missed" if missed_at is not None else "waiting"


class RollcallReads:
    def __init__(self, store: Store, registry: Registry, clock: Clock) -> None:
        self.store = store
        self.registry = registry
        self.clock = clock

    def rounds(self, limit: int = 10) -> list[RoundView]:
        """The last `limit` rounds, newest first, each with its calls in registry order."""
        rounds = self.store.query(
            "SELECT * FROM rollcall_rounds ORDER BY called_at DESC, id LIMIT ?", (limit,)
        )
        order = {u: i for i, u in enumerate(self.registry.units)}
        out: list[RoundView] = []
        for r in rounds:
            calls = self.store.query("SELECT * FROM rollcall_calls WHERE round_id=?", (r["id"],))
            called = must_ts(r["called_at"])
            views = []
            for c in sorted(calls, key=lambda c: order.get(c["unit"], len(order))):
                unit = self.registry.units.get(c["unit"])
                answered = parse_ts(c["answered_at"])
                views.append(
                    CallView(
                        rollcall_id=c["id"],
                        unit=c["unit"],
                        unit_name=unit.name_zh if unit else c["unit"],
                        outcome=outcome(c["answered_at"], c["answer_by"], c["missed_at"]),
                        answered_at=answered,
                        answer_s=(answered - called).total_seconds() if answered else None,
                        via=c["via"],
                    )
                )
            out.append(
                RoundView(
                    id=r["id"],
                    called_at=called,
                    answer_by=must_ts(r["answer_by"]),
                    expires_at=must_ts(r["expires_at"]),
                    source=r["source"],
                    called_by=r["called_by"],
                    calls=views,
                )
            )
        return out

    def tally(self, start: datetime, end: datetime) -> dict[str, Tally]:
        """Per unit, the calls made in [start, end) and their outcomes (a call still
        waiting counts as sent only)."""
        rows = self.store.query(
            "SELECT c.unit, c.answered_at, c.answer_by, c.missed_at FROM rollcall_calls c"
            " JOIN rollcall_rounds r ON r.id = c.round_id"
            " WHERE r.called_at >= ? AND r.called_at < ?",
            (ts(start), ts(end)),
        )
        counts: dict[str, dict[str, int]] = {}
        for r in rows:
            n = counts.setdefault(r["unit"], {"sent": 0, "answered": 0, "late": 0, "missed": 0})
            n["sent"] += 1
            o = outcome(r["answered_at"], r["answer_by"], r["missed_at"])
            if o != "waiting":
                n[o] += 1
        return {u: Tally(**n) for u, n in counts.items()}

    def total(self, start: datetime, end: datetime) -> Tally:
        """The county's counts over [start, end): what the demo's summary prints."""
        per = self.tally(start, end).values()
        return Tally(
            sent=sum(t.sent for t in per),
            answered=sum(t.answered for t in per),
            late=sum(t.late for t in per),
            missed=sum(t.missed for t in per),
        )
