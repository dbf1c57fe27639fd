"""The terminal's SQLite file: the connection, its transactions, its schema and migrations.

The tables are written by one module each: `orders` by `state.orders`, `seen` by
`state.seen`, `outbox` by `uplink.outbox`, `prints` by `devices.spool`.

One file per terminal, WAL with `synchronous=FULL`, so a committed transaction survives
kill -9 and a power cut. sqlite-utils creates and migrates the schema (named migrations
that record themselves, so terminals in the field upgrade safely); the writes themselves
are plain SQL inside `Store.tx()`, because sqlite-utils commits on its own inside its
table methods and a state change must share one transaction with its outgoing report.

One connection is shared by the terminal's threads behind a lock: the write rate of a duty
room is a few rows a minute, and one connection keeps every transaction strictly ordered.
One process at a time: the file is held with an exclusive `flock` on `<file>.lock`, because
two terminals on one state file would both print every waiting job (and the kernel drops
the lock when a process dies, so kill -9 never leaves it stale).
"""

from __future__ import annotations

import fcntl
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import sqlite_utils

from gateway.errors import StoreError
from wire.clock import Clock, rfc3339

log = logging.getLogger(__name__)


def _m001_schema(db: sqlite_utils.Database) -> None:
    db.table("orders").create(
        {
            "order_id": str,
            "rev": int,
            "body": str,
            "priority": str,
            "drill": int,
            "status": str,
            "dispatched_at": str,
            "received_at": str,
            "received_id": str,
            "acked_at": str,
            "arrived_at": str,
            "fed_back_at": str,
            "cancelled_at": str,
            "alarming": int,
            "lat": float,
            "lon": float,
        },
        pk="order_id",
        not_null={"rev", "body", "priority", "drill", "status", "alarming"},
    )
    db.table("seen").create({"msg_id": str, "kind": str, "at": str}, pk="msg_id")
    db.execute(
        "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
        " kind TEXT NOT NULL, at TEXT NOT NULL, payload BLOB NOT NULL)"
    )
    db.execute(
        "CREATE TABLE prints (job INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL,"
        " what TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', created TEXT NOT NULL,"
        " printed_at TEXT, attempts INTEGER"
        " NOT NULL DEFAULT 0)"
    )
    db.table("outbox").create_index(["kind"])
    db.table("prints").create_index(["printed_at"])


def _m002_print_started(db: sqlite_utils.Database) -> None:
    """`started_at`: when bytes of the job first went to the printer, committed before they
    go. A job with it and no `printed_at` may already be on paper (kill -9 or a power cut
    after the write, paper out or unplugged mid-job): its next print says 补打."""
    db.execute("ALTER TABLE prints ADD COLUMN started_at TEXT")


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("001_schema", _m001_schema),
    ("002_print_started", _m002_print_started),
]


def _hold(lock_path: Path) -> IO[bytes]:
    """An exclusive lock on the state for this process, or StoreError naming who holds it."""
    f = lock_path.open("a+b")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        raise StoreError(
            f"another terminal process is using {lock_path.with_suffix('')}: "
            "stop it first (two would print every job twice)"
        ) from None
    return f


class Store:
    """The SQLite file of one terminal."""

    def __init__(self, path: Path, clock: Clock) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.RLock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._held = _hold(path.with_name(path.name + ".lock"))
        except OSError as e:
            raise StoreError(f"cannot lock the terminal's state at {path}: {e}") from e
        try:
            self.conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self.conn.execute("PRAGMA busy_timeout = 5000")
            self.db = sqlite_utils.Database(self.conn)
            self.db.enable_wal()
            self.conn.execute("PRAGMA synchronous = FULL")
            self._migrate()
        except (sqlite3.Error, OSError) as e:
            self._held.close()
            raise StoreError(f"cannot open the terminal's state at {path}: {e}") from e

    def _migrate(self) -> None:
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
        )
        done = {r[0] for r in self.conn.execute("SELECT name FROM _migrations")}
        for name, step in MIGRATIONS:
            if name in done:
                continue
            with self.tx() as c:
                step(self.db)
                c.execute(
                    "INSERT INTO _migrations VALUES (?, ?)", (name, rfc3339(self.clock.now()))
                )
            log.info("state migrated: %s", name)

    def close(self) -> None:
        with self._lock:
            self.conn.close()
            self._held.close()  # releases the flock

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: everything inside commits together or not at all.

        A `tx()` opened inside another one of the same thread joins it (the lock is held, so
        no other thread's transaction can be open): a down message's handler wraps its
        steps, each written with its own `tx()`, into the one commit that also marks it seen.
        """
        with self._lock:
            if self.conn.in_transaction:
                yield self.conn
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self.conn
