"""What the terminal shows of an order: the dict behind the kiosk page and /status.json.

Apart from `Gateway` so that the one place where an order's words meet a screen is small
and easy to find. The words go through `gateway.devices.plain`: Jinja escapes HTML, but a control
character (ESC, NUL, a bidirectional override) would still reach the page and the JSON
as it is, and draw oddly or hide what the order says. A summary keeps its line breaks
(the page shows them with `white-space: pre-line`); the one-line fields lose theirs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.devices.plain import block, one_line
from gateway.state.orders import OrderView


def _left(when: datetime | None, now: datetime) -> float | None:
    return None if when is None else round((when - now).total_seconds())


def _done(at: str | None, due: datetime | None) -> str | None:
    """A stage done: "in_time" or "late" against its deadline (by the terminal's own record
    of when it was done); None while it is still to do."""
    if at is None:
        return None
    if due is None:
        return "in_time"
    return "in_time" if datetime.fromisoformat(at) <= due else "late"


def order_view(o: OrderView, now: datetime) -> dict[str, Any]:
    """One order as the kiosk lists it: seconds left to each deadline still to meet, and
    each stage already done marked in time or late (a done stage has no countdown)."""
    order, d = o.order, o.order.deadlines
    return {
        "order_id": o.order_id,
        "rev": order.rev,
        "stage": o.stage,
        "alarming": o.alarming,
        "drill": order.drill,
        "priority": order.priority,
        "category": one_line(order.category_name),
        "address": one_line(order.address),
        "township": one_line(order.township_name),
        "summary": block(order.summary),
        "caller_phone": order.caller_phone,
        "dispatched_at": order.dispatched_at.isoformat(),
        "acked_at": o.acked_at,
        "arrived_at": o.arrived_at,
        "fed_back_at": o.fed_back_at,
        "deadlines": {
            "ack_by": d.ack_by.isoformat(),
            "arrive_by": d.arrive_by.isoformat() if d.arrive_by else None,
            "feedback_by": d.feedback_by.isoformat(),
        },
        "seconds_left": {
            "ack": _left(d.ack_by, now),
            "arrive": _left(d.arrive_by, now),
            "feedback": _left(d.feedback_by, now),
        },
        "done": {
            "ack": _done(o.acked_at, d.ack_by),
            "arrive": _done(o.arrived_at, d.arrive_by),
            "feedback": _done(o.fed_back_at, d.feedback_by),
        },
    }
