"""Orders to units without a terminal (registry `terminal = false`): the operator phones the
duty room and records what happened, step by step.

Most tier-2 and tier-3 units have no terminal; the notice reaches them by phone, fax or
radio. The operator records 通知已送达 (the notice reached them), 已签收 (and who took it),
已到场 and 反馈 (with its result) as the unit said on the phone. Each is the same order
report a terminal would send (`OrderReports.apply`: the order moves forward, deadlines are
met and judged as for everyone) with source `operator:NAME` and `via: phone` in its detail:
evidence an operator recorded, not a unit's signature, and the assessment flags it so
(人工录入, hub/assessment/judge.py). The console writes the audit row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final

from hub.db.store import Store
from hub.dispatch.ledger import ACTIVE_STATES
from hub.dispatch.order_reports import OrderReports
from hub.dispatch.read import Reads
from hub.dispatch.text import checked
from hub.dispatch.views import OrderView
from hub.dispatch.wake import Wake
from hub.errors import Conflict, IntakeError, NotFound
from wire import kinds as k
from wire.clock import Clock
from wire.limits import MAX_SHORT, MAX_TEXT

log = logging.getLogger(__name__)

STEPS: Final[dict[str, str]] = {
    "delivered": "received",  # 通知已送达
    "acknowledged": "ack",  # 已签收 (by whom)
    "arrived": "arrived",  # 已到场
    "fed_back": "feedback",  # 反馈 (result code and text)
}
"""The steps an operator records by phone, and the order report each one is."""


@dataclass(frozen=True)
class _Phoned:
    """The order a phone record is about (received / ack / arrived carry nothing else)."""

    order_id: str


class PhoneReports:
    def __init__(
        self, store: Store, orders: OrderReports, reads: Reads, clock: Clock, wake: Wake
    ) -> None:
        self.store = store
        self.orders = orders
        self.reads = reads
        self.clock = clock
        self.wake = wake

    def record(
        self,
        order_id: str,
        step: str,
        *,
        by: str,
        taken_by: str = "",
        result_code: str = "",
        text: str = "",
    ) -> OrderView:
        """Record one step told on the phone, at the hub's time. Raises IntakeError naming
        the field (nothing stored), NotFound, or Conflict for an order no longer running."""
        kind = STEPS.get(step)
        if kind is None:
            raise IntakeError({"step": ("未知的电话录入环节", f"unknown step {step!r}")})
        if not by or len(by) > 64:
            raise IntakeError({"by": ("操作员无效", "invalid operator name")})
        taken_by = checked("taken_by", taken_by.strip(), multiline=False)[:MAX_SHORT]
        text = checked("text", text.strip(), multiline=True)
        if len(text) > MAX_TEXT:
            raise IntakeError({"text": ("说明过长", f"at most {MAX_TEXT} characters")})
        extra: dict[str, Any] = {"via": "phone"}
        body: Any = _Phoned(order_id)
        if kind == "ack":
            if not taken_by:
                raise IntakeError({"taken_by": ("请填写签收人", "who took the notice?")})
            extra["taken_by"] = taken_by
        if kind == "feedback":
            if result_code not in k.RESULT_NAMES or not text:
                raise IntakeError(
                    {"result_code": ("请选择处置结果并填写说明", "choose a result and say what")}
                )
            body = k.FeedbackBody(order_id=order_id, result_code=result_code, text=text)  # type: ignore[arg-type]
        elif text:
            extra["note"] = text
        now = self.clock.now()
        with self.store.write() as db:
            order = self.store.one("SELECT * FROM orders WHERE id=?", (order_id,))
            if order is None:
                raise NotFound("no order %(order)s", order=order_id)
            if order["state"] not in ACTIVE_STATES:
                raise Conflict(
                    "order %(order)s is %(state)s; nothing to record",
                    order=order_id,
                    state=order["state"],
                )
            unit = self.reads.registry.units.get(order["unit"])
            if unit is None or unit.terminal:
                # Its terminal's signed reports are the record; a missed one is an appeal.
                raise Conflict(
                    "%(unit)s has a terminal: its own reports are the record", unit=order["unit"]
                )
            updates = self.orders.apply(
                db, order["unit"], kind, body, now, now, source=f"operator:{by}", extra=extra
            )
        log.info("%s recorded %s by phone for order %s", by, step, order_id)
        self.wake.changed(*updates)
        return self.reads.order(order_id)
