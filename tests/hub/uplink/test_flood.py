"""Issue 11, case 4: one unit flooding refused messages cannot fill the hub's disk.

Every refused message is counted exactly, per unit and reason (`rejected_counts`), but its
raw bytes are kept only as a sample: the latest `[uplink] rejected_sample` (20) per unit
and reason, and no more than a unit's token bucket allows (`rejected_burst` 30, refilled at
`rejected_rate_per_s` 1/s); beyond it a refusal is counted and not written. The console's
units page shows the unit with its count.
"""

from __future__ import annotations

import base64

import pytest

from hub.runtime import Hub
from tests.hub.harness import Terminal
from tests.hub.uplink.conftest import (
    Hubs,
    health,
    publish,
    publish_all,
    refused,
    up,
    version_of,
)
from tests.support.wait import wait_for
from wire.clock import FakeClock

pytestmark = pytest.mark.broker
FLOOD = 300
SIG = base64.b64encode(bytes(64)).decode()  # well formed, never valid


def _forged(i: int) -> bytes:
    text = "x" * 60_000
    return (
        f'{{"v":1,"id":"01JFLOOD0000000000000{i:05d}","kind":"feedback","unit":"power-co",'
        '"at":"2026-01-05T01:00:00.000Z","body":{"order_id":"01JORDER0000000000000001",'
        f'"result_code":"resolved","text":"{text}"}},"sig":"{SIG}"}}'
    ).encode()


def _kept(hub: Hub, unit: str, reason: str) -> tuple[int, int]:
    row = hub.store.one(
        "SELECT count(*) AS n, coalesce(sum(length(raw)), 0) AS bytes FROM rejected"
        " WHERE unit=? AND reason=?",
        (unit, reason),
    )
    assert row is not None
    return int(row["n"]), int(row["bytes"])


def test_a_flood_is_counted_exactly_but_kept_only_as_a_bounded_sample(
    hubs: Hubs, terminals: dict[str, Terminal], clock: FakeClock
) -> None:
    hub = hubs.start()
    power = terminals["power-co"]
    publish_all(power.mqtt, up("power-co"), [_forged(i) for i in range(FLOOD)])
    power.send("health", health("after-flood"))  # behind the flood on the same connection
    wait_for(lambda: version_of(hub, "power-co") == "after-flood", timeout=30, what="flood read")
    kept, size = _kept(hub, "power-co", "bad_signature")
    assert kept == 20 and size <= 20 * 64 * 1024
    assert refused(hub, "power-co", "bad_signature") == FLOOD
    # The clock stood still: past the burst of 30 nothing more was written row by row.
    row = hub.store.one("SELECT sum(unkept) AS n FROM rejected_counts WHERE unit='power-co'")
    assert row == {"n": FLOOD - 30}
    newest = hub.store.one("SELECT max(raw) AS raw FROM rejected WHERE unit='power-co'")
    assert newest and b"01JFLOOD000000000000000029" in newest["raw"]
    # Time refills the bucket: the next refusals are kept again, the sample stays at 20.
    clock.advance(10)
    publish(power.mqtt, up("power-co"), _forged(FLOOD))
    wait_for(lambda: refused(hub, "power-co", "bad_signature") == FLOOD + 1, what="one more")
    assert _kept(hub, "power-co", "bad_signature")[0] == 20
    latest = hub.store.one("SELECT raw FROM rejected ORDER BY seq DESC LIMIT 1")
    assert latest and b"01JFLOOD0000000000000%05d" % FLOOD in latest["raw"]
    # Another unit is neither slowed nor throttled by power-co's flood.
    terminals["water-co"].send("health", health("w"))
    wait_for(lambda: version_of(hub, "water-co") == "w", timeout=1.0, what="water-co")
