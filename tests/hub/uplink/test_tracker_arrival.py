"""Issue 11, case 2: old tracker fixes never mark an order arrived.

A fix counts as arrival only when it was taken after the order was dispatched (no clock
tolerance: a fix 18 s before dispatch is a fix from before the order existed), is no older
than `[trackers] max_fix_age_s` (120 s) by the hub's clock when it arrives, and was not
delivered from the broker's retained store. Anything else is still the unit's last known
position.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from hub.runtime import Hub
from tests.hub.conftest import incident_data
from tests.hub.harness import COUNTY, Terminal
from tests.hub.uplink.conftest import Hubs, publish, unit_row
from tests.support.wait import wait_for
from wire import topics
from wire.clock import FakeClock, rfc3339

pytestmark = pytest.mark.broker
NEAR = (24.6895, 101.6412)  # 60 m from the incident at (24.689, 101.641)
FAR = (24.70, 101.641)
CAR = topics.tracker(COUNTY, "power-co", "car1")


def _fix(at: datetime, where: tuple[float, float] = NEAR) -> bytes:
    lat, lon = where
    return json.dumps(
        {"_type": "location", "lat": lat, "lon": lon, "tst": int(at.timestamp()), "acc": 10}
    ).encode()


def _dispatch(hub: Hub) -> str:
    view, _ = hub.desk.intake(incident_data(), source="cad-110")
    return view.orders[0].id


def _at_position(hub: Hub, at: datetime) -> None:
    wait_for(
        lambda: unit_row(hub, "power-co").get("position_at") == rfc3339(at),
        what=f"position of {rfc3339(at)}",
    )


def _state(hub: Hub, order_id: str) -> str:
    return hub.desk.order(order_id).state


def test_a_retained_fix_from_an_hour_before_dispatch_is_only_a_position(
    hubs: Hubs, terminals: dict[str, Terminal], clock: FakeClock
) -> None:
    hub = hubs.start()
    order_id = _dispatch(hub)
    old = clock.now() - timedelta(hours=1)
    publish(terminals["power-co"].mqtt, CAR, _fix(old), retain=True)
    _at_position(hub, old)
    assert _state(hub, order_id) == "dispatched"
    # The hub subscribes again at every start and the broker re-delivers the retained fix.
    hub = hubs.restart(hub)
    later = clock.now() - timedelta(seconds=30)
    publish(terminals["power-co"].mqtt, CAR, _fix(later, FAR))  # behind the retained one
    _at_position(hub, later)
    assert _state(hub, order_id) == "dispatched"
    types = [e.type for e in hub.desk.incident(hub.desk.order(order_id).incident_id).timeline]
    assert "arrived" not in types


def test_a_fix_taken_18_s_before_dispatch_does_not_count(
    hubs: Hubs, terminals: dict[str, Terminal], clock: FakeClock
) -> None:
    hub = hubs.start()
    order_id = _dispatch(hub)
    before = clock.now() - timedelta(seconds=18)
    clock.advance(5)
    publish(terminals["power-co"].mqtt, CAR, _fix(before))
    _at_position(hub, before)
    assert _state(hub, order_id) == "dispatched"


def test_a_fix_older_than_the_age_limit_does_not_count_a_fresh_one_does(
    hubs: Hubs, terminals: dict[str, Terminal], clock: FakeClock
) -> None:
    hub = hubs.start()
    assert hub.config.max_fix_age_s == 120
    order_id = _dispatch(hub)
    after_dispatch = clock.now() + timedelta(seconds=60)
    clock.advance(600)  # the fix reaches the hub 540 s after it was taken
    publish(terminals["power-co"].mqtt, CAR, _fix(after_dispatch))
    _at_position(hub, after_dispatch)
    assert _state(hub, order_id) == "dispatched"
    fresh = clock.now() - timedelta(seconds=5)
    publish(terminals["power-co"].mqtt, CAR, _fix(fresh))
    wait_for(lambda: _state(hub, order_id) == "arrived", what="arrival from a fresh fix")
    assert hub.desk.order(order_id).arrived_at == fresh


def test_a_fresh_fix_delivered_from_the_retained_store_is_only_a_position(
    hubs: Hubs, terminals: dict[str, Terminal], clock: FakeClock
) -> None:
    """Taken after dispatch and only 10 s old, but read from the broker's retained store
    when the hub subscribed: that says where the unit was, not that it has just arrived."""
    hub = hubs.build()  # no broker session yet: the fix reaches it only as retained
    order_id = _dispatch(hub)
    taken = clock.now() + timedelta(seconds=10)
    publish(terminals["power-co"].mqtt, CAR, _fix(taken), retain=True)
    clock.advance(20)
    hub = hubs.start(hub)
    _at_position(hub, taken)
    assert _state(hub, order_id) == "dispatched"
    live = clock.now() - timedelta(seconds=2)
    publish(terminals["power-co"].mqtt, CAR, _fix(live))
    wait_for(lambda: _state(hub, order_id) == "arrived", what="arrival from a live fix")
