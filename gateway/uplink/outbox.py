"""The outbox: every signed report waits here until a hub `receipt` names it.

A report is added in the same transaction as the state change it reports (a `Store.tx()`
inside another joins it), before anything is sent; the `Sender` reads it in order (`seq`)
and a receipt removes it. The one writer of the `outbox` table.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.state.store import Store


@dataclass(frozen=True)
class Report:
    """A signed report ready for the outbox; `payload` is exactly what goes on the wire."""

    id: str
    kind: str
    at: str
    payload: bytes


class Outbox:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, report: Report) -> None:
        """Queue a report. Health is a snapshot: only the latest unsent one is kept."""
        with self.store.tx() as c:
            if report.kind == "health":
                c.execute("DELETE FROM outbox WHERE kind = 'health'")
            c.execute(
                "INSERT INTO outbox (id, kind, at, payload) VALUES (?, ?, ?, ?)",
                (report.id, report.kind, report.at, report.payload),
            )

    def remove(self, ids: list[str]) -> int:
        """A receipt: the hub has committed these reports. Returns how many left the outbox."""
        with self.store.tx() as c:
            n = 0
            for msg_id in ids:
                n += c.execute("DELETE FROM outbox WHERE id = ?", (msg_id,)).rowcount
        return n

    def batch(self, after_seq: int, limit: int) -> list[tuple[int, str, bytes]]:
        with self.store.read() as c:
            rows = c.execute(
                "SELECT seq, id, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                (after_seq, limit),
            ).fetchall()
        return [(int(s), str(i), bytes(p)) for s, i, p in rows]

    def depth(self) -> int:
        with self.store.read() as c:
            return int(c.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def waiting(self, kind: str) -> int:
        """How many reports of `kind` still wait for a receipt (the kiosk shows its
        self-recorded calls not yet at the centre)."""
        with self.store.read() as c:
            row = c.execute("SELECT count(*) FROM outbox WHERE kind = ?", (kind,)).fetchone()
            return int(row[0])
