"""A terminal's state file as the code before sqlite-utils' Migrations made it.

The SQL is what `sqlite3 .dump` printed (line breaks aside) for a file made by that code (its
own `_migrations(name, applied_at)` table), so the tests build the very file a terminal in
the field has, without the old code.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_001 = """
CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT);
INSERT INTO "_migrations" VALUES('001_schema','2026-01-05T01:00:00.000Z');
CREATE TABLE "orders" (
   "order_id" TEXT PRIMARY KEY,
   "rev" INTEGER NOT NULL,
   "body" TEXT NOT NULL,
   "priority" TEXT NOT NULL,
   "drill" INTEGER NOT NULL,
   "status" TEXT NOT NULL,
   "dispatched_at" TEXT,
   "received_at" TEXT,
   "received_id" TEXT,
   "acked_at" TEXT,
   "arrived_at" TEXT,
   "fed_back_at" TEXT,
   "cancelled_at" TEXT,
   "alarming" INTEGER NOT NULL,
   "lat" REAL,
   "lon" REAL
);
CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL, at TEXT NOT NULL, payload BLOB NOT NULL);
CREATE TABLE prints (job INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL,
  what TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', created TEXT NOT NULL,
  printed_at TEXT, attempts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE "seen" (
   "msg_id" TEXT PRIMARY KEY,
   "kind" TEXT,
   "at" TEXT
);
CREATE INDEX "idx_outbox_kind" ON "outbox" ("kind");
CREATE INDEX "idx_prints_printed_at" ON "prints" ("printed_at");
"""

MIGRATION_002 = """
ALTER TABLE prints ADD COLUMN started_at TEXT;
INSERT INTO "_migrations" VALUES('002_print_started','2026-01-05T01:00:00.000Z');
"""


def make_old_state(path: Path, *, upto: str = "002_print_started") -> None:
    """The state file at `001_schema` or `002_print_started`, as the old code left it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        conn.executescript(SCHEMA_001 + (MIGRATION_002 if upto == "002_print_started" else ""))
        conn.commit()
    finally:
        conn.close()
