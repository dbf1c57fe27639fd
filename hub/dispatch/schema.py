"""The dispatch tables, as the "dispatch" set of the hub's one migration scheme
(hub/db/migrations.py): events, incidents, orders, deadlines, seen, outbox, unit_state,
rejected, rejected_counts. Only hub/dispatch/ writes them (tests/test_layout.py).

Steps are never edited once released: a change is a new step, so a hub in the field
upgrades its file in place.
"""

from __future__ import annotations

import sqlite_utils

from hub.db.migrations import named_set


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
    sample of their raw bytes from now on (hub/dispatch/rejections.py). Counts so far are carried
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


def _unit_clock_offset(db: sqlite_utils.Database) -> None:
    """How far each terminal's clock is from the hub's (its health report's
    `clock_offset_s`), so the units page can show a drifting clock before it skews a
    deadline judgement."""
    db.execute("ALTER TABLE unit_state ADD COLUMN clock_offset_s REAL")


def _update_failed(db: sqlite_utils.Database) -> None:
    """The release a unit last gave up (its health's `update_failed`, JSON), which halts a
    rollout, and whether the version it runs is still on trial (hub/fleet/,
    docs/updates.md)."""
    db.execute("ALTER TABLE unit_state ADD COLUMN update_failed TEXT")
    db.execute("ALTER TABLE unit_state ADD COLUMN update_trial INTEGER NOT NULL DEFAULT 0")


MIGRATIONS = named_set(
    "dispatch",
    [
        ("0001_initial", _initial),
        ("0002_rejected_counts", _rejected_counts),
        ("0003_unit_clock_offset", _unit_clock_offset),
        ("0004_update_failed", _update_failed),
    ],
)
