"""Drill: a self-recorded call (自接警情, 双轨制) made at the kiosk while the terminal is cut
off from the broker. It waits in the outbox, reaches the hub once the line is back with its
own signed times, becomes one incident sourced from the unit, and a second delivery of the
same report makes nothing new.

Real Mosquitto with mutual TLS, the real hub and the real Gateway with its kiosk (Flask test
client), one FakeClock: the hour offline passes without sleeping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from demo.netcut import NetCut
from gateway.kiosk import create_app
from gateway.uplink.outbox import Report
from hub.config import load_config
from hub.runtime import Hub
from tests.e2e.conftest import Running
from tests.e2e.county import County
from tests.e2e.terminals import gateway
from tests.support.wait import wait_for
from wire.clock import FakeClock, shanghai

pytestmark = [pytest.mark.broker, pytest.mark.slow]

UNIT = "water-co"


@pytest.fixture
def county(make_county: Callable[[list[str]], County]) -> County:
    return make_county([UNIT])


@pytest.fixture
def proxy(county: County) -> Iterator[NetCut]:
    p = NetCut(("127.0.0.1", county.broker.port)).start()
    yield p
    p.close()


def _local(when: datetime) -> str:
    return shanghai(when).strftime("%Y-%m-%dT%H:%M")


def test_a_call_recorded_offline_reaches_the_hub_once_with_its_own_times(
    county: County, proxy: NetCut, running: Running
) -> None:
    clock = FakeClock(datetime.now(UTC).replace(second=0, microsecond=0))
    hub = Hub(load_config(county.hub_toml), clock=clock)
    hub.start()
    running.add(hub.stop)
    gw = gateway(county, UNIT, clock, mqtt_port=proxy.port)
    gw.start()
    running.add(gw.stop)
    wait_for(gw.link.connected.is_set, what="the terminal to connect")

    proxy.cut()
    wait_for(lambda: not gw.link.connected.is_set(), what="the terminal to see the outage")
    clock.advance(30 * 60)
    kiosk = create_app(gw).test_client()
    page = kiosk.get("/selfcall").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    taken = clock.now() - timedelta(minutes=25)
    arrived = clock.now() - timedelta(minutes=10)
    done = kiosk.post(
        "/selfcall",
        data={
            "csrf_token": token.group(1),
            "category": "water-main-burst",
            "township": "tuodian",
            "address": "妥甸镇南街 3 号",
            "taken_at": _local(taken),
            "caller_phone": "13912345678",
            "summary": "群众直接来电：南街水管爆裂。",
            "arrived_at": _local(arrived),
            "result_code": "resolved",
            "result_text": "已关阀抢修。",
            "needs_assist": "y",
            "assist_note": "需交警疏导交通",
        },
    )
    assert done.status_code == 302
    recorded = clock.now()
    [(_, report_id, payload)] = gw.outbox.batch(0, 10)
    assert gw.outbox.waiting("selfcall") == 1
    assert hub.store.query("SELECT id FROM incidents") == []  # nothing got through

    clock.advance(40 * 60)  # the line comes back 40 minutes later
    link_back = clock.now()
    proxy.restore()
    wait_for(gw.link.connected.is_set, 15, "the terminal to reconnect")
    wait_for(lambda: gw.outbox.waiting("selfcall") == 0, 15, "the self-recorded call receipted")

    [row] = hub.store.query("SELECT * FROM incidents WHERE source=?", (f"unit:{UNIT}",))
    incident = hub.desk.incident(str(row["id"]))
    assert incident.caller_phone_masked == "139****5678"
    assert incident.reported_at == taken
    [order] = incident.orders
    assert (order.unit, order.state) == (UNIT, "fed_back")
    assert order.acked_at == taken and order.arrived_at == arrived
    assert order.fed_back_at == recorded < link_back  # judged by its signed time
    evidence = hub.store.one("SELECT * FROM events WHERE id=?", (report_id,))
    assert evidence is not None and evidence["raw"] == payload
    assert "13912345678" not in hub.store.db.execute("SELECT * FROM incidents").fetchall().__str__()

    # The same report delivered again (a lost receipt): receipted, nothing new.
    gw.outbox.add(Report(report_id, "selfcall", "", payload))
    gw.sender.kick()
    wait_for(lambda: gw.outbox.waiting("selfcall") == 0, 15, "the repeat receipted")
    assert len(hub.store.query("SELECT id FROM incidents")) == 1
    assert len(hub.store.query("SELECT id FROM orders")) == 1
