"""The "fleet" migration set: releases, rollouts and each rollout's target units."""

from __future__ import annotations

import sqlite_utils

from hub.db.migrations import named_set


def _initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE fleet_releases (
            version TEXT PRIMARY KEY,
            file TEXT NOT NULL,            -- name in the releases folder
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            min_version TEXT NOT NULL,
            built_at TEXT NOT NULL,        -- the manifest's created_at
            added_at TEXT NOT NULL,
            added_by TEXT NOT NULL
        );
        CREATE TABLE fleet_rollouts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            version TEXT NOT NULL REFERENCES fleet_releases(version),
            stage TEXT NOT NULL,           -- canary | percent | all
            percent INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL,           -- active | halted | done
            allow_downgrade INTEGER NOT NULL DEFAULT 0,
            halted_reason TEXT,
            started_at TEXT NOT NULL,
            started_by TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX fleet_one_active ON fleet_rollouts(state) WHERE state = 'active';
        CREATE TABLE fleet_targets (
            rollout_id INTEGER NOT NULL REFERENCES fleet_rollouts(id),
            unit TEXT NOT NULL,
            stage TEXT NOT NULL,           -- the stage that took the unit in
            added_at TEXT NOT NULL,
            offered_at TEXT,               -- NULL until dispatch queued the command
            msg_id TEXT,
            updated_at TEXT,               -- health reported the version
            failed_at TEXT,
            fail_reason TEXT,
            fail_detail TEXT,
            PRIMARY KEY (rollout_id, unit)
        ) WITHOUT ROWID;
        """
    )


MIGRATIONS = named_set("fleet", [("0001_initial", _initial)])
