"""The hub's SQLite file: opened WAL + synchronous=FULL, migrated by named sets.

Every write happens inside `Store.write()`, one `BEGIN IMMEDIATE` transaction: a state
change, its event and the message it sends are committed together or not at all, so a
kill -9 at any instant leaves either the whole change or none of it.

One connection is shared by every writing thread behind a re-entrant lock (concurrent
intakes share one transaction: `grouped`); reads outside a transaction go to a read-only
connection per thread, which WAL lets read the last commit while a writer works
(bench/bench_hub.py measures both). Parts that run on threads of
their own (the console's requests) open short connections with `transaction()`, with the
same settings.

The `events` table is the truth (append-only: time, recorded time, source, type, signature,
raw payload); `incidents`, `orders`, `deadlines` and `unit_state` are projections updated in
the same transaction, so they can always be rebuilt from the events.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, TypeVar

import sqlite_utils
from sqlite_utils import Migrations
from sqlite_utils.utils import dedupe_keys

from hub.db import migrations as scheme

log = logging.getLogger(__name__)


def _settings(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")


@contextmanager
def transaction(path: Path | str, *, timeout: float = 10) -> Iterator[sqlite3.Connection]:
    """One transaction on a short connection of its own: commit on success, roll back on
    any exception. For code on threads that must not share the store's connection (the
    console's requests: sqlite3 connections are not for sharing between threads)."""
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        conn.row_factory = sqlite3.Row
        _settings(conn)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()


def migrate_file(
    path: Path | str,
    sets: Sequence[Migrations],
    *,
    carry: Callable[[sqlite_utils.Database], object] | None = None,
) -> list[str]:
    """Apply `sets` to the file on a short connection (a part that has no `Store`: the
    console at start, `create-admin`). `carry(db)` runs first, for a part's old scheme."""
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        _settings(conn)
        db = sqlite_utils.Database(conn)
        if carry is not None:
            carry(db)
        return scheme.apply(db, sets)
    finally:
        conn.close()


_UNAVAILABLE = (
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_FULL",
    "SQLITE_IOERR",
    "SQLITE_READONLY",
    "SQLITE_CANTOPEN",
    "SQLITE_NOMEM",
    "SQLITE_PROTOCOL",
)


def unavailable(exc: BaseException) -> bool:
    """True when `exc` says the database cannot take a write now, whatever was written:
    busy or locked by another process, disk full, read-only, failing I/O, or closed while
    the hub stops. Such a failure passes; retrying the same write later can succeed. Any
    other error is about the data or the code, and retrying the same write cannot help."""
    if isinstance(exc, sqlite3.ProgrammingError):
        return "closed" in str(exc)
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(_UNAVAILABLE):
        return True
    text = str(exc).lower()
    return any(w in text for w in ("locked", "busy", "disk is full", "disk i/o", "readonly"))


T = TypeVar("T")


@lru_cache(maxsize=512)
def _keys(names: tuple[str, ...]) -> tuple[str, ...]:
    """A result's column names as sqlite-utils names them (a repeated name gets `_2`)."""
    return tuple(dedupe_keys(names))


class _Slot(Generic[T]):
    """One call waiting for a group commit: its function, then its result or error."""

    def __init__(self, fn: Callable[[sqlite_utils.Database], T]) -> None:
        self.fn = fn
        self.done = False
        self.result: T | None = None
        self.error: BaseException | None = None

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value] # set when no error


class Store:
    """The hub database: one connection, one lock, the named sets it is opened with."""

    def __init__(self, path: Path | str, migrations: Sequence[Migrations] = ()) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            str(self.path), check_same_thread=False, isolation_level=None, timeout=30
        )
        _settings(conn)
        self.db = sqlite_utils.Database(conn)
        self.lock = threading.RLock()
        self._depth = 0
        self._owner: int | None = None  # the thread whose transaction is open
        self._after: list[Callable[[], None]] = []
        self._group_lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._group: list[_Slot[Any]] = []
        self.migrate(migrations)

    def migrate(self, migrations: Sequence[Migrations]) -> list[str]:
        """Apply each set's steps not yet recorded, each in its own transaction; returns
        the names applied (a file of the old scheme is carried over first)."""
        with self.lock:
            applied = scheme.apply(self.db, migrations)
        for name in applied:
            log.info("database %s: applied migration %s", self.path, name)
        return applied

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One transaction (nested calls join the outer one); rolled back on any error."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.db
                finally:
                    self._depth -= 1
                return
            self.db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            self._owner = threading.get_ident()
            try:
                yield self.db
                self.db.execute("COMMIT")
            except BaseException:
                self._after.clear()
                # A failed COMMIT (disk full, busy) leaves the transaction open, and SQLite
                # may already have rolled back by itself: end it either way, and never let
                # a failing ROLLBACK hide the error that says why.
                if self.db.conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        self.db.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0
                self._owner = None
            after, self._after = self._after, []
        for fn in after:  # outside the lock: whoever they wake may read at once
            fn()

    @contextmanager
    def savepoint(self) -> Iterator[sqlite_utils.Database]:
        """Part of the enclosing transaction (or one of its own) that is undone alone when
        it raises, the rest of the transaction kept: one message of a batch."""
        with self.write() as db:
            db.execute("SAVEPOINT part")
            try:
                yield db
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK TO part")
                    db.execute("RELEASE part")
                raise
            db.execute("RELEASE part")

    def grouped(self, fn: Callable[[sqlite_utils.Database], T]) -> T:
        """`fn(db)` in a transaction shared with the calls other threads make meanwhile
        (group commit): whichever thread takes the lock runs every call waiting then, each
        in a savepoint, and commits them once; each caller returns only after that commit,
        with its own result or its own exception. A failure of the database itself fails
        the whole group (nothing of it stored). Concurrent intakes then cost one fsync per
        group, not one each (issue 17)."""
        if self._depth and self._owner == threading.get_ident():
            return fn(self.db)  # already inside this thread's transaction: join it
        slot = _Slot(fn)
        with self._group_lock:
            self._group.append(slot)
        with self.lock:
            if not slot.done:
                with self._group_lock:
                    batch, self._group = self._group, []
                self._run_group(batch)
        return slot.outcome()

    def _run_group(self, batch: list[_Slot[Any]]) -> None:
        try:
            with self.write() as db:
                for s in batch:
                    try:
                        with self.savepoint():
                            s.result = s.fn(db)
                    except Exception as e:
                        if unavailable(e):
                            raise
                        s.error = e
        except BaseException as e:
            for s in batch:
                s.error = e
        finally:
            for s in batch:
                s.done = True

    def after_commit(self, fn: Callable[[], None]) -> None:
        """Run `fn` once the transaction this thread has open commits (dropped if it rolls
        back), or now when it has none: a wake-up never announces what is not committed,
        even when the writer's block is nested in a batch's transaction."""
        if self._depth and self._owner == threading.get_ident():
            self._after.append(fn)
            return
        fn()

    def query(
        self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()
    ) -> list[dict[str, Any]]:
        """Rows as dicts. Inside this thread's transaction: on its connection (it sees its
        own writes). Otherwise: on a read-only connection of this thread's own, without
        the store's lock: WAL lets it read the last commit while a writer works, so a
        read (an HTTP answer, the delivery loop's next messages, the engine's next due
        time) no longer queues behind the next group's commit and fsync (issue 17: the
        answer's read waited for the lock about as long as its own transaction)."""
        if self._depth and self._owner == threading.get_ident():
            # On the connection directly: sqlite-utils' `query` wraps every SELECT in a
            # SAVEPOINT and its RELEASE, three statements for one inside a transaction that
            # is already undone as a whole on error (issue 17: a fifth of the uplink's time).
            with self.lock:
                cursor = self.db.conn.execute(sql, params)
                keys = _keys(tuple(d[0] for d in cursor.description or ()))
                return [dict(zip(keys, row, strict=True)) for row in cursor]
        conn = self._reader()
        return [dict(r) for r in conn.execute(sql, params)]

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                str(self.path), check_same_thread=False, isolation_level=None, timeout=30
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA query_only=ON")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def close(self) -> None:
        with self._readers_lock:
            readers, self._readers = self._readers, []
        for conn in readers:
            conn.close()
        with self.lock:
            self.db.conn.close()
