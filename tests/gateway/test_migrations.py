"""The terminal's schema on sqlite-utils' Migrations: a fresh file, and a file made by the
old scheme (its own `_migrations` table) carried over with its data, never re-created."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from gateway.state import schema
from gateway.state.migrations import MIGRATIONS, migrate
from gateway.state.store import Store
from tests.gateway.old_state import make_old_state
from wire.clock import FakeClock

NAMES = ["001_schema", "002_print_started", "003_receipt_chain", "004_rollcalls"]
OLD_NAMES = NAMES[:2]
"""What the old scheme had; later steps are applied when an old terminal is carried over."""


def _records(path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as c:
        return c.execute(
            "SELECT migration_set, name, applied_at FROM _sqlite_migrations ORDER BY id"
        ).fetchall()


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as c:
        return {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_a_new_terminal_gets_the_gateway_set(tmp_path: Path) -> None:
    path = tmp_path / "gw.sqlite3"
    Store(path, FakeClock()).close()
    assert [(s, n) for s, n, _ in _records(path)] == [("gateway", n) for n in NAMES]
    assert "_migrations" not in _tables(path)
    Store(path, FakeClock()).close()  # opening again applies nothing
    assert len(_records(path)) == len(NAMES)


def test_an_old_terminal_is_carried_over_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "gw.sqlite3"
    make_old_state(path)
    with sqlite3.connect(path) as c:
        c.execute(
            "INSERT INTO orders (order_id, rev, body, priority, drill, status, alarming)"
            " VALUES ('o1', 3, '{}', 'urgent', 0, 'open', 1)"
        )
        c.execute("INSERT INTO seen VALUES ('m1', 'order', 't')")
        c.execute("INSERT INTO outbox (id, kind, at, payload) VALUES ('r1', 'ack', 't', x'00')")
        c.execute(
            "INSERT INTO prints (order_id, what, created, started_at) VALUES ('o1', 'order',"
            " 't', 's')"
        )
    store = Store(path, FakeClock())
    try:
        with store.read() as c:
            assert c.execute("SELECT order_id, rev FROM orders").fetchall() == [("o1", 3)]
            assert c.execute("SELECT msg_id FROM seen").fetchall() == [("m1",)]
            assert c.execute("SELECT id FROM outbox").fetchall() == [("r1",)]
            assert c.execute("SELECT started_at FROM prints").fetchall() == [("s",)]
    finally:
        store.close()
    # the old records, with their own times, are the gateway set's; the old table is gone
    records = _records(path)
    assert records[:2] == [("gateway", n, "2026-01-05T01:00:00.000Z") for n in OLD_NAMES]
    assert [r[:2] for r in records] == [("gateway", n) for n in NAMES]
    assert "_migrations" not in _tables(path)
    assert [m.name for m in MIGRATIONS._migrations] == NAMES


def test_an_old_terminal_half_way_gets_only_what_it_lacks(tmp_path: Path) -> None:
    path = tmp_path / "gw.sqlite3"
    make_old_state(path, upto="001_schema")
    Store(path, FakeClock()).close()
    records = _records(path)
    assert records[0] == ("gateway", "001_schema", "2026-01-05T01:00:00.000Z")
    assert records[1][:2] == ("gateway", "002_print_started")
    assert records[1][2] != "2026-01-05T01:00:00.000Z"  # applied now, not carried over


def test_the_plain_sql_check_knows_every_migration(tmp_path: Path) -> None:
    """`state.schema` decides whether sqlite-utils is needed at all: its names must be the
    set's, or a new migration would never be applied on a terminal already migrated."""
    assert [m.name for m in MIGRATIONS.pending(sqlite_utils.Database(memory=True))] == list(
        schema.NAMES
    )


def test_a_file_made_by_sqlite_utils_at_every_start_opens_unchanged(tmp_path: Path) -> None:
    """Terminals before the plain-SQL check opened through sqlite-utils at every start:
    their file opens with nothing applied, its records and rows as they were."""
    path = tmp_path / "gw.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    db = sqlite_utils.Database(conn)
    db.enable_wal()
    migrate(db)
    conn.execute(
        "INSERT INTO orders (order_id, rev, body, priority, drill, status, alarming)"
        " VALUES ('o1', 2, '{}', 'urgent', 0, 'open', 1)"
    )
    conn.close()
    before = _records(path)
    store = Store(path, FakeClock())
    try:
        with store.read() as c:
            assert c.execute("SELECT order_id, rev FROM orders").fetchall() == [("o1", 2)]
            assert c.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        store.close()
    assert _records(path) == before


def test_a_file_one_migration_behind_gets_it(tmp_path: Path) -> None:
    path = tmp_path / "gw.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS.apply(sqlite_utils.Database(conn), stop_before=schema.NAMES[-1])
    conn.close()
    with sqlite3.connect(path) as c:
        assert not schema.current(c)
    Store(path, FakeClock()).close()
    assert [n for _, n, _ in _records(path)] == list(schema.NAMES)
    with sqlite3.connect(path) as c:
        assert schema.current(c)
