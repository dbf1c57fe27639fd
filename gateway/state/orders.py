"""Order state on the terminal: every transition and its signed report in one transaction.

The rule of the whole terminal lives here: a state change and the report that tells the hub
about it are committed together, before anything is alarmed or printed, so a power cut can
lose neither one without the other.
"""

from __future__ import annotations

import enum
import sqlite3
from dataclasses import dataclass
from datetime import datetime

import msgspec

from gateway.errors import UnknownOrderError
from gateway.state.store import Store
from gateway.uplink.signer import Reporter
from wire.clock import parse_rfc3339, rfc3339
from wire.codec import Message
from wire.kinds import (
    AckBody,
    ArrivedBody,
    CancelBody,
    FeedbackBody,
    OrderBody,
    Position,
    ReceivedBody,
)

_COLUMNS = (
    "order_id, rev, body, status, received_at, acked_at, arrived_at, fed_back_at, "
    "cancelled_at, alarming"
)


class Outcome(enum.Enum):
    NEW = "new"
    REVISED = "revised"
    DUPLICATE = "duplicate"
    """Same or older rev: nothing stored, nothing queued."""


@dataclass(frozen=True)
class PrintJob:
    job: int
    order_id: str
    what: str  # order | cancel | test
    note: str
    started_at: datetime | None = None
    """When its bytes first went to the printer; set, the job may be on paper already."""


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
    )


class OrderBook:
    """Orders stored on this terminal, with their reports and print jobs."""

    def __init__(self, store: Store, reporter: Reporter) -> None:
        self.store = store
        self.reporter = reporter

    def _now(self) -> str:
        return rfc3339(self.store.clock.now())

    def _get(self, c: sqlite3.Connection, order_id: str) -> OrderView:
        row = c.execute(f"SELECT {_COLUMNS} FROM orders WHERE order_id = ?", (order_id,)).fetchone()  # noqa: S608
        if row is None:
            raise UnknownOrderError(f"no order {order_id} on this terminal")
        return _view(row)

    def _print(self, c: sqlite3.Connection, order_id: str, what: str, note: str = "") -> None:
        c.execute(
            "INSERT INTO prints (order_id, what, note, created) VALUES (?, ?, ?, ?)",
            (order_id, what, note, self._now()),
        )

    # ---- from the hub --------------------------------------------------------------------

    def accept(self, msg: Message) -> Outcome:
        """Store an order (new or revised) with its `received` report and its print job."""
        order = msg.body
        if not isinstance(order, OrderBody):
            raise TypeError("expected a OrderBody")
        with self.store.tx() as c:
            Store.mark_seen(c, msg.id, msg.kind, rfc3339(msg.at))
            row = c.execute(
                "SELECT rev, status FROM orders WHERE order_id = ?", (order.order_id,)
            ).fetchone()
            if row is not None and (int(row[0]) >= order.rev or row[1] == "cancelled"):
                return Outcome.DUPLICATE
            received = self.reporter.make("received", ReceivedBody(order.order_id, order.rev))
            Store.outbox_add(c, received)
            pos = order.position
            values = {
                "order_id": order.order_id,
                "rev": order.rev,
                "body": msgspec.json.encode(order).decode(),
                "priority": order.priority,
                "drill": int(order.drill),
                "dispatched_at": rfc3339(order.dispatched_at),
                "received_at": received.at,
                "received_id": received.id,
                "lat": pos.lat if pos else None,
                "lon": pos.lon if pos else None,
            }
            if row is None:
                values.update(status="open", alarming=1)
                cols = ", ".join(values)
                marks = ", ".join("?" * len(values))
                c.execute(f"INSERT INTO orders ({cols}) VALUES ({marks})", tuple(values.values()))  # noqa: S608
            else:
                sets = ", ".join(f"{k} = ?" for k in values if k != "order_id")
                args = [v for k, v in values.items() if k != "order_id"]
                c.execute(
                    f"UPDATE orders SET {sets}, alarming = CASE WHEN acked_at IS NULL THEN 1"  # noqa: S608
                    " ELSE alarming END WHERE order_id = ?",
                    (*args, order.order_id),
                )
            self._print(c, order.order_id, "order")
        return Outcome.NEW if row is None else Outcome.REVISED

    def received_pending(self, order_id: str) -> bool:
        """True while the order's `received` report has no receipt yet."""
        with self.store.read() as c:
            row = c.execute(
                "SELECT 1 FROM orders o JOIN outbox b ON b.id = o.received_id WHERE o.order_id = ?",
                (order_id,),
            ).fetchone()
        return row is not None

    def cancel(self, msg: Message) -> bool:
        """Cancel an order: stop its alarm, queue a cancel slip. False if unknown or done."""
        body = msg.body
        if not isinstance(body, CancelBody):
            raise TypeError("expected a CancelBody")
        with self.store.tx() as c:
            Store.mark_seen(c, msg.id, msg.kind, rfc3339(msg.at))
            n = c.execute(
                "UPDATE orders SET status = 'cancelled', cancelled_at = ?, alarming = 0"
                " WHERE order_id = ? AND status = 'open'",
                (self._now(), body.order_id),
            ).rowcount
            if n:
                self._print(c, body.order_id, "cancel", body.reason)
        return bool(n)

    def mark_seen(self, msg: Message) -> bool:
        with self.store.tx() as c:
            return Store.mark_seen(c, msg.id, msg.kind, rfc3339(msg.at))

    def seen(self, msg_id: str) -> bool:
        with self.store.read() as c:
            return (
                c.execute("SELECT 1 FROM seen WHERE msg_id = ?", (msg_id,)).fetchone() is not None
            )

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

    # ---- from the duty room --------------------------------------------------------------

    def acknowledge(self, order_ids: list[str], via: str) -> list[str]:
        """签收: each order not yet acknowledged gets its own signed `ack`. Returns those."""
        done: list[str] = []
        with self.store.tx() as c:
            for order_id in order_ids:
                view = self._get(c, order_id)
                if not view.is_open or view.acked_at:
                    continue
                report = self.reporter.make("ack", AckBody(order_id, via=via))  # type: ignore[arg-type]
                Store.outbox_add(c, report)
                c.execute(
                    "UPDATE orders SET acked_at = ?, alarming = 0 WHERE order_id = ?",
                    (report.at, order_id),
                )
                done.append(order_id)
        return done

    def arrive(self, order_id: str, source: str, position: Position | None) -> bool:
        """到场: also acknowledges an order not yet acknowledged (someone clearly has it)."""
        with self.store.tx() as c:
            view = self._get(c, order_id)
            if not view.is_open or view.arrived_at:
                return False
            if not view.acked_at:
                via = "kiosk" if source == "kiosk" else "button"
                ack = self.reporter.make("ack", AckBody(order_id, via=via))  # type: ignore[arg-type]
                Store.outbox_add(c, ack)
                c.execute(
                    "UPDATE orders SET acked_at = ?, alarming = 0 WHERE order_id = ?",
                    (ack.at, order_id),
                )
            body = ArrivedBody(order_id, source=source, position=position)  # type: ignore[arg-type]
            report = self.reporter.make("arrived", body)
            Store.outbox_add(c, report)
            c.execute(
                "UPDATE orders SET arrived_at = ?, alarming = 0 WHERE order_id = ?",
                (report.at, order_id),
            )
        return True

    def feedback(self, order_id: str, result_code: str, text: str) -> None:
        """处置反馈; may be given again (a later feedback corrects an earlier one)."""
        with self.store.tx() as c:
            view = self._get(c, order_id)
            if view.status == "cancelled":
                raise UnknownOrderError(f"order {order_id} was cancelled")
            body = FeedbackBody(order_id, result_code=result_code, text=text)  # type: ignore[arg-type]
            report = self.reporter.make("feedback", body)
            Store.outbox_add(c, report)
            c.execute("UPDATE orders SET fed_back_at = ? WHERE order_id = ?", (report.at, order_id))

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

    # ---- print jobs ----------------------------------------------------------------------

    def pending_prints(self) -> list[PrintJob]:
        with self.store.read() as c:
            rows = c.execute(
                "SELECT job, order_id, what, note, started_at FROM prints"
                " WHERE printed_at IS NULL ORDER BY job"
            ).fetchall()
        return [
            PrintJob(int(j), str(o), str(w), str(n), parse_rfc3339(s) if s else None)
            for j, o, w, n, s in rows
        ]

    def print_started(self, job: int, when: datetime) -> None:
        """Committed just before the job's bytes go to the port; the first time is kept.

        This is what tells the slip that was on its way to paper when the terminal died
        (reprinted as 补打) from one that never left (printed as the original)."""
        with self.store.tx() as c:
            c.execute(
                "UPDATE prints SET started_at = COALESCE(started_at, ?) WHERE job = ?",
                (rfc3339(when), job),
            )

    def printed(self, job: int, when: datetime) -> None:
        """The done mark: once committed, no path selects the job again (pending_prints
        reads only jobs without it, and nothing ever clears it)."""
        with self.store.tx() as c:
            c.execute("UPDATE prints SET printed_at = ? WHERE job = ?", (rfc3339(when), job))

    def print_failed(self, job: int) -> None:
        with self.store.tx() as c:
            c.execute("UPDATE prints SET attempts = attempts + 1 WHERE job = ?", (job,))

    def queue_print(self, order_id: str, what: str, note: str = "") -> None:
        with self.store.tx() as c:
            self._print(c, order_id, what, note)
