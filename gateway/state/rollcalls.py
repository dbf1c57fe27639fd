"""点名 on the terminal: the `rollcalls` table and nothing else (its one writer).

A roll-call rings (the kiosk shows it, the buzzer plays its own pattern) from the moment it
is stored until it is answered or expires. One that arrives already expired (the link was
down through it) is stored as missed: never rung, never answered, shown as missed. Methods
join the caller's transaction, so the answer and its signed report commit together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.errors import UnknownRollcallError
from gateway.state.store import Store
from wire.clock import parse_rfc3339, rfc3339


@dataclass(frozen=True)
class Rollcall:
    rollcall_id: str
    received_at: datetime
    answer_by: datetime
    expires_at: datetime
    answered_at: datetime | None
    via: str | None
    missed: bool

    def ringing(self, now: datetime) -> bool:
        """Waiting for the duty room: not answered, not missed, not yet expired."""
        return self.answered_at is None and not self.missed and now < self.expires_at

    def outcome(self, now: datetime) -> str:
        """answered | late (after answer-by) | ringing | missed."""
        if self.answered_at is not None:
            return "answered" if self.answered_at <= self.answer_by else "late"
        return "ringing" if self.ringing(now) else "missed"


def _row(r: tuple[str, str, str, str, str | None, str | None, int]) -> Rollcall:
    return Rollcall(
        rollcall_id=r[0],
        received_at=parse_rfc3339(r[1]),
        answer_by=parse_rfc3339(r[2]),
        expires_at=parse_rfc3339(r[3]),
        answered_at=parse_rfc3339(r[4]) if r[4] else None,
        via=r[5],
        missed=bool(r[6]),
    )


_COLUMNS = "rollcall_id, received_at, answer_by, expires_at, answered_at, via, missed"


class RollcallBook:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(
        self, rollcall_id: str, answer_by: datetime, expires_at: datetime, now: datetime
    ) -> Rollcall:
        """Store a roll-call once (a re-delivery keeps the first); after its expiry it is
        stored as missed."""
        with self.store.tx() as c:
            c.execute(
                "INSERT OR IGNORE INTO rollcalls (rollcall_id, received_at, answer_by,"
                " expires_at, missed) VALUES (?,?,?,?,?)",
                (
                    rollcall_id,
                    rfc3339(now),
                    rfc3339(answer_by),
                    rfc3339(expires_at),
                    int(now >= expires_at),
                ),
            )
        return self.get(rollcall_id)

    def get(self, rollcall_id: str) -> Rollcall:
        with self.store.read() as c:
            r = c.execute(
                f"SELECT {_COLUMNS} FROM rollcalls WHERE rollcall_id=?",  # noqa: S608 - constant
                (rollcall_id,),
            ).fetchone()
        if r is None:
            raise UnknownRollcallError(f"no roll-call {rollcall_id}")
        return _row(r)

    def set_answered(self, rollcall_id: str, at: str, via: str) -> None:
        with self.store.tx() as c:
            c.execute(
                "UPDATE rollcalls SET answered_at=?, via=? WHERE rollcall_id=?"
                " AND answered_at IS NULL",
                (at, via, rollcall_id),
            )

    def ringing(self, now: datetime) -> list[Rollcall]:
        """Roll-calls waiting for an answer now, oldest first."""
        with self.store.read() as c:
            rows = c.execute(
                f"SELECT {_COLUMNS} FROM rollcalls WHERE answered_at IS NULL AND missed=0"  # noqa: S608
                " AND expires_at > ? ORDER BY received_at",
                (rfc3339(now),),
            ).fetchall()
        return [_row(r) for r in rows]

    def recent(self, limit: int = 5) -> list[Rollcall]:
        with self.store.read() as c:
            rows = c.execute(
                f"SELECT {_COLUMNS} FROM rollcalls ORDER BY received_at DESC LIMIT ?",  # noqa: S608
                (limit,),
            ).fetchall()
        return [_row(r) for r in rows]
