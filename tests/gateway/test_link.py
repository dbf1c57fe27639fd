"""The terminal on a real Mosquitto with mutual TLS; the hub is a plain paho client that
signs with the test dispatch key and sends receipts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import msgspec
import pytest

from demo.broker import Broker
from demo.netcut import NetCut
from gateway.devices.simulators import PrinterSimulator
from gateway.terminal import Gateway
from tests.gateway.conftest import Hub, TerminalFiles, order_body
from tests.support.wait import wait_for
from wire.clock import SystemClock
from wire.kinds import FeedbackBody

pytestmark = pytest.mark.broker


@pytest.fixture
def proxy(broker: Broker) -> Iterator[NetCut]:
    p = NetCut(("127.0.0.1", broker.port)).start()
    yield p
    p.close()


def _gateway(
    files: TerminalFiles, port: int, make: Callable[..., Gateway], **kw: object
) -> Gateway:
    files.broker_port = port
    gw = make(files.config(), SystemClock(), **kw)
    wait_for(gw.link.subscribed.is_set, 10, "the terminal to connect and subscribe")
    return gw


def test_online_state_order_received_and_receipt(
    files: TerminalFiles,
    broker: Broker,
    hub: Hub,
    printer_sim: PrinterSimulator,
    make_gateway: Callable[..., Gateway],
) -> None:
    files.printer_url = printer_sim.url
    gw = _gateway(files, broker.port, make_gateway)
    state = hub.wait_kind("state")
    assert state["body"]["status"] == "online"
    assert state["body"]["health"]["printer"] in ("ok", "unknown")
    hub.send("order", order_body(now=datetime.now().astimezone()))
    received = hub.wait_kind("received")
    assert received["body"]["order_id"] == "01JORDER0000000000000001"
    wait_for(lambda: gw.health().outbox_depth == 0, 5, "the receipt to empty the outbox")
    wait_for(lambda: "社会应急联动指令单" in printer_sim.text(), 5, "the slip")
    assert gw.alarm.active
    assert gw.clock_offset_s() is not None


def test_persistent_session_queues_orders_while_the_terminal_is_away(
    files: TerminalFiles, broker: Broker, hub: Hub, make_gateway: Callable[..., Gateway]
) -> None:
    gw = _gateway(files, broker.port, make_gateway)
    hub.wait_kind("state")
    gw.stop()
    assert hub.wait_kind("state")["body"]["status"] == "offline"
    hub.send("order", order_body())  # the broker holds it for the unit's session
    again = _gateway(files, broker.port, make_gateway)
    assert hub.wait_kind("received")["body"]["order_id"] == "01JORDER0000000000000001"
    wait_for(lambda: again.alarm.active, 5, "the alarm")


@pytest.mark.slow
def test_thousand_reports_made_in_an_outage_arrive_exactly_once(
    files: TerminalFiles,
    proxy: NetCut,
    hub: Hub,
    make_gateway: Callable[..., Gateway],
) -> None:
    gw = _gateway(files, proxy.port, make_gateway, health_interval=3600)
    oid = "01JORDER0000000000000001"
    hub.send("order", order_body(oid, now=datetime.now().astimezone()))
    hub.wait_kind("received")
    wait_for(lambda: gw.spooler.printed == 1, 5, "the slip (its `printed` report)")
    wait_for(lambda: gw.health().outbox_depth == 0, 5, "the received report's receipt")
    proxy.cut()
    wait_for(lambda: not gw.link.connected.is_set(), 10, "the link to notice the outage")
    before = len(hub.seen_ids)
    for i in range(1000):
        gw.feedback(oid, "resolved", f"第{i}次反馈")
    assert gw.health().outbox_depth == 1000
    with gw.store.read() as c:
        made = {r[0] for r in c.execute("SELECT id FROM outbox")}
    proxy.restore()
    wait_for(lambda: gw.health().outbox_depth == 0, 20, "the outbox to drain")
    got = hub.seen_ids[before:]
    assert len(got) == len(set(got)) == 1000, "every report exactly once"
    assert set(got) == made


def test_feedback_report_keeps_its_original_time(
    files: TerminalFiles, proxy: NetCut, hub: Hub, make_gateway: Callable[..., Gateway]
) -> None:
    gw = _gateway(files, proxy.port, make_gateway)
    hub.send("order", order_body(now=datetime.now().astimezone()))
    hub.wait_kind("received")
    proxy.cut()
    wait_for(lambda: not gw.link.connected.is_set(), 10, "the outage")
    made_at = datetime.now().astimezone()
    gw.feedback("01JORDER0000000000000001", "resolved", "已恢复供电。")
    proxy.restore()
    fb = hub.wait_kind("feedback", 15)
    at = datetime.fromisoformat(fb["at"].replace("Z", "+00:00"))
    assert abs((at - made_at).total_seconds()) < 1
    assert msgspec.convert(fb["body"], FeedbackBody).text == "已恢复供电。"


def test_the_link_state_on_the_kiosk_follows_the_link(
    files: TerminalFiles, proxy: NetCut, hub: Hub, make_gateway: Callable[..., Gateway]
) -> None:
    """Cut: the kiosk says the link is down and why; restored: it says connected, and the
    old error is gone from status.json too (it used to stay after reconnecting)."""
    from gateway.kiosk import create_app

    gw = _gateway(files, proxy.port, make_gateway)
    kiosk = create_app(gw).test_client()
    proxy.cut()
    wait_for(lambda: not gw.link.connected.is_set(), 10, "the link to notice the outage")
    wait_for(lambda: gw.link.last_error != "", 10, "the link to record why")
    down = kiosk.get("/").get_data(as_text=True)
    assert "未连接" in down and ("正在重" in down)
    proxy.restore()
    wait_for(gw.link.connected.is_set, 20, "the link to come back")
    assert gw.health_status.status()["link"] == {"connected": True, "error": "", "cause": ""}
    up = kiosk.get("/").get_data(as_text=True)
    assert "已连接" in up and "未连接" not in up and "正在重" not in up
