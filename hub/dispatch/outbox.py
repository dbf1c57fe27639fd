"""The outbox rows' lifecycle as delivery sees them: which are due, sent, acknowledged.

Rows are made by the ledger (`Ledger.enqueue`) in the transaction that caused them; an
order's row is done when its `received` report comes in (`order_reports`) or the order
ends. Delivery only publishes: it asks here what is due and tells here what happened, so
the outbox has one writer like every dispatch table.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from hub.db.store import Store
from hub.db.times import ts

FIRST_RETRY_S = 30.0
MAX_RETRY_S = 600.0


def backoff(attempts: int) -> float:
    """Seconds before the next try of a message sent `attempts` times: 30, 60, 120 ... 600."""
    return float(min(FIRST_RETRY_S * 2 ** max(0, attempts - 1), MAX_RETRY_S))


class Outbox:
    def __init__(self, store: Store) -> None:
        self.store = store

    def due(self, now: datetime, refused: frozenset[str], limit: int) -> list[dict[str, Any]]:
        """Up to `limit` messages due now, oldest first. A revoked unit's messages are left
        out in the query itself, so however many wait for it they never take the window
        from the other units."""
        return self.store.query(
            "SELECT seq, unit, kind, payload, attempts FROM outbox WHERE done_at IS NULL"
            " AND next_try_at <= ? AND unit NOT IN (SELECT value FROM json_each(?))"
            " ORDER BY next_try_at, seq LIMIT ?",
            (ts(now), json.dumps(sorted(refused)), limit),
        )

    def acknowledged(self, seqs: Iterable[int], now: datetime) -> None:
        """Cancels and commands the broker has taken: done (orders wait for `received`)."""
        with self.store.write() as db:
            db.conn.executemany(
                "UPDATE outbox SET done_at=? WHERE seq=? AND done_at IS NULL",
                [(ts(now), seq) for seq in seqs],
            )

    def sent(self, rows: list[dict[str, Any]], now: datetime) -> None:
        """Rows just handed to the link: counted, and due again after the back-off."""
        with self.store.write() as db:
            db.conn.executemany(
                "UPDATE outbox SET attempts=?, last_sent_at=?, next_try_at=? WHERE seq=?",
                [
                    (
                        r["attempts"] + 1,
                        ts(now),
                        ts(now + timedelta(seconds=backoff(r["attempts"] + 1))),
                        r["seq"],
                    )
                    for r in rows
                ],
            )
