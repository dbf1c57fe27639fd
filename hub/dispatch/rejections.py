"""Refused messages: counted exactly, kept only as a bounded sample (the one writer of
`rejected` and `rejected_counts`).

Every refusal is evidence worth counting (a forged signature, a unit's clock gone wrong),
but keeping every refused message raw let one unit grow the hub's database by 53 MB in two
seconds (issue 11). So:
- `rejected_counts` holds the exact count per unit, reason and hour;
- `rejected` keeps the raw bytes of only the latest `sample` refusals per unit and reason;
- a token bucket per unit (`burst`, refilled at `rate_per_s`, in memory) bounds how often
  a unit's refusals are written row by row at all: past it they are only counted
  (`unkept`), so a flood costs one small counter update per message, never disk.
The bucket runs on the hub's clock, so tests move it by moving the clock.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from hub.db.store import Store
from hub.db.times import ts
from hub.metrics import HubMetrics

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
MAX_RAW_BYTES = 64 * 1024


@dataclass(frozen=True)
class RejectionLimits:
    sample: int = 20
    """Raw messages kept per unit and reason (the latest)."""
    rate_per_s: float = 1.0
    burst: int = 30


class _Bucket:
    __slots__ = ("at", "tokens")

    def __init__(self, tokens: float, at: datetime) -> None:
        self.tokens = tokens
        self.at = at


def _printable(text: str) -> str:
    """A lone surrogate (from a hostile message, echoed in an error text) cannot be stored
    as UTF-8: escape it rather than fail to record the refusal."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")[:MAX_MESSAGE_CHARS]


class Rejections:
    def __init__(self, metrics: HubMetrics, limits: RejectionLimits | None = None) -> None:
        self.metrics = metrics
        self.limits = limits or RejectionLimits()
        self._buckets: dict[str, _Bucket] = {}
        self._throttled: set[str] = set()
        self._lock = threading.Lock()

    def _take(self, unit: str, now: datetime) -> bool:
        """One token from the unit's bucket, if it has one."""
        lim = self.limits
        with self._lock:
            b = self._buckets.get(unit)
            if b is None:
                b = self._buckets[unit] = _Bucket(float(lim.burst), now)
            elapsed = max(0.0, (now - b.at).total_seconds())
            b.tokens = min(float(lim.burst), b.tokens + elapsed * lim.rate_per_s)
            b.at = max(b.at, now)
            if b.tokens < 1.0:
                if unit not in self._throttled:
                    self._throttled.add(unit)
                    log.warning(
                        "unit %r floods refused messages: beyond %d at once and %g/s they"
                        " are counted, not kept",
                        unit,
                        lim.burst,
                        lim.rate_per_s,
                    )
                return False
            self._throttled.discard(unit)
            b.tokens -= 1.0
            return True

    def record(
        self,
        db: sqlite_utils.Database,
        now: datetime,
        topic: str,
        unit: str | None,
        reason: str,
        message: str,
        raw: bytes,
    ) -> bool:
        """Count one refusal, and keep it raw if the unit's rate allows, in the caller's
        transaction. Returns whether the raw message was kept."""
        key = unit or ""
        message = _printable(message)
        kept = self._take(key, now)
        self.metrics.rejected.labels(reason).inc()
        db.execute(
            "INSERT INTO rejected_counts (unit, reason, hour, n, unkept, last_at)"
            " VALUES (?,?,?,1,?,?) ON CONFLICT (unit, reason, hour) DO UPDATE SET"
            " n = n + 1, unkept = unkept + excluded.unkept, last_at = excluded.last_at",
            (key, reason, ts(now)[:13], 0 if kept else 1, ts(now)),
        )
        if not kept:
            self.metrics.rejected_unkept.inc()
            log.debug("refused message on %s not kept (rate): %s (%s)", topic, message, reason)
            return False
        log.warning("refused message on %s: %s (%s)", topic, message, reason)
        db.execute(
            "INSERT INTO rejected (recorded_at, topic, unit, reason, message, raw)"
            " VALUES (?,?,?,?,?,?)",
            (ts(now), _printable(topic), unit, reason, message, bytes(raw[:MAX_RAW_BYTES])),
        )
        # Only the latest `sample` of this unit and reason stay (index rejected_sample).
        db.execute(
            "DELETE FROM rejected WHERE unit IS ? AND reason = ? AND seq <= ("
            " SELECT seq FROM rejected WHERE unit IS ? AND reason = ?"
            " ORDER BY seq DESC LIMIT 1 OFFSET ?)",
            (unit, reason, unit, reason, self.limits.sample),
        )
        return True


def refused_since(store: Store, since: datetime) -> dict[str, int]:
    """Refused messages per unit from the hour of `since` on (the console's marker)."""
    rows = store.query(
        "SELECT unit, sum(n) AS n FROM rejected_counts WHERE hour >= ? AND unit != ''"
        " GROUP BY unit",
        (ts(since)[:13],),
    )
    return {r["unit"]: int(r["n"]) for r in rows}
