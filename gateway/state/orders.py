"""Order state on the terminal: the `orders` table and nothing else (its one writer).

Each method runs in the caller's transaction when there is one (a `Store.tx()` inside
another joins it): the down handlers and the duty room commit an order's change together
with its signed report (`uplink.outbox`), its id in `seen` and its print job
(`devices.spool`), before anything is alarmed or printed, so a power cut can lose neither
one without the other.
"""

from __future__ import annotations

import enum
import sqlite3
from dataclasses import dataclass

import msgspec

from gateway.errors import UnknownOrderError
from gateway.state.store import Store
from wire.clock import rfc3339
from wire.kinds import OrderBody

_COLUMNS = (
    "order_id, rev, body, status, received_at, acked_at, arrived_at, fed_back_at, "
    "cancelled_at, alarming, alarmed_rev"
)


class Outcome(enum.Enum):
    NEW = "new"
    REVISED = "revised"
    DUPLICATE = "duplicate"
    """Same or older rev: nothing stored, nothing queued."""


@dataclass(frozen=True)
class OrderView:
    """One order as the terminal shows it."""

    order: OrderBody
    status: str  # open | cancelled
    received_at: str | None
    acked_at: str | None
    arrived_at: str | None
    fed_back_at: str | None
    cancelled_at: str | None
    alarming: bool
    alarmed_rev: int | None = None
    """The rev whose alarm start was reported (`alarmed`); None before the first."""

    @property
    def order_id(self) -> str:
        return self.order.order_id

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def stage(self) -> str:
        """dispatched | received | acknowledged | arrived | fed_back | cancelled."""
        if self.status == "cancelled":
            return "cancelled"
        for stage, when in (
            ("fed_back", self.fed_back_at),
            ("arrived", self.arrived_at),
            ("acknowledged", self.acked_at),
        ):
            if when:
                return stage
        return "received"


def _view(row: tuple[object, ...]) -> OrderView:
    body = msgspec.json.decode(str(row[2]), type=OrderBody)
    return OrderView(
        order=body,
        status=str(row[3]),
        received_at=row[4],  # type: ignore[arg-type]
        acked_at=row[5],  # type: ignore[arg-type]
        arrived_at=row[6],  # type: ignore[arg-type]
        fed_back_at=row[7],  # type: ignore[arg-type]
        cancelled_at=row[8],  # type: ignore[arg-type]
        alarming=bool(row[9]),
        alarmed_rev=None if row[10] is None else int(row[10]),  # type: ignore[call-overload]
    )


class OrderBook:
    """Orders stored on this terminal and their state."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _now(self) -> str:
        return rfc3339(self.store.clock.now())

    def _get(self, c: sqlite3.Connection, order_id: str) -> OrderView:
        row = c.execute(f"SELECT {_COLUMNS} FROM orders WHERE order_id = ?", (order_id,)).fetchone()  # noqa: S608
        if row is None:
            raise UnknownOrderError(f"no order {order_id} on this terminal")
        return _view(row)

    # ---- from the hub --------------------------------------------------------------------

    def is_stale(self, order: OrderBody) -> bool:
        """Same or older rev than the one stored, or an order already cancelled: a
        re-delivery or an order re-sent after its cancel, which changes nothing."""
        with self.store.read() as c:
            row = c.execute(
                "SELECT rev, status FROM orders WHERE order_id = ?", (order.order_id,)
            ).fetchone()
        return row is not None and (int(row[0]) >= order.rev or row[1] == "cancelled")

    def put(self, order: OrderBody, received_at: str, received_id: str) -> Outcome:
        """Store a new order (alarming) or a newer rev of one (alarming again unless it
        was acknowledged), with the time and id of its `received` report."""
        pos = order.position
        values = {
            "order_id": order.order_id,
            "rev": order.rev,
            "body": msgspec.json.encode(order).decode(),
            "priority": order.priority,
            "drill": int(order.drill),
            "dispatched_at": rfc3339(order.dispatched_at),
            "received_at": received_at,
            "received_id": received_id,
            "lat": pos.lat if pos else None,
            "lon": pos.lon if pos else None,
        }
        with self.store.tx() as c:
            known = c.execute(
                "SELECT 1 FROM orders WHERE order_id = ?", (order.order_id,)
            ).fetchone()
            if known is None:
                values.update(status="open", alarming=1)
                cols = ", ".join(values)
                marks = ", ".join("?" * len(values))
                c.execute(f"INSERT INTO orders ({cols}) VALUES ({marks})", tuple(values.values()))  # noqa: S608
                return Outcome.NEW
            sets = ", ".join(f"{k} = ?" for k in values if k != "order_id")
            args = [v for k, v in values.items() if k != "order_id"]
            c.execute(
                f"UPDATE orders SET {sets}, alarming = CASE WHEN acked_at IS NULL THEN 1"  # noqa: S608
                " ELSE alarming END WHERE order_id = ?",
                (*args, order.order_id),
            )
        return Outcome.REVISED

    def received_pending(self, order_id: str) -> bool:
        """True while the order's `received` report has no receipt yet."""
        with self.store.read() as c:
            row = c.execute(
                "SELECT 1 FROM orders o JOIN outbox b ON b.id = o.received_id WHERE o.order_id = ?",
                (order_id,),
            ).fetchone()
        return row is not None

    def cancel(self, order_id: str) -> bool:
        """Cancel an open order and stop its alarm. False if unknown or already done."""
        with self.store.tx() as c:
            n = c.execute(
                "UPDATE orders SET status = 'cancelled', cancelled_at = ?, alarming = 0"
                " WHERE order_id = ? AND status = 'open'",
                (self._now(), order_id),
            ).rowcount
        return bool(n)

    def set_alarming(self, order_id: str | None, on: bool) -> list[str]:
        """Silence (on=False) or re-alarm one order, or silence all when order_id is None."""
        with self.store.tx() as c:
            if order_id is None:
                where, args = "status = 'open' AND alarming = ?", (int(not on),)
            else:
                where, args = "order_id = ? AND status = 'open'", (order_id,)  # type: ignore[assignment]
            ids = [r[0] for r in c.execute(f"SELECT order_id FROM orders WHERE {where}", args)]  # noqa: S608
            c.executemany(
                "UPDATE orders SET alarming = ? WHERE order_id = ?", [(int(on), i) for i in ids]
            )
        return ids

    def resume_after_start(self) -> None:
        """After a restart every open order not yet acknowledged alarms again."""
        with self.store.tx() as c:
            c.execute("UPDATE orders SET alarming = 1 WHERE status = 'open' AND acked_at IS NULL")

    def set_alarmed(self, order_id: str, rev: int) -> bool:
        """Record that the alarm for `rev` started; False if that rev (or a later one) was
        recorded already, so two threads refreshing the alarm report it once."""
        with self.store.tx() as c:
            n = c.execute(
                "UPDATE orders SET alarmed_rev = ? WHERE order_id = ?"
                " AND coalesce(alarmed_rev, 0) < ?",
                (rev, order_id, rev),
            ).rowcount
        return bool(n)

    # ---- from the duty room (the reports that go with these are the caller's) ------------

    def set_acked(self, order_id: str, at: str) -> None:
        with self.store.tx() as c:
            c.execute(
                "UPDATE orders SET acked_at = ?, alarming = 0 WHERE order_id = ?", (at, order_id)
            )

    def set_arrived(self, order_id: str, at: str) -> None:
        with self.store.tx() as c:
            c.execute(
                "UPDATE orders SET arrived_at = ?, alarming = 0 WHERE order_id = ?", (at, order_id)
            )

    def set_fed_back(self, order_id: str, at: str) -> None:
        with self.store.tx() as c:
            c.execute("UPDATE orders SET fed_back_at = ? WHERE order_id = ?", (at, order_id))

    # ---- reading -------------------------------------------------------------------------

    def get(self, order_id: str) -> OrderView:
        with self.store.read() as c:
            return self._get(c, order_id)

    def _select(self, where: str, limit: int = -1) -> list[OrderView]:
        """Orders matching a fixed `where`, latest dispatch first (SQLite: -1 is no limit)."""
        with self.store.read() as c:
            rows = c.execute(
                f"SELECT {_COLUMNS} FROM orders WHERE {where}"  # noqa: S608
                " ORDER BY dispatched_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [_view(r) for r in rows]

    def all(self, limit: int = 200) -> list[OrderView]:
        """The latest `limit` orders, whatever their state (what the kiosk lists)."""
        return self._select("1", limit)

    def alarming(self) -> list[OrderView]:
        """Every open order that alarms, however many orders the terminal has had before."""
        return self._select("status = 'open' AND alarming = 1")

    def open(self) -> list[OrderView]:
        """Orders still open and not yet fed back (fed-back orders need nothing more)."""
        return self._select("status = 'open' AND fed_back_at IS NULL")

    def unacknowledged(self) -> list[OrderView]:
        """Open orders that nobody has acknowledged yet."""
        return [o for o in self.open() if not o.acked_at]
