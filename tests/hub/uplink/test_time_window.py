"""Issue 11, case 6: positions and health dated far from the hub's clock are refused.

A signed position with `fix_at` in year 9999 used to become the unit's position for ever
(a later fix must be newer to replace it); health dated year 1, 1970 or 9999 was taken
as news. Outside `[uplink] max_report_age_s` (24 h) in the past or `max_report_ahead_s`
(5 min) in the future such a report is refused as `time_out_of_range`, recorded, and
receipted so that the terminal stops sending it. Reports about orders keep their own rule
(`judged_time`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.hub.harness import COUNTY, Terminal
from tests.hub.uplink.conftest import Hubs, health, publish, refused, unit_row, version_of
from tests.support.wait import wait_for
from wire import kinds as k
from wire import topics
from wire.clock import FakeClock, rfc3339

pytestmark = pytest.mark.broker
HERE = k.Position(lat=24.689, lon=101.641)


def test_a_far_future_position_does_not_freeze_the_units_position(
    hubs: Hubs, terminals: dict[str, Terminal], clock: FakeClock
) -> None:
    hub = hubs.start()
    power = terminals["power-co"]
    far = datetime(9999, 12, 30, tzinfo=UTC)
    bad = power.send("position", k.PositionBody(position=HERE, fix_at=far))
    assert bad in power.receipt_ids()  # refused, and the terminal may forget it
    now = clock.now()
    power.send("position", k.PositionBody(position=HERE, fix_at=now))
    wait_for(
        lambda: unit_row(hub, "power-co").get("position_at") == rfc3339(now),
        what="the later fix applied",
    )
    assert refused(hub, "power-co", "time_out_of_range") == 1


@pytest.mark.parametrize(
    "when",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 30, tzinfo=UTC),
        None,  # 25 h ago
        "ahead",  # 10 min ahead
    ],
)
def test_health_dated_outside_the_window_is_refused(
    hubs: Hubs, terminals: dict[str, Terminal], clock: FakeClock, when: object
) -> None:
    hub = hubs.start()
    power = terminals["power-co"]
    power.send("health", health("good"))
    wait_for(lambda: version_of(hub, "power-co") == "good", what="good health")
    at = (
        when
        if isinstance(when, datetime)
        else clock.now() + timedelta(minutes=10)
        if when == "ahead"
        else clock.now() - timedelta(hours=25)
    )
    power.send("health", health("bad"), at=at)
    now = clock.now()
    power.send("position", k.PositionBody(position=HERE, fix_at=now))  # comes after it
    wait_for(lambda: unit_row(hub, "power-co").get("position_at") == rfc3339(now), what="sync")
    assert version_of(hub, "power-co") == "good"
    assert refused(hub, "power-co", "time_out_of_range") == 1


def test_a_far_future_tracker_fix_is_refused(
    hubs: Hubs, terminals: dict[str, Terminal], clock: FakeClock
) -> None:
    hub = hubs.start()
    car = topics.tracker(COUNTY, "power-co", "car1")
    fix = {"_type": "location", "lat": 24.689, "lon": 101.641, "acc": 10}
    publish(terminals["power-co"].mqtt, car, json.dumps({**fix, "tst": 4_102_444_800}).encode())
    now = clock.now()
    publish(
        terminals["power-co"].mqtt, car, json.dumps({**fix, "tst": int(now.timestamp())}).encode()
    )
    wait_for(
        lambda: unit_row(hub, "power-co").get("position_at") == rfc3339(now),
        what="the later fix applied",
    )
    assert refused(hub, "power-co", "time_out_of_range") == 1
