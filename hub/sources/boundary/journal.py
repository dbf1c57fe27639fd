"""The bridge's own tables in the hub file: the fate of every inbound file, and the
outbound cursor. Incidents and orders are not here: those only the one writer touches
(`Incoming.gate_message` in hub/dispatch/incoming.py). Its "boundary" set of the hub's one
migration scheme (hub/db/migrations.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from hub.db.migrations import Step, named_set
from hub.db.store import Store
from hub.db.times import ts


def _files(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE boundary_files (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            name TEXT NOT NULL,
            stored_as TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            outcome TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            incident_id TEXT,
            why TEXT NOT NULL DEFAULT '{}'
        );
        CREATE TABLE boundary_cursor (
            name TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            at TEXT NOT NULL
        );
        """
    )


MIGRATIONS: list[Step] = [("boundary_0001_files_cursor", _files)]


def migrate(store: Store) -> None:
    store.migrate([named_set("boundary", MIGRATIONS)])


def record(
    store: Store,
    *,
    at: datetime,
    name: str,
    stored_as: str,
    sha256: str,
    outcome: str,
    reason: str = "",
    incident_id: str | None = None,
    why: dict[str, Any] | None = None,
) -> None:
    record_many(store, [Entry(at, name, stored_as, sha256, outcome, reason, incident_id, why)])


@dataclass(frozen=True)
class Entry:
    """One inbound file's fate, as the console's history shows it."""

    at: datetime
    name: str
    stored_as: str
    sha256: str
    outcome: str
    reason: str = ""
    incident_id: str | None = None
    why: dict[str, Any] | None = None


def record_many(store: Store, entries: list[Entry]) -> None:
    """Write a pass's files in one transaction (a burst of 1,000 files is 1,000 commits
    fewer); the incidents themselves were each committed before their file moved."""
    if not entries:
        return
    with store.write() as db:
        db.conn.executemany(
            "INSERT INTO boundary_files (at, name, stored_as, sha256, outcome, reason,"
            " incident_id, why) VALUES (?,?,?,?,?,?,?,?)",
            [(e.at and ts(e.at), e.name, e.stored_as, e.sha256, e.outcome, e.reason,
              e.incident_id, json.dumps(e.why or {}, ensure_ascii=False)) for e in entries],
        )  # fmt: skip


def recent(store: Store, limit: int = 100) -> list[dict[str, Any]]:
    """The last inbound files with their fate, newest first (for the console page), each
    with its incident's 110 number: people know a call by that, not by our id."""
    rows = store.query(
        "SELECT f.*, i.source_id FROM boundary_files f LEFT JOIN incidents i"
        " ON i.id = f.incident_id ORDER BY f.seq DESC LIMIT ?",
        (limit,),
    )
    for r in rows:
        r["why"] = json.loads(r["why"])
    return rows


def cursor(store: Store, name: str = "outbound") -> int:
    row = store.one("SELECT seq FROM boundary_cursor WHERE name=?", (name,))
    return int(row["seq"]) if row else 0


def set_cursor(store: Store, seq: int, at: datetime, name: str = "outbound") -> None:
    with store.write() as db:
        db.execute(
            "INSERT INTO boundary_cursor (name, seq, at) VALUES (?,?,?)"
            " ON CONFLICT(name) DO UPDATE SET seq=excluded.seq, at=excluded.at",
            (name, seq, ts(at)),
        )
