"""The terminal's SQLite file: the connection, its transactions, its schema and migrations.

The tables are written by one module each: `orders` by `state.orders`, `seen` by
`state.seen`, `outbox` by `uplink.outbox`, `prints` by `devices.spool`.

One file per terminal, WAL with `synchronous=FULL`, so a committed transaction survives
kill -9 and a power cut. sqlite-utils creates and migrates the schema (`state.migrations`:
the named set "gateway" of sqlite-utils' `Migrations`, so terminals in the field upgrade
safely), imported only when `state.schema` finds something to migrate; the writes themselves
are plain SQL inside `Store.tx()`, because a state change must share one transaction,
under the store's lock, with its outgoing report.

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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from gateway.errors import StoreError
from gateway.state import schema
from wire.clock import Clock

log = logging.getLogger(__name__)


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
            self.conn.execute("PRAGMA recursive_triggers = ON")  # as sqlite-utils sets it
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = FULL")
            if not schema.current(self.conn):
                self._migrate()
        except (sqlite3.Error, OSError) as e:
            self._held.close()
            raise StoreError(f"cannot open the terminal's state at {path}: {e}") from e

    def _migrate(self) -> None:
        """The first start after an install or an upgrade: sqlite-utils applies what is
        pending (and carries over a file of the old scheme)."""
        import sqlite_utils

        from gateway.state.migrations import migrate

        for name in migrate(sqlite_utils.Database(self.conn)):
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
