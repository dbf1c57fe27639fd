"""The hub's SQLite file: opened WAL + synchronous=FULL, migrated by named steps.

Every write happens inside `Store.write()`, one `BEGIN IMMEDIATE` transaction: a state
change, its event and the message it sends are committed together or not at all, so a
kill -9 at any instant leaves either the whole change or none of it.

One connection is shared by every thread behind a re-entrant lock. The hub's write rate is a
few hundred a second at most; serialising them is simpler than juggling connections and
costs nothing at that rate (bench/bench_hub.py measures it).

The `events` table is the truth (append-only: time, recorded time, source, type, signature,
raw payload); `incidents`, `orders`, `deadlines` and `unit_state` are projections updated in
the same transaction, so they can always be rebuilt from the events.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from wire.clock import rfc3339, utc

log = logging.getLogger(__name__)

Migration = tuple[str, Callable[[sqlite_utils.Database], None]]


def ts(dt: datetime) -> str:
    """Store a time as fixed-width RFC 3339 UTC: sorts as text, reads as a person expects."""
    return rfc3339(dt)


def parse_ts(value: str | None) -> datetime | None:
    if value is None:
        return None
    return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


def must_ts(value: str) -> datetime:
    """`parse_ts` for a NOT NULL column: a None there is a bug, not a missing time."""
    dt = parse_ts(value)
    assert dt is not None  # noqa: S101 - NOT NULL column
    return dt


def _initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            incident_id TEXT,
            order_id TEXT,
            unit TEXT,
            type TEXT NOT NULL,
            source TEXT NOT NULL,
            late INTEGER NOT NULL DEFAULT 0,
            detail TEXT NOT NULL DEFAULT '{}',
            sig TEXT,
            raw BLOB
        );
        CREATE INDEX events_incident ON events(incident_id, seq);
        CREATE INDEX events_order ON events(order_id, seq);

        CREATE TABLE incidents (
            id TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            source_id TEXT NOT NULL,
            category TEXT NOT NULL,
            address TEXT NOT NULL,
            township TEXT NOT NULL,
            lat REAL,
            lon REAL,
            caller_phone TEXT NOT NULL DEFAULT '',
            summary TEXT NOT NULL DEFAULT '',
            priority TEXT NOT NULL,
            drill INTEGER NOT NULL DEFAULT 0,
            reported_at TEXT NOT NULL,
            created_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'open',
            closed_at TEXT,
            UNIQUE (source, source_id)
        );
        CREATE INDEX incidents_state ON incidents(state, created_at);

        CREATE TABLE orders (
            id TEXT PRIMARY KEY,
            incident_id TEXT NOT NULL REFERENCES incidents(id),
            unit TEXT NOT NULL,
            role TEXT NOT NULL,
            rev INTEGER NOT NULL DEFAULT 1,
            state TEXT NOT NULL,
            drill INTEGER NOT NULL DEFAULT 0,
            note TEXT NOT NULL DEFAULT '',
            arrive_min INTEGER,
            dispatched_at TEXT NOT NULL,
            received_at TEXT,
            acked_at TEXT,
            arrived_at TEXT,
            fed_back_at TEXT,
            closed_at TEXT,
            result_code TEXT,
            result_text TEXT,
            replaced_by TEXT
        );
        CREATE INDEX orders_incident ON orders(incident_id);
        CREATE INDEX orders_unit_state ON orders(unit, state);

        CREATE TABLE deadlines (
            order_id TEXT NOT NULL REFERENCES orders(id),
            name TEXT NOT NULL,
            due_at TEXT NOT NULL,
            fired_at TEXT,
            fired_late INTEGER NOT NULL DEFAULT 0,
            met_at TEXT,
            void_at TEXT,
            PRIMARY KEY (order_id, name)
        );
        -- the engine's one query: the earliest deadline neither fired, met nor voided
        CREATE INDEX deadlines_open ON deadlines(due_at)
            WHERE fired_at IS NULL AND met_at IS NULL AND void_at IS NULL;

        CREATE TABLE seen (
            msg_id TEXT PRIMARY KEY,
            unit TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            msg_id TEXT NOT NULL UNIQUE,
            unit TEXT NOT NULL,
            kind TEXT NOT NULL,
            order_id TEXT,
            rev INTEGER,
            payload BLOB NOT NULL,
            created_at TEXT NOT NULL,
            next_try_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_sent_at TEXT,
            done_at TEXT
        );
        CREATE INDEX outbox_due ON outbox(next_try_at) WHERE done_at IS NULL;
        CREATE INDEX outbox_order ON outbox(order_id) WHERE done_at IS NULL;

        CREATE TABLE unit_state (
            unit TEXT PRIMARY KEY,
            online INTEGER NOT NULL DEFAULT 0,
            last_seen TEXT,
            state_at TEXT,
            printer TEXT,
            gps_fix_age_s REAL,
            outbox_depth INTEGER,
            version TEXT,
            lat REAL,
            lon REAL,
            position_at TEXT,
            position_source TEXT
        );

        CREATE TABLE rejected (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            recorded_at TEXT NOT NULL,
            topic TEXT NOT NULL,
            unit TEXT,
            reason TEXT NOT NULL,
            message TEXT NOT NULL,
            raw BLOB
        );
        """
    )


def _rejected_counts(db: sqlite_utils.Database) -> None:
    """Refused messages: exact counts per unit, reason and hour; `rejected` keeps only a
    sample of their raw bytes from now on (hub/rejections.py). Counts so far are carried
    over from the rows already kept."""
    db.executescript(
        """
        CREATE TABLE rejected_counts (
            unit TEXT NOT NULL,          -- '' when the topic named no unit
            reason TEXT NOT NULL,
            hour TEXT NOT NULL,          -- UTC, 'YYYY-MM-DDTHH'
            n INTEGER NOT NULL,
            unkept INTEGER NOT NULL DEFAULT 0,  -- counted, raw bytes not kept (rate limit)
            last_at TEXT NOT NULL,
            PRIMARY KEY (unit, reason, hour)
        ) WITHOUT ROWID;
        CREATE INDEX rejected_counts_hour ON rejected_counts(hour);
        CREATE INDEX rejected_sample ON rejected(unit, reason, seq);
        INSERT INTO rejected_counts (unit, reason, hour, n, last_at)
            SELECT coalesce(unit, ''), reason, substr(recorded_at, 1, 13), count(*),
                   max(recorded_at)
            FROM rejected GROUP BY 1, 2, 3;
        """
    )


MIGRATIONS: list[Migration] = [
    ("0001_initial", _initial),
    ("0002_rejected_counts", _rejected_counts),
]

_UNAVAILABLE = (
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_FULL",
    "SQLITE_IOERR",
    "SQLITE_READONLY",
    "SQLITE_CANTOPEN",
    "SQLITE_NOMEM",
    "SQLITE_PROTOCOL",
)


def unavailable(exc: BaseException) -> bool:
    """True when `exc` says the database cannot take a write now, whatever was written:
    busy or locked by another process, disk full, read-only, failing I/O, or closed while
    the hub stops. Such a failure passes; retrying the same write later can succeed. Any
    other error is about the data or the code, and retrying the same write cannot help."""
    if isinstance(exc, sqlite3.ProgrammingError):
        return "closed" in str(exc)
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(_UNAVAILABLE):
        return True
    text = str(exc).lower()
    return any(w in text for w in ("locked", "busy", "disk is full", "disk i/o", "readonly"))


# ---- assessment's own tables (hub/assessment/schema.py is their owner) ----
from hub.assessment.schema import MIGRATIONS as _ASSESSMENT_MIGRATIONS  # noqa: E402

MIGRATIONS += _ASSESSMENT_MIGRATIONS
# ---- end assessment ----


class Store:
    """The hub database: one connection, one lock, named migrations."""

    def __init__(self, path: Path | str, migrations: list[Migration] | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            str(self.path), check_same_thread=False, isolation_level=None, timeout=30
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        self.db = sqlite_utils.Database(conn)
        self.lock = threading.RLock()
        self._depth = 0
        self.migrate(migrations if migrations is not None else MIGRATIONS)

    def migrate(self, migrations: list[Migration]) -> list[str]:
        """Apply each named migration not yet recorded, each in its own transaction."""
        applied: list[str] = []
        with self.write() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
            )
        done = {r[0] for r in self.db.execute("SELECT name FROM _migrations").fetchall()}
        for name, step in migrations:
            if name in done:
                continue
            with self.write() as db:
                step(db)
                db.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                    (name, ts(datetime.now(UTC))),
                )
            log.info("database %s: applied migration %s", self.path, name)
            applied.append(name)
        return applied

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One transaction (nested calls join the outer one); rolled back on any error."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.db
                finally:
                    self._depth -= 1
                return
            self.db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self.db
                self.db.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (disk full, busy) leaves the transaction open, and SQLite
                # may already have rolled back by itself: end it either way, and never let
                # a failing ROLLBACK hide the error that says why.
                if self.db.conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self.db.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0

    def query(
        self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()
    ) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.db.query(sql, params))

    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def close(self) -> None:
        with self.lock:
            self.db.conn.close()
