"""The duty room's changes to an order, each committed with its signed report.

签收 (`ack`), 到场 (`arrived`) and 反馈 (`feedback`) are state on the order and evidence
for the hub: the order's column and the report in the outbox are written in one
transaction (the caller's, when it has one), and both carry the same `at`, the moment it
happened, however long the report then waits for the link.
"""

from __future__ import annotations

from gateway.state.orders import OrderBook
from gateway.state.rollcalls import RollcallBook
from gateway.state.store import Store
from gateway.uplink.outbox import Outbox
from gateway.uplink.signer import ReportSigner
from wire.kinds import AckBody, ArrivedBody, FeedbackBody, Position, RollcallAnswerBody


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
