"""The notification outbox: the one writer of the `notifications` table.

An escalation becomes one row per person in the SAME transaction that records it: the
deadline engine calls `enqueue(db, escalation)` inside the write that marks the deadline
fired and appends its `overdue` event, so a kill -9 at any instant leaves both or neither.
`UNIQUE (key, phone)` makes it one message per deadline per person, however often the
same escalation is offered (a restart, a second engine pass, a duty phone that is also
the leader's).

The sender (hub/alerts/sender.py) takes due rows, marks the attempt (and its back-off)
before it talks to the modem or the platform, and marks a row `sent` only on their OK.
Reads for the console (`for_incident`) open a short connection of their own.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from hub.alerts.notify import Escalation
from hub.alerts.settings import NotifySettings
from hub.alerts.texts import Facts, body, figure
from hub.db.store import Store
from hub.db.times import parse_ts, ts
from hub.registry import Registry

log = logging.getLogger(__name__)

_NOT_DIGITS = re.compile(r"[^0-9+]")
PENDING, SENT, FAILED, VOID = "pending", "sent", "failed", "void"
OVER = ("cancelled", "reassigned", "closed")
"""Order states in which a queued escalation has lost its point."""


def normalise(phone: str) -> str:
    """The number as a modem dials it: digits (and a leading +), no spaces or hyphens."""
    return _NOT_DIGITS.sub("", phone)


@dataclass(frozen=True)
class Recipient:
    phone: str
    role: str  # duty | leader | supervisor


@dataclass(frozen=True)
class Notification:
    """One row as the sender and the console see it."""

    id: int
    key: str
    phone: str
    role: str
    kind: str
    unit: str
    incident_id: str | None
    order_id: str | None
    body: str
    created_at: datetime
    next_at: datetime
    attempts: int
    state: str
    sent_at: datetime | None
    ref: str | None
    last_error: str | None

    @classmethod
    def of(cls, r: dict[str, Any]) -> Notification:
        created, nxt = parse_ts(r["created_at"]), parse_ts(r["next_at"])
        assert created is not None and nxt is not None  # noqa: S101 - NOT NULL columns
        return cls(
            id=int(r["id"]),
            key=r["key"],
            phone=r["phone"],
            role=r["role"],
            kind=r["kind"],
            unit=r["unit"],
            incident_id=r["incident_id"],
            order_id=r["order_id"],
            body=r["body"],
            created_at=created,
            next_at=nxt,
            attempts=int(r["attempts"]),
            state=r["state"],
            sent_at=parse_ts(r["sent_at"]),
            ref=r["ref"],
            last_error=r["last_error"],
        )


class Notifications:
    """Who gets which escalation (the ladder of `[notify]`), and the rows that say so."""

    def __init__(self, store: Store, registry: Registry, settings: NotifySettings) -> None:
        self.store = store
        self.registry = registry
        self.settings = settings
        self.ready = threading.Event()
        """Set when rows were queued: the sender wakes instead of waiting out its sleep."""

    # ---- who and what ----------------------------------------------------------------
    def recipients(self, kind: str, unit_id: str) -> list[Recipient]:
        """The people `kind` goes to for `unit_id`, each phone once (first role wins)."""
        unit = self.registry.units.get(unit_id)
        roles = self.settings.ladder.get(kind)
        if roles is None:
            log.warning("no [notify.ladder] rung for escalation kind %r: nobody told", kind)
            return []
        found: dict[str, Recipient] = {}
        for role in roles:
            if role == "duty":
                phones: tuple[str, ...] = unit.duty_phones if unit else ()
            elif role == "leader":
                phones = (unit.leader_phone,) if unit and unit.leader_phone else ()
            else:
                phones = self.registry.centre.supervisor_phones
            for p in phones:
                found.setdefault(normalise(p), Recipient(normalise(p), role))
        return list(found.values())

    def _facts(self, db: sqlite_utils.Database, esc: Escalation) -> Facts:
        unit = self.registry.units.get(esc.unit)
        facts = Facts(kind=esc.deadline, unit_name=unit.name_zh if unit else esc.unit)
        row = next(
            iter(
                db.query(
                    "SELECT i.category, i.address, o.arrive_min FROM orders o"
                    " JOIN incidents i ON i.id = o.incident_id WHERE o.id = ?",
                    (esc.order_id,),
                )
            ),
            None,
        )
        if row is None:  # an escalation without an order (a missed roll-call)
            return Facts(kind=esc.deadline, unit_name=facts.unit_name, drill=esc.drill)
        category = self.registry.categories.get(row["category"])
        policy = self.registry.deadlines
        seconds = {
            "receive": policy.receive_s,
            "ack": policy.ack_s,
            "arrive": (row["arrive_min"] or 0) * 60,
            "feedback": policy.feedback_h * 3600,
        }.get(esc.deadline, 0)
        return Facts(
            kind=esc.deadline,
            unit_name=facts.unit_name,
            category=category.name_zh if category else "",
            address=row["address"],
            figure=figure(seconds) if seconds else "",
            drill=esc.drill,
        )

    # ---- writes --------------------------------------------------------------------
    def enqueue(self, db: sqlite_utils.Database, esc: Escalation) -> int:
        """Queue the escalation's messages in the caller's open transaction; returns how
        many rows are new (0 when each person already has this one)."""
        if esc.drill and not self.settings.drills:
            return 0
        people = self.recipients(esc.deadline, esc.unit)
        if not people:
            return 0
        text = body(self._facts(db, esc))
        now = ts(esc.fired_at)
        added = 0
        for person in people:
            cur = db.execute(
                "INSERT OR IGNORE INTO notifications (key, phone, role, kind, unit,"
                " incident_id, order_id, drill, channel, body, created_at, next_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    f"{esc.order_id}/{esc.deadline}",
                    person.phone,
                    person.role,
                    esc.deadline,
                    esc.unit,
                    esc.incident_id or None,
                    esc.order_id or None,
                    int(esc.drill),
                    self.settings.channel,
                    text,
                    now,
                    now,
                ),
            )
            added += cur.rowcount
        self.ready.set()
        return added

    def begin_attempt(self, row_id: int, retry_at: datetime) -> int:
        """Count an attempt and set when the next one is due, BEFORE sending: a crash
        mid-send leaves the row pending and retried after its back-off. Returns the
        attempt's number."""
        with self.store.write() as db:
            db.execute(
                "UPDATE notifications SET attempts = attempts + 1, next_at = ?"
                " WHERE id = ? AND state = 'pending'",
                (ts(retry_at), row_id),
            )
            row = next(iter(db.query("SELECT attempts FROM notifications WHERE id=?", (row_id,))))
        return int(row["attempts"])

    def mark_sent(self, row_id: int, at: datetime, ref: str) -> None:
        with self.store.write() as db:
            db.execute(
                "UPDATE notifications SET state = 'sent', sent_at = ?, ref = ?, last_error = NULL"
                " WHERE id = ?",
                (ts(at), ref, row_id),
            )

    def mark_error(self, row_id: int, error: str, *, give_up: bool) -> None:
        """Record why an attempt failed; after the last attempt the row is `failed`."""
        with self.store.write() as db:
            db.execute(
                "UPDATE notifications SET last_error = ?, state = ? WHERE id = ?",
                (error[:300], FAILED if give_up else PENDING, row_id),
            )

    def mark_void(self, row_id: int, why: str) -> None:
        """Not sent, and never will be: the unit did it, or the order ended, before the
        message could go (a modem down for an hour must not send stale alarms)."""
        with self.store.write() as db:
            db.execute(
                "UPDATE notifications SET state = 'void', last_error = ? WHERE id = ?"
                " AND state = 'pending'",
                (why, row_id),
            )

    def overtaken(self, row: Notification) -> str | None:
        """Why `row` no longer needs sending (its deadline met since, its order ended), or
        None. Read from the dispatch tables; an escalation without an order never is."""
        if not row.order_id:
            return None
        found = self.store.one(
            "SELECT d.met_at, o.state FROM deadlines d JOIN orders o ON o.id = d.order_id"
            " WHERE d.order_id = ? AND d.name = ?",
            (row.order_id, row.kind),
        )
        if found is None:
            return None
        if found["met_at"]:
            return f"overtaken: {row.kind} done at {found['met_at']}"
        if found["state"] in OVER:
            return f"overtaken: the order is {found['state']}"
        return None

    def defer(self, row_id: int, until: datetime) -> None:
        """Past the phone's rate: wait, without counting an attempt."""
        with self.store.write() as db:
            db.execute("UPDATE notifications SET next_at = ? WHERE id = ?", (ts(until), row_id))

    # ---- reads ---------------------------------------------------------------------
    def due(self, now: datetime, limit: int = 50) -> list[Notification]:
        rows = self.store.query(
            "SELECT * FROM notifications WHERE state = 'pending' AND next_at <= ?"
            " ORDER BY next_at, id LIMIT ?",
            (ts(now), limit),
        )
        return [Notification.of(r) for r in rows]

    def next_due(self) -> datetime | None:
        row = self.store.one("SELECT min(next_at) AS at FROM notifications WHERE state = 'pending'")
        return parse_ts(row["at"]) if row else None

    def sent_since(self, phone: str, since: datetime) -> list[datetime]:
        """When messages went to `phone` after `since`, oldest first (the rate limit)."""
        rows = self.store.query(
            "SELECT sent_at FROM notifications WHERE phone = ? AND sent_at > ? ORDER BY sent_at",
            (phone, ts(since)),
        )
        return [t for r in rows if (t := parse_ts(r["sent_at"])) is not None]

    def count(self, state: str) -> int:
        row = self.store.one("SELECT count(*) AS n FROM notifications WHERE state = ?", (state,))
        return int(row["n"]) if row else 0


def for_incident(db_path: Path | str, incident_id: str) -> list[Notification]:
    """The incident's notifications, oldest first, on a short read-only connection (the
    console's request threads must not share the store's)."""
    uri = Path(db_path).resolve().as_uri() + "?mode=ro"  # as_uri escapes ? and # in the path
    conn = sqlite3.connect(uri, uri=True, timeout=10)
    try:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            "SELECT * FROM notifications WHERE incident_id = ? ORDER BY id", (incident_id,)
        ).fetchall()
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):
            return []
        raise
    finally:
        conn.close()
    return [Notification.of(dict(r)) for r in rows]
