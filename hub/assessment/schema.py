"""The tables assessment owns: the "assessment" set of the hub's one migration scheme.

Assessment writes only these (spotcheck.py is their one writer, rollcall_checks.py that of
the roll-call checks); it reads the dispatch
tables and never changes them. Every table is append-only: a correction is a new finding
that supersedes the old one, a changed decision a new decision, so what an auditor wrote and
when stays on record for a dispute. Kept free of hub imports: hub/runtime.py opens the store
with this set.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils


def _spot_checks(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        -- the day's reproducible sample (日常抽查), fixed once drawn
        CREATE TABLE assessment_samples (
            day TEXT NOT NULL,               -- Beijing date, YYYY-MM-DD
            order_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            seed TEXT NOT NULL,
            drawn_at TEXT NOT NULL,
            drawn_by TEXT NOT NULL,
            PRIMARY KEY (day, order_id)
        ) WITHOUT ROWID;

        -- findings: callback (回访), dress and equipment (着装携装), handling (现场处置)
        CREATE TABLE assessment_findings (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            order_id TEXT NOT NULL,
            unit TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('callback', 'dress', 'handling')),
            reached INTEGER,                 -- callback: the caller answered
            satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 4),
            ok INTEGER,                      -- dress / handling: in order (1) or not (0)
            remark TEXT NOT NULL DEFAULT '',
            author TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            supersedes TEXT REFERENCES assessment_findings(id)
        );
        CREATE INDEX assessment_findings_order ON assessment_findings(order_id);

        -- appeals (申诉) against a finding or a late mark on an order's stage
        CREATE TABLE assessment_appeals (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            order_id TEXT NOT NULL,
            unit TEXT NOT NULL,
            finding_id TEXT REFERENCES assessment_findings(id),
            stage TEXT CHECK (stage IN ('receive', 'ack', 'arrive', 'feedback')),
            reason TEXT NOT NULL,
            author TEXT NOT NULL,
            filed_at TEXT NOT NULL,
            CHECK ((finding_id IS NULL) != (stage IS NULL))
        );

        -- the auditor's decision; a later decision on the same appeal replaces an earlier one
        CREATE TABLE assessment_decisions (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            appeal_id TEXT NOT NULL REFERENCES assessment_appeals(id),
            upheld INTEGER NOT NULL,
            remark TEXT NOT NULL DEFAULT '',
            author TEXT NOT NULL,
            decided_at TEXT NOT NULL
        );
        CREATE INDEX assessment_decisions_appeal ON assessment_decisions(appeal_id, seq);

        -- append-only, enforced by the database and not only by the code
        CREATE TRIGGER assessment_findings_no_update BEFORE UPDATE ON assessment_findings
            BEGIN SELECT RAISE(ABORT, 'assessment findings are append-only'); END;
        CREATE TRIGGER assessment_findings_no_delete BEFORE DELETE ON assessment_findings
            BEGIN SELECT RAISE(ABORT, 'assessment findings are append-only'); END;
        CREATE TRIGGER assessment_appeals_no_update BEFORE UPDATE ON assessment_appeals
            BEGIN SELECT RAISE(ABORT, 'appeals are append-only'); END;
        CREATE TRIGGER assessment_decisions_no_update BEFORE UPDATE ON assessment_decisions
            BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
        """
    )


def _rollcall_checks(db: sqlite_utils.Database) -> None:
    """点名核实: what the auditor found when checking a roll-call not answered in time
    (rollcall_checks.py is its one writer)."""
    db.executescript(
        """
        CREATE TABLE assessment_rollcall_checks (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            rollcall_id TEXT NOT NULL,       -- rollcall_calls.id
            unit TEXT NOT NULL,
            result TEXT NOT NULL CHECK (result IN ('absent', 'excused')),
            remark TEXT NOT NULL DEFAULT '',
            author TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX assessment_rollcall_checks_call
            ON assessment_rollcall_checks(rollcall_id, seq);
        CREATE TRIGGER assessment_rollcall_checks_no_update
            BEFORE UPDATE ON assessment_rollcall_checks
            BEGIN SELECT RAISE(ABORT, 'roll-call checks are append-only'); END;
        CREATE TRIGGER assessment_rollcall_checks_no_delete
            BEFORE DELETE ON assessment_rollcall_checks
            BEGIN SELECT RAISE(ABORT, 'roll-call checks are append-only'); END;
        """
    )


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("assessment_0001_spot_checks", _spot_checks),
    ("assessment_0002_rollcall_checks", _rollcall_checks),
]
