"""Orders down and reports up through a real Mosquitto, with real SQLite and paho clients."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.broker import Broker
from hub.errors import ConfigError
from hub.runtime import Hub
from provisioning import pki
from tests.hub.conftest import count, incident_data
from tests.hub.harness import Terminal, hub_config
from tests.support.pki import ThrowawayPKI
from tests.support.wait import wait_for
from wire import kinds as k
from wire.clock import FakeClock
from wire.signing import Signer

pytestmark = pytest.mark.broker
UNITS = ["power-co", "water-co", "fire", "tuodian-gov"]


@pytest.fixture
def hub(tmp_path: Path, broker: Broker, test_pki: ThrowawayPKI, clock: FakeClock) -> Iterator[Hub]:
    h = Hub(hub_config(tmp_path / "PKI", broker, test_pki, UNITS), clock=clock)
    h.start()
    wait_for(h.link.connected.is_set, what="hub connected")
    yield h
    h.stop()


def test_a_hub_that_cannot_be_built_says_why(
    tmp_path: Path, broker: Broker, test_pki: ThrowawayPKI
) -> None:
    """`liandong-hub serve` shows a ConfigError as a one-line message: a missing TLS file or
    a taken port must be one, not a traceback (and the half-built hub is closed)."""
    config = hub_config(tmp_path / "PKI", broker, test_pki, UNITS)
    no_cert = dataclasses.replace(config.mqtt, cert=tmp_path / "missing.crt")
    with pytest.raises(ConfigError, match=r"missing\.crt"):
        Hub(dataclasses.replace(config, mqtt=no_cert))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = dataclasses.replace(config, listen_port=taken.getsockname()[1])
        with pytest.raises(ConfigError, match=r"cannot listen on 127\.0\.0\.1"):
            Hub(busy)


@pytest.fixture
def terminals(
    hub: Hub, broker: Broker, test_pki: ThrowawayPKI, clock: FakeClock
) -> Iterator[dict[str, Terminal]]:
    dispatch = Signer.from_pem(hub.config.dispatch_key.read_bytes())
    ts = {u: Terminal(broker, test_pki, u, dispatch, clock) for u in UNITS}
    yield ts
    for t in ts.values():
        t.close()


def _order_state(hub: Hub, order_id: str) -> str:
    return hub.desk.order(order_id).state


def test_order_lifecycle_with_receipts(
    hub: Hub, terminals: dict[str, Terminal], clock: FakeClock
) -> None:
    view, created = hub.desk.intake(incident_data(), source="cad-110")
    assert created
    power = terminals["power-co"]
    order = power.next("order")
    body = order.body
    assert isinstance(body, k.OrderBody)
    assert body.order_id == view.orders[0].id and body.caller_phone == "138****5678"
    rid = power.send("received", k.ReceivedBody(order_id=body.order_id))
    assert rid in power.receipt_ids()
    assert _order_state(hub, body.order_id) == "received"
    clock.advance(60)
    power.send("ack", k.AckBody(order_id=body.order_id))
    power.next("receipt")
    clock.advance(600)
    power.send("arrived", k.ArrivedBody(order_id=body.order_id, source="button"))
    power.next("receipt")
    power.send(
        "feedback", k.FeedbackBody(order_id=body.order_id, result_code="resolved", text="已恢复")
    )
    power.next("receipt")
    o = hub.desk.order(body.order_id)
    assert o.state == "fed_back" and o.overdue == [] and o.result_code == "resolved"
    timeline = hub.desk.incident(view.id).timeline
    assert [e.type for e in timeline] == [
        "incident",
        "dispatched",
        "received",
        "ack",
        "arrived",
        "feedback",
    ]
    ack = next(e for e in timeline if e.type == "ack")
    assert ack.source == "unit:power-co"
    stored = hub.store.one("SELECT sig, raw FROM events WHERE type='ack'")
    assert stored and stored["sig"] and b'"kind":"ack"' in stored["raw"]


def test_metrics_show_the_link_and_the_time_to_apply_a_report(
    hub: Hub, terminals: dict[str, Terminal]
) -> None:
    metrics = hub.metrics.registry
    assert metrics.get_sample_value("ld_hub_mqtt_connected") == 1.0
    hub.desk.intake(incident_data(), source="cad-110")
    power = terminals["power-co"]
    power.send("ack", k.AckBody(order_id=power.next_order().order_id))
    power.next("receipt")
    assert metrics.get_sample_value("ld_hub_report_apply_seconds_count") == 1.0


def test_duplicate_report_is_counted_once_and_receipted_again(
    hub: Hub, terminals: dict[str, Terminal]
) -> None:
    hub.desk.intake(incident_data(), source="cad-110")
    power = terminals["power-co"]
    order_id = power.next_order().order_id
    mid = power.send("ack", k.AckBody(order_id=order_id))
    power.next("receipt")
    power.send("ack", k.AckBody(order_id=order_id), msg_id=mid)
    assert mid in power.receipt_ids()
    assert count(hub, "SELECT count(*) FROM events WHERE type='ack'") == 1


def test_forged_report_is_refused(hub: Hub, terminals: dict[str, Terminal]) -> None:
    hub.desk.intake(incident_data(), source="cad-110")
    power = terminals["power-co"]
    order_id = power.next_order().order_id
    forger = Signer(pki.new_key())  # a key the county CA never certified for power-co
    power.send("ack", k.AckBody(order_id=order_id), signer=forger)
    row = wait_for(lambda: hub.store.one("SELECT * FROM rejected"), what="rejection")
    assert row["reason"] == "bad_signature" and row["unit"] == "power-co"
    assert _order_state(hub, order_id) == "dispatched"


def test_report_for_another_units_order_is_never_applied(
    hub: Hub, terminals: dict[str, Terminal]
) -> None:
    hub.desk.intake(incident_data(), source="cad-110")
    order_id = terminals["power-co"].next_order().order_id
    water = terminals["water-co"]
    mid = water.send("ack", k.AckBody(order_id=order_id))
    assert mid in water.receipt_ids()
    row = hub.store.one("SELECT * FROM rejected")
    assert row and row["reason"] == "wrong_order" and row["unit"] == "water-co"
    assert _order_state(hub, order_id) == "dispatched"
    # and a report whose envelope names another unit than its topic is refused too
    water.send("ack", k.AckBody(order_id=order_id), as_unit="power-co")
    wait_for(
        lambda: hub.store.one("SELECT 1 AS x FROM rejected WHERE reason='wrong_unit'"),
        what="wrong_unit rejection",
    )
    assert _order_state(hub, order_id) == "dispatched"


def test_pending_order_is_resent_when_the_unit_comes_online(
    hub: Hub, terminals: dict[str, Terminal]
) -> None:
    hub.desk.intake(incident_data(), source="cad-110")
    power = terminals["power-co"]
    first = power.next("order")
    power.online()
    again = power.next("order")
    assert again.id == first.id  # the same signed message, deduplicated by the terminal
    wait_for(
        lambda: (
            hub.desk.units_status()[0] is not None
            and any(u.online for u in hub.desk.units_status() if u.id == "power-co")
        ),
        what="power-co online",
    )


def test_cancel_and_realarm_reach_the_terminal(
    hub: Hub, terminals: dict[str, Terminal], clock: FakeClock
) -> None:
    hub.desk.intake(incident_data(), source="cad-110")
    power = terminals["power-co"]
    order_id = power.next_order().order_id
    power.send("received", k.ReceivedBody(order_id=order_id))
    power.next("receipt")
    clock.advance(181)
    assert hub.engine.run_due() == 1  # ack is due at 3 min
    cmd = power.next("command").body
    assert isinstance(cmd, k.CommandBody) and cmd.command == "realarm" and cmd.order_id == order_id
    assert hub.desk.order(order_id).overdue == ["ack"]
    hub.desk.cancel_order(order_id, by="王", reason="重复警情")
    cancel = power.next("cancel").body
    assert isinstance(cancel, k.CancelBody) and cancel.order_id == order_id


def test_tracker_fix_near_the_scene_reports_arrival(
    hub: Hub, terminals: dict[str, Terminal], broker: Broker, clock: FakeClock
) -> None:
    view, _ = hub.desk.intake(incident_data(lat=24.689, lon=101.641), source="cad-110")
    order_id = view.orders[0].id
    power = terminals["power-co"]
    far = b'{"_type":"location","lat":24.70,"lon":101.641,"tst":1767574800,"acc":10}'
    near = b'{"_type":"location","lat":24.6895,"lon":101.6412,"tst":1767574860,"acc":10}'
    power.mqtt.publish("ld/v1/shuangbai/power-co/trackers/car1", far)
    wait_for(
        lambda: any(u.lat for u in hub.desk.units_status() if u.id == "power-co"),
        what="position",
    )
    assert _order_state(hub, order_id) == "dispatched"
    power.mqtt.publish("ld/v1/shuangbai/power-co/trackers/car1", near)
    wait_for(lambda: _order_state(hub, order_id) == "arrived", what="tracker arrival")
    e = next(e for e in hub.desk.incident(view.id).timeline if e.type == "arrived")
    assert e.source == "tracker:car1" and e.detail["via"] == "tracker"


def test_a_burst_goes_through_a_small_window(
    tmp_path: Path, broker: Broker, test_pki: ThrowawayPKI, clock: FakeClock
) -> None:
    """40 orders through a window of 3: none lost, never more than 3 held by paho."""
    h = Hub(hub_config(tmp_path / "PKI", broker, test_pki, ["power-co"], window=3), clock=clock)
    h.start()
    dispatch = Signer.from_pem(h.config.dispatch_key.read_bytes())
    term = Terminal(broker, test_pki, "power-co", dispatch, clock)
    peak = 0
    try:
        wait_for(h.link.connected.is_set, what="hub connected")
        with h.store.write():
            for i in range(40):
                h.desk.intake(incident_data(source_id=f"B{i}"), source="cad-110")
        got: set[str] = set()
        while len(got) < 40:
            got.add(term.next_order().order_id)
            peak = max(peak, int(h.metrics.registry.get_sample_value("ld_hub_inflight") or 0))
        assert len(got) == 40
        assert peak <= 3
    finally:
        term.close()
        h.stop()
