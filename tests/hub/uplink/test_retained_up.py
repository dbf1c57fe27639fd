"""Issue 11, case 7: a retained message on a unit's `up` topic is refused and cleared.

Mosquitto's ACL file cannot refuse the retain flag on one topic and allow it on another
(eclipse-mosquitto/mosquitto#87: only plugins see it), and `state` must stay retained. So
the hub drops and clears: a report that is, or was published as, retained on `up` is
refused as `retained` (recorded, acknowledged, never applied) and the hub publishes an
empty retained message on that topic, which removes it from the broker.
"""

from __future__ import annotations

import pytest

from demo.broker import Broker
from tests.hub.conftest import incident_data
from tests.hub.harness import Terminal
from tests.hub.uplink.conftest import (
    Hubs,
    health,
    publish,
    refused,
    retained_on,
    unit_row,
    up,
    version_of,
)
from tests.support.pki import ThrowawayPKI
from tests.support.wait import wait_for
from wire import codec
from wire import kinds as k
from wire.clock import FakeClock

pytestmark = pytest.mark.broker


def test_a_retained_report_waiting_on_up_is_refused_cleared_and_never_applied(
    hubs: Hubs,
    terminals: dict[str, Terminal],
    broker: Broker,
    test_pki: ThrowawayPKI,
    clock: FakeClock,
) -> None:
    hub = hubs.build()  # no session yet: the report reaches it only from the retained store
    view, _ = hub.desk.intake(incident_data(), source="cad-110")
    order_id = view.orders[0].id
    power = terminals["power-co"]
    _, ack = codec.encode(
        "ack", "power-co", k.AckBody(order_id=order_id), power.signer, at=clock.now()
    )
    publish(power.mqtt, up("power-co"), ack, retain=True)
    hub = hubs.start(hub)
    power.send("health", health("behind"))  # read after the retained one
    wait_for(lambda: version_of(hub, "power-co") == "behind", what="the next report")
    assert hub.desk.order(order_id).state == "dispatched"
    assert refused(hub, "power-co", "retained") == 1
    wait_for(lambda: retained_on(broker, test_pki, up("power-co")) is None, what="retained cleared")
    # The next subscribe (every start) finds nothing to re-deliver.
    hub = hubs.restart(hub)
    power.send("health", health("after"))
    wait_for(lambda: version_of(hub, "power-co") == "after", what="a live report")
    assert refused(hub, "power-co", "retained") == 1
    assert hub.desk.order(order_id).state == "dispatched"


def test_a_report_published_retained_while_the_hub_listens_is_refused_and_cleared(
    hubs: Hubs, terminals: dict[str, Terminal], broker: Broker, test_pki: ThrowawayPKI
) -> None:
    hub = hubs.start()
    power = terminals["power-co"]
    _, payload = codec.encode(
        "health", "power-co", health("sticky"), power.signer, at=hub.desk.clock.now()
    )
    publish(power.mqtt, up("power-co"), payload, retain=True)
    at = hub.desk.clock.now()
    power.send("position", k.PositionBody(position=k.Position(lat=24.7, lon=101.6), fix_at=at))
    wait_for(lambda: unit_row(hub, "power-co").get("position_at") is not None, what="sync")
    assert version_of(hub, "power-co") is None
    assert refused(hub, "power-co", "retained") == 1
    wait_for(lambda: retained_on(broker, test_pki, up("power-co")) is None, what="retained cleared")
    # The hub's own empty message is not read back as a report of power-co, and a unit
    # clearing a retained message itself is not refused either.
    publish(power.mqtt, up("power-co"), b"", retain=True)
    power.send("health", health("plain"))
    wait_for(lambda: version_of(hub, "power-co") == "plain", what="a plain report")
    assert hub.store.one("SELECT count(*) AS n FROM rejected") == {"n": 1}
