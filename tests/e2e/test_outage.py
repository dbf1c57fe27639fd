"""Drill 2: one terminal loses the broker (its TCP path is cut by a proxy; the hub and the
broker stay up); the duty room acknowledges, reports arrival and feeds back meanwhile.

Hub and terminal share one FakeClock, so "minutes" pass without sleeping: the ack is made
2 minutes after dispatch (deadline 3), but the link returns only at 17 minutes, after the
hub's engine has already fired the ack deadline. The hub must take every report exactly
once, keep its signed time, and judge the deadline by that time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from demo.netcut import NetCut
from gateway.devices.simulators import PrinterSimulator
from gateway.terminal import Gateway
from hub.config import load_config
from hub.runtime import Hub
from tests.e2e import api
from tests.e2e.conftest import Running
from tests.e2e.county import County
from tests.e2e.terminals import gateway
from tests.support.wait import wait_for
from wire.clock import FakeClock

pytestmark = [pytest.mark.broker, pytest.mark.slow]


@pytest.fixture
def county(make_county: Callable[[list[str]], County]) -> County:
    return make_county(["power-co"])


@pytest.fixture
def proxy(county: County) -> Iterator[NetCut]:
    p = NetCut(("127.0.0.1", county.broker.port)).start()
    yield p
    p.close()


def _events(hub: Hub, incident_id: str, order_id: str) -> list[tuple[str, datetime, datetime]]:
    return [
        (e.type, e.at, e.recorded_at)
        for e in hub.desk.incident(incident_id).timeline
        if e.order_id == order_id
    ]


@dataclass
class Drill:
    hub: Hub
    gw: Gateway
    incident_id: str
    order_id: str
    t0: datetime
    ack_at: datetime
    arrived_at: datetime
    feedback_at: datetime
    link_back: datetime
    order_c: str
    """Dispatched during the outage: queued by the broker and re-sent by the hub."""
    printer: PrinterSimulator


@pytest.fixture
def drill(county: County, proxy: NetCut, running: Running) -> Drill:
    """Dispatch, cut the terminal's line, act offline for 17 minutes, restore the line."""
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))  # the wire keeps milliseconds
    t0 = clock.now()
    printer = PrinterSimulator().start()
    running.add(printer.stop)
    hub = Hub(load_config(county.hub_toml), clock=clock)
    hub.start()
    running.add(hub.stop)
    gw = gateway(county, "power-co", clock, printer=printer.url, mqtt_port=proxy.port)
    gw.start()
    running.add(gw.stop)
    wait_for(gw.link.connected.is_set, what="the terminal to connect")

    _, incident = api.post_incident(hub.url, county.intake_key, api.incident_data("J2"))
    order_id = incident["orders"][0]["id"]
    wait_for(lambda: hub.desk.order(order_id).state == "received", what="received")
    wait_for(lambda: gw.spooler.printed == 1, what="the slip (its `printed` report)")
    wait_for(lambda: gw.outbox.depth() == 0, what="received, alarmed, printed receipted")

    # The terminal's line goes dead; the hub and the broker do not notice anything else.
    proxy.cut()
    wait_for(lambda: not gw.link.connected.is_set(), what="the terminal to see the outage")
    clock.advance(120)  # 2 min after dispatch: 签收, inside the 3-minute deadline
    assert gw.acknowledge(None, "button") == [order_id]
    ack_at = clock.now()
    clock.advance(61)  # 3 min 1 s: the hub has heard nothing and fires the ack deadline
    hub.engine.run_due()
    fired = hub.store.query(
        "SELECT name, fired_late FROM deadlines WHERE order_id=? AND fired_at NOT NULL",
        (order_id,),
    )
    assert [(r["name"], r["fired_late"]) for r in fired] == [("ack", 0)]
    assert hub.desk.order(order_id).overdue == ["ack"]
    clock.advance(539)  # 12 min: on scene, inside 30
    assert gw.arrive(order_id, "button") == order_id
    arrived_at = clock.now()
    clock.advance(60)
    gw.feedback(order_id, "resolved", "已恢复供电。")
    feedback_at = clock.now()
    assert gw.outbox.depth() == 3  # ack, arrived, feedback: kept until receipted
    # A new call for the same unit while it is cut off: the broker queues the order in the
    # unit's session, and the hub will send it again when the unit comes back online.
    _, later = api.post_incident(
        hub.url,
        county.intake_key,
        api.incident_data("J2-C", address="妥甸镇 西街 3 号"),
    )
    order_c = later["orders"][0]["id"]

    clock.advance(240)  # 17 min: the link comes back
    link_back = clock.now()

    proxy.restore()
    wait_for(gw.link.connected.is_set, 15, "the terminal to reconnect")
    wait_for(lambda: hub.desk.order(order_id).state == "fed_back", 15, "the queued reports")
    wait_for(lambda: hub.desk.order(order_c).state == "received", 15, "order C received")
    wait_for(lambda: gw.outbox.depth() == 0, 10, "every report receipted")

    return Drill(
        hub,
        gw,
        incident["id"],
        order_id,
        t0,
        ack_at,
        arrived_at,
        feedback_at,
        link_back,
        order_c,
        printer,
    )


def test_reports_made_offline_arrive_once_with_their_time_and_are_judged_by_it(
    drill: Drill,
) -> None:
    d = drill
    hub, order_id = d.hub, d.order_id
    events = _events(hub, d.incident_id, order_id)
    reports = [(t, at) for t, at, _ in events if t in ("received", "ack", "arrived", "feedback")]
    # Exactly once each, with the time the duty room pressed, not the time it arrived.
    assert [t for t, _ in reports] == ["received", "ack", "arrived", "feedback"]
    assert dict(reports)["ack"] == d.ack_at
    assert dict(reports)["arrived"] == d.arrived_at
    assert dict(reports)["feedback"] == d.feedback_at
    recorded = {t: rec for t, _, rec in events}
    assert recorded["ack"] >= d.link_back  # delivered after the deadline had fired...
    assert d.ack_at < d.t0 + timedelta(minutes=3)  # ...but made within it
    # The firing stays on record; the ack is judged on time by its own signed `at`.
    met = [
        e.detail["deadline"]
        for e in hub.desk.incident(d.incident_id).timeline
        if e.type == "deadline_met_in_time"
    ]
    assert met == ["ack"]
    order = hub.desk.order(order_id)
    assert order.overdue == []
    assert order.acked_at == d.ack_at and order.arrived_at == d.arrived_at
    events_ack = [e for e in events if e[0] == "ack"]
    assert len(events_ack) == 1


def test_an_order_sent_during_the_outage_is_stored_printed_and_received_once(
    drill: Drill,
) -> None:
    gw, order_c = drill.gw, drill.order_c
    assert [o.order_id for o in gw.orders.all()].count(order_c) == 1
    with gw.store.read() as c:
        jobs = c.execute("SELECT count(*) FROM prints WHERE order_id = ?", (order_c,)).fetchone()
    assert jobs[0] == 1
    paper = wait_for(
        lambda: "西街 3 号" in (t := drill.printer.text()) and t, what="order C on paper"
    )
    assert paper.count(f"单号：{order_c}") == 1
    assert gw.alarm.active  # C is not acknowledged: it alarms
    received = hub_events(drill.hub, order_c, "received")
    assert len(received) == 1
    # Its receive deadline passed while the line was down: missed, and it says so.
    assert "receive" in drill.hub.desk.order(order_c).overdue


def hub_events(hub: Hub, order_id: str, kind: str) -> list[dict[str, Any]]:
    return hub.store.query("SELECT * FROM events WHERE order_id=? AND type=?", (order_id, kind))


def test_a_realarm_for_a_deadline_met_offline_does_not_sound_again(drill: Drill) -> None:
    gw = drill.gw

    # The hub's `realarm` commands (queued for the terminal's session while it was away)
    # arrive with the reconnect: wait until the terminal has taken every one the hub made.
    sent = drill.hub.store.query(
        "SELECT count(*) AS n FROM outbox WHERE unit='power-co' AND kind='command'"
    )[0]["n"]
    assert sent >= 1

    def realarms_stored() -> bool:
        with gw.store.read() as c:
            got = c.execute("SELECT count(*) FROM seen WHERE kind = 'command'").fetchone()[0]
        return bool(got >= sent)

    wait_for(realarms_stored, what="the hub's realarms to reach the terminal")
    # (Order C, dispatched during the outage and not acknowledged, rightly alarms.)
    assert not gw.orders.get(drill.order_id).alarming
    assert drill.order_id not in [o.order_id for o in gw.orders.alarming()]
