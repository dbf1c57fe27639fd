"""One valid body of every kind, for round trips and fuzzing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wire import kinds as k

T0 = datetime(2026, 11, 28, 6, 30, tzinfo=UTC)


def order(order_id: str = "01JORDER0000000000000001", rev: int = 1) -> k.OrderBody:
    return k.OrderBody(
        order_id=order_id,
        incident_id="01JINCIDENT0000000000001",
        rev=rev,
        category="power-cut",
        category_name="停电",
        priority="urgent",
        address="妥甸镇 东街 12 号",
        township="tuodian",
        township_name="妥甸镇",
        summary="整条街停电，有老人使用制氧机。",
        reported_at=T0,
        dispatched_at=T0 + timedelta(seconds=40),
        role="lead",
        deadlines=k.Deadlines(
            receive_by=T0 + timedelta(seconds=70),
            ack_by=T0 + timedelta(minutes=3, seconds=40),
            arrive_by=T0 + timedelta(minutes=30, seconds=40),
            feedback_by=T0 + timedelta(hours=24, seconds=40),
        ),
        source_id="J5323220000000123",
        position=k.Position(lat=24.689, lon=101.641),
        caller_phone="138****5678",
    )


def bodies() -> dict[str, k.Body]:
    pos = k.Position(lat=24.69, lon=101.64, accuracy_m=8.5)
    health = k.HealthBody(
        version="0.1.0",
        uptime_s=3600,
        printer="ok",
        outbox_depth=0,
        gps=k.GpsHealth(fix=True, age_s=1.5, satellites=9),
        clock_offset_s=0.02,
    )
    return {
        "order": order(),
        "cancel": k.CancelBody(order_id="01JORDER0000000000000001", reason="重复警情"),
        "receipt": k.ReceiptBody(ids=["01JREPORT000000000000001", "01JREPORT000000000000002"]),
        "command": k.CommandBody(command="silence", order_id="01JORDER0000000000000001"),
        "received": k.ReceivedBody(order_id="01JORDER0000000000000001", rev=1),
        "ack": k.AckBody(order_id="01JORDER0000000000000001"),
        "arrived": k.ArrivedBody(order_id="01JORDER0000000000000001", source="gps", position=pos),
        "feedback": k.FeedbackBody(
            order_id="01JORDER0000000000000001", result_code="resolved", text="已恢复供电。"
        ),
        "alarmed": k.AlarmedBody(order_id="01JORDER0000000000000001", rev=2),
        "printed": k.PrintedBody(order_id="01JORDER0000000000000001", rev=2, reprint=True),
        "print_failed": k.PrintFailedBody(
            order_id="01JORDER0000000000000001", reason="paper_out", detail="printer is paper_out"
        ),
        "position": k.PositionBody(position=pos, fix_at=T0),
        "health": health,
        "selfcall": selfcall(),
        "rollcall_answer": k.RollcallAnswerBody(
            rollcall_id="01JROLLCALL0000000000001", via="kiosk"
        ),
        "state": k.StateBody(status="online", health=health),
    }


def selfcall(call_id: str = "01JSELFCALL0000000000001") -> k.SelfCallBody:
    """A call the water company took itself (双轨制), handled and fed back."""
    return k.SelfCallBody(
        call_id=call_id,
        category="water-main-burst",
        address="妥甸镇 南街 3 号",
        township="tuodian",
        taken_at=T0,
        summary="群众来电：南街水管爆裂，路面积水。",
        result_code="resolved",
        result_text="已关阀抢修，恢复供水。",
        caller_phone="139****1234",
        arrived_at=T0 + timedelta(minutes=20),
        needs_assist=True,
        assist_note="需交警协助疏导交通",
    )
