"""The duty room's changes to an order, each committed with its signed report.

签收 (`ack`), 到场 (`arrived`) and 反馈 (`feedback`) are state on the order and evidence
for the hub: the order's column and the report in the outbox are written in one
transaction (the caller's, when it has one), and both carry the same `at`, the moment it
happened, however long the report then waits for the link.

The receipt chain the notice's 签收 needs goes the same way: `alarmed` with the order's
`alarmed_rev`, `printed` and `print_failed` with the print job's mark (the spool's
transaction, which these join through `PrintReceipts`).
"""

from __future__ import annotations

from collections.abc import Callable

from gateway.errors import UnknownOrderError
from gateway.state.orders import OrderBook
from gateway.state.rollcalls import RollcallBook
from gateway.state.store import Store
from gateway.uplink.outbox import Outbox
from gateway.uplink.signer import ReportSigner
from wire.kinds import (
    AckBody,
    AlarmedBody,
    ArrivedBody,
    FeedbackBody,
    Position,
    PrintedBody,
    PrintFailedBody,
    RollcallAnswerBody,
)
from wire.limits import MAX_SHORT


class DutyReports:
    def __init__(
        self,
        store: Store,
        orders: OrderBook,
        signer: ReportSigner,
        outbox: Outbox,
        rollcalls: RollcallBook | None = None,
    ) -> None:
        self.store = store
        self.orders = orders
        self.signer = signer
        self.outbox = outbox
        self.rollcalls = rollcalls or RollcallBook(store)

    def rollcall_answer(self, rollcall_id: str, via: str) -> None:
        """点名应答: the answer and its signed report, one commit."""
        with self.store.tx():
            body = RollcallAnswerBody(rollcall_id, via=via)  # type: ignore[arg-type]
            report = self.signer.make("rollcall_answer", body)
            self.outbox.add(report)
            self.rollcalls.set_answered(rollcall_id, report.at, via)

    def ack(self, order_id: str, via: str) -> None:
        with self.store.tx():
            report = self.signer.make("ack", AckBody(order_id, via=via))  # type: ignore[arg-type]
            self.outbox.add(report)
            self.orders.set_acked(order_id, report.at)

    def arrived(self, order_id: str, source: str, position: Position | None) -> None:
        with self.store.tx():
            body = ArrivedBody(order_id, source=source, position=position)  # type: ignore[arg-type]
            report = self.signer.make("arrived", body)
            self.outbox.add(report)
            self.orders.set_arrived(order_id, report.at)

    def feedback(self, order_id: str, result_code: str, text: str) -> None:
        with self.store.tx():
            body = FeedbackBody(order_id, result_code=result_code, text=text)  # type: ignore[arg-type]
            report = self.signer.make("feedback", body)
            self.outbox.add(report)
            self.orders.set_fed_back(order_id, report.at)

    def alarmed(self, order_id: str, rev: int) -> bool:
        """The alarm for `rev` has started: recorded and reported once per rev; False when
        it was already."""
        with self.store.tx():
            if not self.orders.set_alarmed(order_id, rev):
                return False
            self.outbox.add(self.signer.make("alarmed", AlarmedBody(order_id, rev=rev)))
        return True

    def _rev(self, order_id: str) -> int:
        try:
            return self.orders.get(order_id).order.rev
        except UnknownOrderError:
            return 1

    def printed(self, order_id: str, reprint: bool) -> None:
        """In the spool's transaction, with the job's printed mark."""
        body = PrintedBody(order_id, rev=self._rev(order_id), reprint=reprint)
        self.outbox.add(self.signer.make("printed", body))

    def print_failed(self, order_id: str, reason: str, detail: str) -> None:
        """In the spool's transaction, with the job's failed attempt and its reason."""
        body = PrintFailedBody(
            order_id,
            reason=reason,  # type: ignore[arg-type]
            rev=self._rev(order_id),
            detail=detail[:MAX_SHORT],
        )
        self.outbox.add(self.signer.make("print_failed", body))


class PrintReceipts:
    """The spool's `PrintReports`: the duty reports, and the sender woken after the commit."""

    def __init__(self, reports: DutyReports, kick: Callable[[], None]) -> None:
        self.reports = reports
        self.kick = kick

    def printed(self, order_id: str, reprint: bool) -> None:
        self.reports.printed(order_id, reprint)

    def print_failed(self, order_id: str, reason: str, detail: str) -> None:
        self.reports.print_failed(order_id, reason, detail)

    def flush(self) -> None:
        self.kick()
