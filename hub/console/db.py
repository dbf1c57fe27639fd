"""The console's own tables in the hub's SQLite file (all prefixed `console_`).

The console keeps users, login sessions and the audit log beside the hub's data so one file
holds everything an assessor may ask for, and one backup covers it. Each call opens a short
connection (`hub.db.store.transaction`): the WSGI server runs requests on several threads
and sqlite3 connections must not be shared between them. WAL and `synchronous=FULL` so an
audit record, once the page says "done", survives a power cut. The tables are the "console"
set of the hub's one migration scheme (hub/db/migrations.py); a file from before it, with
the console's own `console_schema` versions, is carried over.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from hub.db.migrations import carry_over_versions, named_set
from hub.db.store import migrate_file, transaction

SCHEMA_VERSION = 2

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE IF NOT EXISTS console_users (
        username TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        must_change INTEGER NOT NULL DEFAULT 1,
        disabled INTEGER NOT NULL DEFAULT 0,
        failed_logins INTEGER NOT NULL DEFAULT 0,
        locked_until TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS console_sessions (
        token_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES console_users(username),
        created_at TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS console_audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        role TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL DEFAULT '',
        outcome TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '{}',
        remote_addr TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX IF NOT EXISTS console_audit_at ON console_audit(at);
    """,
    # Login throttling (throttle.py): counts per address, per (account, address) and per
    # account instead of a lock on the account, and the addresses each account logs in from.
    # console_users.failed_logins and locked_until are no longer read (kept, not dropped).
    2: """
    CREATE TABLE IF NOT EXISTS console_login_guard (
        scope TEXT NOT NULL,
        name TEXT NOT NULL,
        address TEXT NOT NULL,
        failures INTEGER NOT NULL DEFAULT 0,
        last_failed_at TEXT,
        blocked_until TEXT,
        PRIMARY KEY (scope, name, address)
    );
    CREATE INDEX IF NOT EXISTS console_login_guard_age ON console_login_guard(last_failed_at);
    CREATE TABLE IF NOT EXISTS console_login_seats (
        username TEXT NOT NULL,
        address TEXT NOT NULL,
        last_ok_at TEXT NOT NULL,
        PRIMARY KEY (username, address)
    );
    """,
}


_NAMES = {1: "0001_users_sessions_audit", 2: "0002_login_guard"}
OLD_SCHEMA_TABLE = "console_schema"
"""The console's table of applied versions before the one scheme (carried over)."""


def _step(sql: str) -> Callable[[sqlite_utils.Database], None]:
    def run(db: sqlite_utils.Database) -> None:
        for statement in sql.split(";"):
            if statement.strip():
                db.execute(statement)

    return run


MIGRATIONS = named_set("console", [(_NAMES[v], _step(_MIGRATIONS[v])) for v in sorted(_MIGRATIONS)])


@contextmanager
def connect(db_path: Path) -> Iterator[sqlite3.Connection]:
    """One transaction on the hub file: commit on success, roll back on any exception."""
    with transaction(db_path, timeout=10) as conn:
        yield conn


def migrate(db_path: Path) -> None:
    """Create or upgrade the console tables; each step records itself, so reruns are no-ops."""
    migrate_file(
        db_path,
        [MIGRATIONS],
        carry=lambda db: carry_over_versions(db, OLD_SCHEMA_TABLE, MIGRATIONS),
    )
