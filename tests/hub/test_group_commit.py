"""Group commit (`Store.grouped`): concurrent writers share one transaction and one fsync,
and each returns only once that commit is on disk, with its own result or its own error
(issue 17: each intake was its own fsync'd transaction, 150-195 orders/s)."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlite_utils

from hub.db.store import Store
from tests.hub.conftest import incident_data
from tests.support.hubparts import TestService
from tests.support.wait import wait_for

N = 6


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "g.sqlite3")
    s.db.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
    return s


def _committed(store: Store) -> set[str]:
    """What another connection sees: only what is committed."""
    conn = sqlite3.connect(store.path)
    try:
        return {r[0] for r in conn.execute("SELECT k FROM t")}
    finally:
        conn.close()


def _insert(store: Store, key: str) -> str:
    def write(db: sqlite_utils.Database) -> str:
        if key == "bad":
            db.execute("INSERT INTO t (k) VALUES ('half-written')")
            raise ValueError("refused by its own code")
        db.execute("INSERT INTO t (k) VALUES (?)", (key,))
        return key

    done = store.grouped(write)
    assert key in _committed(store), "returned before its commit"
    return done


def _queued(store: Store, keys: list[str]) -> tuple[list[Future[str]], list[str]]:
    """Calls made while another holds the store's lock: they wait as one group."""
    seen: list[str] = []
    pool = ThreadPoolExecutor(len(keys))
    with store.lock:
        futures = [pool.submit(_insert, store, k) for k in keys]
        wait_for(lambda: len(store._group) == len(keys), what="every call queued")
        store.db.conn.set_trace_callback(seen.append)
    for f in futures:
        f.exception(10)
    store.db.conn.set_trace_callback(None)
    pool.shutdown()
    return futures, seen


def test_concurrent_writers_share_one_commit_each_answered_after_it(store: Store) -> None:
    keys = [f"k{i}" for i in range(N)]
    futures, seen = _queued(store, keys)
    assert [f.result() for f in futures] == keys
    assert seen.count("BEGIN IMMEDIATE") == 1 and seen.count("COMMIT") == 1
    assert _committed(store) == set(keys)


def test_a_failing_writer_fails_alone_and_leaves_nothing_half_written(store: Store) -> None:
    futures, _ = _queued(store, ["a", "bad", "b"])
    assert futures[0].result() == "a" and futures[2].result() == "b"
    with pytest.raises(ValueError, match="its own code"):
        futures[1].result()
    assert _committed(store) == {"a", "b"}


def test_a_database_that_cannot_commit_fails_the_whole_group(store: Store) -> None:
    store.db.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        futures, _ = _queued(store, ["x", "y"])
    finally:
        other.execute("ROLLBACK")
        other.close()
    for f in futures:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            f.result()
    assert _committed(store) == set()


def test_concurrent_intakes_each_get_their_own_incident(service: TestService) -> None:
    results: dict[int, str] = {}

    def post(i: int) -> None:
        view, created = service.intake(incident_data(source_id=f"G{i}"), source="cad-110")
        assert created
        results[i] = view.id

    threads = [threading.Thread(target=post, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(set(results.values())) == N
    rows = service.store.query("SELECT source_id FROM incidents ORDER BY source_id")
    assert [r["source_id"] for r in rows] == [f"G{i}" for i in range(N)]
    again, created = service.intake(incident_data(source_id="G0"), source="cad-110")
    assert not created and again.id == results[0]
