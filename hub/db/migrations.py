"""One migration scheme for the whole hub file: sqlite-utils' `Migrations`, one named set
per part ("dispatch", "assessment", "console", "boundary", later "rollcall"), all recorded
in one table, `_sqlite_migrations` (set, name, applied time).

Each part owns its set and applies it when it starts: the store applies the ones it is
opened with (hub/runtime.py passes dispatch and assessment), the console its own at
`init_app`, the 110 bridge its own when it is prepared. A set never touches another's
tables.

A file made before this scheme is carried over, never re-created: the store's old table
`_migrations` (names such as '0001_initial', 'assessment_0001_spot_checks') and the
console's `console_schema` (versions 1, 2) are copied into `_sqlite_migrations` under
their sets, in one transaction with dropping the old table, before anything is applied.
A step recorded there is never run again, so the data it made stays as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence

import sqlite_utils
from sqlite_utils import Migrations

log = logging.getLogger(__name__)

Step = tuple[str, Callable[[sqlite_utils.Database], None]]
"""A named step as the parts used to list them: (name, function of the open database)."""

TABLE = Migrations.migrations_table
OLD_TABLE = "_migrations"
"""The store's table before this scheme: (name PRIMARY KEY, applied_at)."""
PARTS_BY_PREFIX = ("assessment", "boundary", "rollcall")
"""An old step named `<part>_...` belonged to that part; every other one to dispatch."""


def named_set(name: str, steps: Iterable[Step]) -> Migrations:
    """A Migrations set made from a part's list of (name, function) steps, in order."""
    migrations = Migrations(name)
    for step_name, fn in steps:
        migrations(name=step_name)(fn)
    return migrations


def names(migrations: Migrations) -> list[str]:
    """The step names of a set, in order."""
    return [m.name for m in migrations._migrations]


def _old_part(step: str) -> str:
    head = step.split("_", 1)[0]
    return head if head in PARTS_BY_PREFIX else "dispatch"


def _record(db: sqlite_utils.Database, rows: Iterable[tuple[str, str, str]]) -> None:
    db.conn.executemany(
        f"INSERT OR IGNORE INTO {TABLE} (migration_set, name, applied_at) VALUES (?, ?, ?)",  # noqa: S608 - constant
        list(rows),
    )


def carry_over_named(db: sqlite_utils.Database) -> int:
    """Copy the old `_migrations` rows into the one table (under the set each step belongs
    to) and drop the old table; returns how many were carried. Call with no transaction
    open: it makes its own."""
    if not db[OLD_TABLE].exists():
        return 0
    Migrations("dispatch").ensure_migrations_table(db)
    with db.atomic():
        rows = db.execute(f"SELECT name, applied_at FROM {OLD_TABLE}").fetchall()  # noqa: S608 - constant
        _record(db, ((_old_part(n), n, str(at or "")) for n, at in rows))
        db.execute(f"DROP TABLE {OLD_TABLE}")
    log.info("database: %d migration record(s) carried over from %s", len(rows), OLD_TABLE)
    return len(rows)


def carry_over_versions(db: sqlite_utils.Database, table: str, migrations: Migrations) -> int:
    """Copy a part's old numbered schema table (`version`, `applied_at`: version n is the
    set's n-th step) into the one table and drop it; returns how many were carried."""
    if not db[table].exists():
        return 0
    steps = names(migrations)
    Migrations(migrations.name).ensure_migrations_table(db)
    with db.atomic():
        rows = db.execute(f"SELECT version, applied_at FROM {table}").fetchall()  # noqa: S608 - a part's own constant
        _record(
            db,
            (
                (migrations.name, steps[v - 1], str(at or ""))
                for v, at in rows
                if 1 <= v <= len(steps)
            ),
        )
        db.execute(f"DROP TABLE {table}")
    log.info("database: %s schema versions carried over from %s", migrations.name, table)
    return len(rows)


def apply(db: sqlite_utils.Database, sets: Sequence[Migrations]) -> list[str]:
    """Apply every pending step of each set, each step in its own transaction with its
    record; returns the names applied, in order (empty when all were applied before)."""
    carry_over_named(db)
    applied: list[str] = []
    for migrations in sets:
        pending = [m.name for m in migrations.pending(db)]
        if not pending:
            continue
        migrations.apply(db)
        for step in pending:
            log.debug("applied %s/%s", migrations.name, step)
        applied += pending
    return applied
