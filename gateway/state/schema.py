"""Whether the terminal's file already has every migration, in plain SQL.

Nearly every start of a terminal finds its schema current; only the first start after an
install or an upgrade has migrations to apply. This check reads sqlite-utils' own record
(`_sqlite_migrations`, the "gateway" set) with `sqlite3`, so sqlite-utils (and what it
imports: about 2.5 MiB, docs/gateway.md Figures) is imported only when there is something
to migrate. The names are `state.migrations`' in order; tests/gateway/test_migrations.py
fails when a migration is added there and not here.
"""

from __future__ import annotations

import sqlite3

SET = "gateway"
NAMES = ("001_schema", "002_print_started", "003_receipt_chain", "004_rollcalls")
"""Every migration of the set, as `state.migrations` registers them."""


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return row is not None


def current(conn: sqlite3.Connection) -> bool:
    """True when every migration is recorded and no record of the old scheme is left."""
    if _has_table(conn, "_migrations") or not _has_table(conn, "_sqlite_migrations"):
        return False
    applied = {
        str(r[0])
        for r in conn.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = ?", (SET,))
    }
    return applied.issuperset(NAMES)
