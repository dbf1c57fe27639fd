"""The order the benchmarks send: one shape, so figures from different benches compare."""

from __future__ import annotations

from datetime import datetime

from wire.kinds import Deadlines, OrderBody


def sample_order(now: datetime, summary: str = "整条街停电。") -> OrderBody:
    """A power-cut order with every deadline at `now` (benches never wait for them)."""
    return OrderBody(
        order_id="01JORDER0000000000000001",
        incident_id="01JINCIDENT0000000000001",
        rev=1,
        category="power-cut",
        category_name="停电",
        priority="urgent",
        address="妥甸镇 东街 12 号",
        township="tuodian",
        township_name="妥甸镇",
        summary=summary,
        reported_at=now,
        dispatched_at=now,
        role="lead",
        deadlines=Deadlines(receive_by=now, ack_by=now, feedback_by=now, arrive_by=now),
    )
