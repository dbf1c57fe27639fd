"""The ids of down messages already handled: the terminal's dedupe by message id.

An id is marked in the same transaction that carries its message out (a `Store.tx()`
inside another joins it), so a kill between the two cannot make the broker's re-delivery
be skipped as already seen. The one writer of the `seen` table.
"""

from __future__ import annotations

import sqlite3

from gateway.state.store import Store
from wire.clock import rfc3339
from wire.codec import Message


def mark_seen(c: sqlite3.Connection, msg_id: str, kind: str, at: str) -> bool:
    """Record a down message id; False when it was already seen (a re-delivery)."""
    cur = c.execute("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", (msg_id, kind, at))
    return cur.rowcount == 1


class SeenIds:
    def __init__(self, store: Store) -> None:
        self.store = store

    def mark(self, msg: Message) -> bool:
        """Mark `msg` seen, inside the caller's transaction if there is one."""
        with self.store.tx() as c:
            return mark_seen(c, msg.id, msg.kind, rfc3339(msg.at))

    def seen(self, msg_id: str) -> bool:
        with self.store.read() as c:
            return (
                c.execute("SELECT 1 FROM seen WHERE msg_id = ?", (msg_id,)).fetchone() is not None
            )
