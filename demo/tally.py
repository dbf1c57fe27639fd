"""What happened, counted from the hub's records and checked against every terminal's own.

The progress line and the final summary come from here. "Lost" is the promise of the whole
system put to the test: an order the hub created that no terminal ever reported
`received`, or a report a duty room made at its terminal (received, ack, arrived,
feedback, by its own signed time) that is not in the hub's timeline, or one still waiting in
a terminal's outbox at the end.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from demo.fleet import Fleet
from hub.dispatch.views import IncidentView
from hub.runtime import Hub
from wire.clock import parse_rfc3339

REPORT_KINDS = ("received", "ack", "arrived", "feedback")
FINISHED = ("fed_back", "closed", "cancelled", "reassigned")


@dataclass
class Tally:
    calls: int = 0
    orders: int = 0
    received: int = 0
    acknowledged: int = 0
    arrived: int = 0
    fed_back: int = 0
    late: int = 0
    late_by: Counter[str] = field(default_factory=Counter)
    online: int = 0
    units: int = 0
    finished: int = 0
    never_received: int = 0
    missing_reports: int = 0
    unsent_reports: int = 0
    duplicates: int = 0
    alarming: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return self.never_received + self.missing_reports + self.unsent_reports

    def progress(self) -> str:
        return (
            f"来电 calls {self.calls} | 派单 orders {self.orders} | 收到 received {self.received}"
            f" | 签收 ack {self.acknowledged} | 到场 arrived {self.arrived}"
            f" | 反馈 fed back {self.fed_back} | 超时 late {self.late}"
            f" | 在线 online {self.online}/{self.units}"
        )


def count(hub: Hub, incident_ids: list[str], fleet: Fleet, *, final: bool = False) -> Tally:
    """Counts for the progress line; with `final`, also the lost-report check."""
    svc = hub.desk
    t = Tally(calls=len(incident_ids))
    views: list[IncidentView] = [svc.incident(i) for i in incident_ids]
    for v in views:
        for o in v.orders:
            t.orders += 1
            t.received += o.received_at is not None
            t.acknowledged += o.acked_at is not None
            t.arrived += o.arrived_at is not None
            t.fed_back += o.fed_back_at is not None
            t.finished += o.state in FINISHED
            if o.overdue:
                t.late += 1
                t.late_by.update(o.overdue)
    tier1 = set(fleet.terminals)
    status = [u for u in svc.units_status() if u.id in tier1]
    t.units = len(status)
    t.online = sum(u.online for u in status)
    if final:
        _check_lost(t, views, fleet)
    return t


def _check_lost(t: Tally, views: list[IncidentView], fleet: Fleet) -> None:
    hub_events: dict[tuple[str, str], list[datetime]] = {}
    for v in views:
        for e in v.timeline:
            if e.order_id and e.type in REPORT_KINDS:
                hub_events.setdefault((e.order_id, e.type), []).append(e.at)
        for o in v.orders:
            if o.received_at is None and o.state not in ("cancelled", "reassigned"):
                t.never_received += 1
                t.problems.append(f"order {o.id} for {o.unit}: never received")
    t.duplicates = sum(len(ats) - len(set(ats)) for ats in hub_events.values())
    for unit, term in fleet.terminals.items():
        gw = term.gw
        for mine in gw.orders.all(10_000):
            made = {
                "received": mine.received_at,
                "ack": mine.acked_at,
                "arrived": mine.arrived_at,
                "feedback": mine.fed_back_at,
            }
            for kind, when in made.items():
                if when is None:
                    continue
                if parse_rfc3339(when) not in hub_events.get((mine.order_id, kind), []):
                    t.missing_reports += 1
                    t.problems.append(
                        f"{unit}: {kind} of order {mine.order_id} at {when} not at hub"
                    )
        if gw.alarm.active:
            t.alarming.append(unit)
        left = term.unsent()
        if left:
            t.unsent_reports += left
            t.problems.append(f"{unit}: {left} report(s) still in the outbox")


def _units(units: list[str]) -> str:
    if not units:
        return "0"
    more = " ..." if len(units) > 4 else ""
    return f"{len(units)}  ({', '.join(units[:4])}{more})"


def summary_table(
    t: Tally,
    wall_s: float,
    clock_s: float,
    *,
    finished: bool = True,
    gate: list[tuple[str, str, str]] | None = None,
    rollcall: list[tuple[str, str, str]] | None = None,
) -> str:
    """The table; an unfinished run (Ctrl-C, timeout) calls its shortfall "not yet at the
    hub" rather than lost, since reports may still be on their way. `gate`: the 110 gate
    folder's rows (files in, taken, refused, status files out), after the calls;
    `rollcall`: 点名 sent, answered, missed, after the orders' rows."""
    late = ", ".join(f"{k} {n}" for k, n in sorted(t.late_by.items())) or "-"
    rows = [
        ("来电", "calls", str(t.calls)),
        *(gate or []),
        ("派单", "orders", str(t.orders)),
        ("已收到", "received", str(t.received)),
        ("已签收", "acknowledged", str(t.acknowledged)),
        ("已到场", "arrived", str(t.arrived)),
        ("已反馈", "fed back", str(t.fed_back)),
        ("超时", "late", f"{t.late}  ({late})"),
        *(rollcall or []),
        ("重复", "counted twice", str(t.duplicates)),
        ("丢失", "lost", str(t.lost)) if finished else ("未送达", "not yet at hub", str(t.lost)),
        ("在线单位", "units online", f"{t.online}/{t.units}"),
        ("仍在报警", "terminals alarming", _units(t.alarming)),
        ("用时", "time", f"{wall_s:.0f} s real = {clock_s / 60:.0f} min county time"),
    ]

    def width(s: str) -> int:  # CJK characters take two columns
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)

    title = "汇总 Summary" if finished else "汇总 Summary (未完成 run not finished)"
    lines = ["", title, "-" * 60]
    for zh, en, value in rows:
        label = f"{zh} {en}"
        lines.append(f"{label}{' ' * max(1, 30 - width(label))}{value}")
    lines.append("-" * 60)
    return "\n".join(lines)
