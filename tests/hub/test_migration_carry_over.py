"""A hub file made before the one migration scheme is carried over, never re-created.

The file is built as the old code built it: the store's steps recorded in `_migrations`
(name, applied_at), the console's in its own `console_schema` (version, applied_at), each
part's tables made by its unchanged step SQL, and data in them. Opened by today's code,
every old record is in `_sqlite_migrations` under its part's set, the old tables are
gone, no step ran twice (a second `CREATE TABLE events` would fail) and the data is there.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from hub.assessment.schema import MIGRATIONS as ASSESSMENT_STEPS
from hub.console import db as console_db
from hub.db.store import Store
from hub.dispatch.schema import MIGRATIONS as DISPATCH
from hub.parts import STORE_SETS, open_store
from hub.sources.boundary import journal

OLD_STORE_NAMES = [
    "0001_initial",
    "0002_rejected_counts",
    "assessment_0001_spot_checks",
    "boundary_0001_files_cursor",
]


def _old_file(path: Path) -> None:
    """The file as the old Store.migrate and console db.migrate left it."""
    conn = sqlite3.connect(path, isolation_level=None)
    db = sqlite_utils.Database(conn)
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    steps = dict([(m.name, m.fn) for m in DISPATCH._migrations] + ASSESSMENT_STEPS)
    steps.update(journal.MIGRATIONS)
    for name in OLD_STORE_NAMES:
        steps[name](db)
        db.execute(
            "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
            (name, "2026-01-05T01:00:00.000Z"),
        )
    db.execute(
        "CREATE TABLE IF NOT EXISTS console_schema (version INTEGER PRIMARY KEY, applied_at TEXT)"
    )
    for version in (1, 2):
        for statement in console_db._MIGRATIONS[version].split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute(
            "INSERT INTO console_schema (version, applied_at) VALUES (?, datetime('now'))",
            (version,),
        )
    db.execute(
        "INSERT INTO incidents (id, source, source_id, category, address, township, priority,"
        " reported_at, created_at) VALUES ('01OLD', 'cad-110', 'J1', 'power-cut', '东街',"
        " 'tuodian', 'normal', '2026-01-05T01:00:00.000Z', '2026-01-05T01:00:00.000Z')"
    )
    db.execute(
        "INSERT INTO console_users (username, role, password_hash, created_at, created_by)"
        " VALUES ('wang', 'operator', 'x', '2026-01-05', 'cli')"
    )
    db.execute("INSERT INTO boundary_cursor (name, seq, at) VALUES ('outbound', 7, '2026-01-05')")
    conn.close()


def _records(path: Path) -> set[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT migration_set, name FROM _sqlite_migrations").fetchall()
        return {(s, n) for s, n in rows}
    finally:
        conn.close()


def test_an_old_file_is_carried_over_not_recreated(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    _old_file(path)

    store = open_store(path)  # dispatch and assessment: nothing to apply
    assert store.migrate(STORE_SETS) == []
    journal.migrate(store)  # the bridge's set, recorded already
    tables = set(store.db.table_names())
    assert "_migrations" not in tables
    assert store.one("SELECT source_id FROM incidents") == {"source_id": "J1"}
    assert store.one("SELECT seq FROM boundary_cursor") == {"seq": 7}
    store.close()

    console_db.migrate(path)  # the console's set, from its old versions
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT username FROM console_users").fetchall() == [("wang",)]
        left = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()
    assert "console_schema" not in left

    # Steps added to the dispatch set since the old scheme apply on top, once.
    later = {("dispatch", m.name) for m in DISPATCH._migrations if m.name not in OLD_STORE_NAMES}
    assert _records(path) == {
        ("dispatch", "0001_initial"),
        ("dispatch", "0002_rejected_counts"),
        ("assessment", "assessment_0001_spot_checks"),
        ("alerts", "alerts_0001_notifications"),
        ("boundary", "boundary_0001_files_cursor"),
        ("console", "0001_users_sessions_audit"),
        ("console", "0002_login_guard"),
        ("rollcall", "0001_initial"),  # a set newer than the old file: applied when opened
        ("assessment", "assessment_0002_rollcall_checks"),  # a newer step, likewise
        *later,
    }


def test_a_new_file_gets_every_set_in_the_one_table(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    store = open_store(path)
    journal.migrate(store)
    store.close()
    console_db.migrate(path)
    console_db.migrate(path)  # again: nothing
    sets = {s for s, _ in _records(path)}
    assert sets == {"dispatch", "assessment", "alerts", "boundary", "console", "rollcall"}
    again = Store(path, STORE_SETS)
    assert again.migrate(STORE_SETS) == []
    again.close()


def test_the_console_alone_carries_over_an_old_store_table(tmp_path: Path) -> None:
    """`create-admin` may be the first thing run on an upgraded file: the old store
    records are carried over then, by whichever part opens the file first."""
    path = tmp_path / "hub.sqlite3"
    _old_file(path)
    console_db.migrate(path)
    assert ("dispatch", "0001_initial") in _records(path)
    store = open_store(path)
    assert store.one("SELECT count(*) AS n FROM incidents") == {"n": 1}
    store.close()
