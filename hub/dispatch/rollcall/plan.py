"""The county's roll-call schedule: a few random times a day inside configured windows.

The times of a day are drawn from HMAC-SHA256 of a hub secret (derived from the dispatch
key, which no duty room has) and the Beijing date, so a duty room cannot predict them, a
test with a known key can, and the same day always draws the same times. The draw is
written to `rollcall_plan` (this module is its one writer) the first time the hub looks at
that day, so a restart never redraws, even after hub.toml's windows change.

No scheduling library: the deadline engine already wakes every second on the injected
clock and survives restarts through the database, which is all a schedule of a few rows a
day needs; APScheduler and the like would bring a second clock and their own job store.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from hub.db.store import Store
from hub.db.times import must_ts, ts
from hub.dispatch.rollcall.calls import RollCalls
from hub.dispatch.wake import Wake
from hub.errors import ConfigError
from wire.clock import SHANGHAI, Clock, shanghai, utc

log = logging.getLogger(__name__)

Window = tuple[time, time]
DEFAULT_WINDOWS: tuple[Window, ...] = ((time(8, 30), time(11, 30)), (time(20, 0), time(23, 30)))


def parse_window(text: str) -> Window:
    """ "08:30-11:30" (Beijing time, start before end, within one day) -> (start, end)."""
    start, sep, end = text.partition("-")
    try:
        if not sep:
            raise ValueError
        window = (time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))
    except ValueError:
        raise ValueError(f"roll-call window {text!r} must read HH:MM-HH:MM") from None
    if window[0] >= window[1]:
        raise ValueError(f"roll-call window {text!r} must end after it starts")
    return window


@dataclass(frozen=True)
class Schedule:
    """[rollcall] of hub.toml: whether the hub calls the roll by itself, how often, when."""

    enabled: bool = False
    times_per_day: int = 2
    windows: tuple[Window, ...] = field(default=DEFAULT_WINDOWS)
    units: tuple[str, ...] = ()
    """A chosen set of units; empty: every tier-1 unit with a terminal (`duty_units`)."""

    def __post_init__(self) -> None:
        if not self.windows:
            raise ValueError("roll-call needs at least one window")
        if not 1 <= self.times_per_day <= self.minutes():
            raise ValueError("roll-call times_per_day must be 1 or more, and fit the windows")

    def minutes(self) -> int:
        return sum(_minutes(b) - _minutes(a) for a, b in self.windows)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def draw(secret: bytes, day: date, schedule: Schedule) -> list[datetime]:
    """The day's roll-call times (UTC, sorted, distinct minutes) inside the windows."""
    total = schedule.minutes()
    chosen: set[int] = set()
    attempt = 0
    while len(chosen) < schedule.times_per_day:
        mac = hmac.new(secret, f"{day.isoformat()}|{attempt}".encode(), hashlib.sha256)
        chosen.add(int.from_bytes(mac.digest()[:8], "big") % total)
        attempt += 1
    out: list[datetime] = []
    for offset in sorted(chosen):
        left = offset
        for start, end in schedule.windows:
            span = _minutes(end) - _minutes(start)
            if left < span:
                local = datetime.combine(day, start, SHANGHAI) + timedelta(minutes=left)
                out.append(utc(local))
                break
            left -= span
    return sorted(out)


class RollcallPlan:
    """Draws each day once and calls the roll when a drawn time comes."""

    def __init__(
        self,
        store: Store,
        calls: RollCalls,
        clock: Clock,
        wake: Wake,
        schedule: Schedule,
        secret: bytes,
    ) -> None:
        self.store = store
        self.calls = calls
        self.clock = clock
        self.wake = wake
        self.schedule = schedule
        self._secret = secret
        unknown = sorted(set(schedule.units) - set(calls.registry.units))
        if unknown:
            raise ConfigError(f"[rollcall] units: no unit {', '.join(unknown)} in the registry")
        self._drawn: date | None = None
        """The last day known to be drawn: the engine's pass each second writes nothing."""

    def ensure_day(self, day: date) -> list[datetime]:
        """The day's times, drawn and stored the first time they are asked for."""
        with self.store.write() as db:
            rows = self.store.query(
                "SELECT due_at FROM rollcall_plan WHERE day=? ORDER BY n", (day.isoformat(),)
            )
            if rows:
                return [must_ts(r["due_at"]) for r in rows]
            times = draw(self._secret, day, self.schedule)
            db.conn.executemany(
                "INSERT INTO rollcall_plan (day, n, due_at) VALUES (?,?,?)",
                [(day.isoformat(), n, ts(t)) for n, t in enumerate(times)],
            )
            return times

    def run_due(self) -> list[str]:
        """Call the roll for every drawn time that has come; returns the rounds called. A
        time the hub was down through (its whole expiry) is skipped, not called late."""
        if not self.schedule.enabled:
            return []
        now = self.clock.now()
        today = shanghai(now).date()
        if self._drawn != today:
            self.ensure_day(today)
            self._drawn = today
        waiting = self.store.one(
            "SELECT min(due_at) AS due FROM rollcall_plan WHERE round_id IS NULL"
            " AND skipped_at IS NULL"
        )
        if waiting is None or waiting["due"] is None or waiting["due"] > ts(now):
            return []
        called: list[str] = []
        with self.store.write() as db:
            rows = self.store.query(
                "SELECT day, n, due_at FROM rollcall_plan WHERE round_id IS NULL"
                " AND skipped_at IS NULL AND due_at <= ? ORDER BY due_at",
                (ts(now),),
            )
            for r in rows:
                if now - must_ts(r["due_at"]) > timedelta(seconds=self.calls.times.expire_s):
                    db.execute(
                        "UPDATE rollcall_plan SET skipped_at=? WHERE day=? AND n=?",
                        (ts(now), r["day"], r["n"]),
                    )
                    log.warning("roll-call of %s skipped: the hub was down through it", r["due_at"])
                    continue
                round_id = self.calls.call(
                    db, now, source="schedule", units=self.schedule.units or None
                )
                db.execute(
                    "UPDATE rollcall_plan SET round_id=? WHERE day=? AND n=?",
                    (round_id, r["day"], r["n"]),
                )
                called.append(round_id)
        if called:
            self.wake.changed(*({"type": "rollcall", "id": rid} for rid in called))
        return called
