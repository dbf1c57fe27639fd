"""The roll-call tables, as the "rollcall" set of the hub's migration scheme: rounds, the
call of each unit in a round, and the drawn daily plan. Written only by
hub/dispatch/rollcall/ (calls.py: rounds and calls; plan.py: the plan)."""

from __future__ import annotations

import sqlite_utils

from hub.db.migrations import named_set


def _initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE rollcall_rounds (
            id TEXT PRIMARY KEY,
            called_at TEXT NOT NULL,
            answer_by TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            source TEXT NOT NULL,           -- schedule | console
            called_by TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX rollcall_rounds_at ON rollcall_rounds(called_at);

        CREATE TABLE rollcall_calls (
            id TEXT PRIMARY KEY,            -- the rollcall_id the terminal answers with
            round_id TEXT NOT NULL REFERENCES rollcall_rounds(id),
            unit TEXT NOT NULL,
            answer_by TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            msg_id TEXT NOT NULL,           -- the signed command in the outbox
            answered_at TEXT,               -- the answer's signed time (when believable)
            recorded_at TEXT,               -- when the hub got the answer
            via TEXT,
            sig TEXT,
            missed_at TEXT,                 -- when the hub found no answer by answer_by
            missed_late INTEGER NOT NULL DEFAULT 0,
            UNIQUE (round_id, unit)
        );
        CREATE INDEX rollcall_calls_open ON rollcall_calls(answer_by)
            WHERE answered_at IS NULL AND missed_at IS NULL;
        CREATE INDEX rollcall_calls_unit ON rollcall_calls(unit, answer_by);

        CREATE TABLE rollcall_plan (
            day TEXT NOT NULL,              -- the Beijing date drawn for
            n INTEGER NOT NULL,
            due_at TEXT NOT NULL,
            round_id TEXT,                  -- set when the roll was called
            skipped_at TEXT,                -- the hub was down through the whole round
            PRIMARY KEY (day, n)
        );
        CREATE INDEX rollcall_plan_due ON rollcall_plan(due_at)
            WHERE round_id IS NULL AND skipped_at IS NULL;
        """
    )


MIGRATIONS = named_set("rollcall", [("0001_initial", _initial)])
