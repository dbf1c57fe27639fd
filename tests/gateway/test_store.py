"""The terminal's SQLite store: a transaction opened inside another joins it, so a down
message's handler commits its steps and the mark that it was seen together or not at all."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from gateway.errors import StoreError
from gateway.state.seen import mark_seen
from gateway.state.store import Store
from tests.gateway.old_state import make_old_state
from wire.clock import FakeClock


def _seen(store: Store) -> list[str]:
    with store.read() as c:
        return [r[0] for r in c.execute("SELECT msg_id FROM seen ORDER BY msg_id")]


def test_inner_transactions_join_the_outer_one(tmp_path: Path) -> None:
    store = Store(tmp_path / "gw.sqlite3", FakeClock())
    try:
        with pytest.raises(RuntimeError), store.tx():
            with store.tx() as c:
                assert mark_seen(c, "01JSEEN0000000000000000001", "command", "t")
            with store.tx() as c:
                c.execute("UPDATE orders SET alarming = 0")
            raise RuntimeError("killed before the command was carried out")
        assert _seen(store) == []  # the inner commit did not happen on its own
        with store.tx(), store.tx() as c:
            mark_seen(c, "01JSEEN0000000000000000002", "command", "t")
        assert _seen(store) == ["01JSEEN0000000000000000002"]
    finally:
        store.close()


def test_another_thread_waits_for_the_outer_transaction(tmp_path: Path) -> None:
    store = Store(tmp_path / "gw.sqlite3", FakeClock())
    seen_by_other: list[list[str]] = []
    other = threading.Thread(target=lambda: seen_by_other.append(_seen(store)))
    try:
        with store.tx() as c:
            mark_seen(c, "01JSEEN0000000000000000003", "receipt", "t")
            other.start()
            other.join(0.2)
            assert other.is_alive()  # blocked on the store's lock, not reading half a change
        other.join(5)
        assert seen_by_other == [["01JSEEN0000000000000000003"]]
    finally:
        store.close()


def test_a_terminal_in_the_field_upgrades_with_its_waiting_jobs(tmp_path: Path) -> None:
    """A job that waited through the upgrade has no start mark: it prints as the original."""
    make_old_state(tmp_path / "gw.sqlite3", upto="001_schema")
    with sqlite3.connect(tmp_path / "gw.sqlite3") as c:
        c.execute("INSERT INTO prints (order_id, what, created) VALUES ('o', 'order', 't')")
    store = Store(tmp_path / "gw.sqlite3", FakeClock())
    try:
        with store.read() as c:
            assert c.execute("SELECT started_at, printed_at FROM prints").fetchall() == [
                (None, None)
            ]
            names = [
                r[0]
                for r in c.execute(
                    "SELECT name FROM _sqlite_migrations WHERE migration_set = 'gateway'"
                    " ORDER BY name"
                )
            ]
        assert names == ["001_schema", "002_print_started", "003_receipt_chain", "004_rollcalls"]
    finally:
        store.close()


def test_one_process_at_a_time_on_a_state_file(tmp_path: Path) -> None:
    """Two terminals on one state file would both print every waiting job: the second is
    refused while the first holds it, and may open it once the first has closed it."""
    store = Store(tmp_path / "gw.sqlite3", FakeClock())
    try:
        with pytest.raises(StoreError, match="another terminal process"):
            Store(tmp_path / "gw.sqlite3", FakeClock())
    finally:
        store.close()
    Store(tmp_path / "gw.sqlite3", FakeClock()).close()
