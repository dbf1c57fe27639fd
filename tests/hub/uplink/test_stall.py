"""Issue 11, case 1: one unit's unreadable messages must never stall the county's uplink.

Mosquitto holds at most 20 unacknowledged messages per client in flight (its default
`max_inflight_messages`): a hub that leaves a message unacknowledged because of what is in
it gives the sender of 20 such messages a county-wide stall, which a restart does not end
(the broker delivers them again). A message is left unacknowledged only when the database
cannot take it right now; then it is tried again, and nothing is lost.
"""

from __future__ import annotations

import logging
import sqlite3

import pytest

from hub.runtime import Hub
from tests.hub.harness import Terminal
from tests.hub.uplink.conftest import Hubs, health, publish, refused, up, version_of
from tests.support.wait import wait_for
from wire.clock import rfc3339

pytestmark = pytest.mark.broker
IN_FLIGHT = 20  # Mosquitto's max_inflight_messages
HUGE = b"9" * 5000  # Python's int() refuses more than 4,300 digits: a plain ValueError


def _huge_number(hub: Hub, i: int) -> bytes:
    at = rfc3339(hub.desk.clock.now()).encode()
    return (
        b'{"v":1,"id":"01JHUGE00000000000000000%02d","kind":"health","unit":"power-co",' % i
        + b'"at":"'
        + at
        + b'","body":{"version":"x","uptime_s":1,"printer":"ok","outbox_depth":'
        + HUGE
        + b'},"sig":"AAAA"}'
    )


def test_a_unit_sending_numbers_too_long_to_parse_cannot_stall_other_units(
    hubs: Hubs, terminals: dict[str, Terminal]
) -> None:
    hub = hubs.start()
    power, water = terminals["power-co"], terminals["water-co"]
    for i in range(IN_FLIGHT + 5):
        publish(power.mqtt, up("power-co"), _huge_number(hub, i))
    water.send("health", health("w-1"))
    wait_for(lambda: version_of(hub, "water-co") == "w-1", timeout=1.0, what="water-co applied")
    wait_for(lambda: refused(hub, "power-co", "not_json") == IN_FLIGHT + 5, what="all refused")
    # Refused and acknowledged: a restart gets none of them back.
    hub = hubs.restart(hub)
    water.send("health", health("w-2"))
    wait_for(lambda: version_of(hub, "water-co") == "w-2", timeout=1.0, what="after restart")
    assert refused(hub, "power-co", "not_json") == IN_FLIGHT + 5


def test_an_unexpected_error_refuses_that_message_and_logs_it(
    hubs: Hubs, terminals: dict[str, Terminal], caplog: pytest.LogCaptureFixture
) -> None:
    """A failure in the hub's own processing of one unit's messages (here a fault put into
    the database: every report of power-co makes the write fail) is recorded as
    `internal_error` with its traceback, acknowledged, and never blocks another unit."""
    hub = hubs.start()
    with hub.store.write() as db:
        db.execute(
            "CREATE TEMP TRIGGER injected_fault BEFORE INSERT ON main.seen"
            " WHEN NEW.unit = 'power-co' BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
        )
    power, water = terminals["power-co"], terminals["water-co"]
    with caplog.at_level(logging.ERROR, logger="hub"):
        for i in range(IN_FLIGHT + 5):
            power.send("health", health(f"p-{i}"))
        water.send("health", health("w-1"))
        wait_for(lambda: version_of(hub, "water-co") == "w-1", timeout=1.0, what="water-co")
        wait_for(lambda: refused(hub, "power-co", "internal_error") == IN_FLIGHT + 5, what="all")
    assert version_of(hub, "power-co") is None
    row = hub.store.one("SELECT message, raw FROM rejected WHERE reason='internal_error'")
    assert row and "injected fault" in row["message"] and b'"kind":"health"' in row["raw"]
    logged = [r for r in caplog.records if r.exc_info and "internal_error" in r.getMessage()]
    assert len(logged) == IN_FLIGHT + 5
    assert "injected fault" in str(logged[0].exc_info[1])  # type: ignore[index]


def test_a_locked_database_leaves_the_report_unacknowledged_then_applies_it(
    hubs: Hubs, terminals: dict[str, Terminal]
) -> None:
    """A database that is momentarily busy is no fault of the message: it is neither
    refused nor acknowledged, and it is applied once the database is free again, without
    waiting for a reconnect."""
    hub = hubs.start()
    with hub.store.write() as db:
        db.execute("PRAGMA busy_timeout = 50")  # fail fast instead of waiting 30 s
    other = sqlite3.connect(str(hub.config.db_path), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        failures = hub.link.failures
        terminals["water-co"].send("health", health("w-locked"))
        wait_for(lambda: hub.link.failures > failures, what="a failed write")
        assert version_of(hub, "water-co") is None
    finally:
        other.execute("ROLLBACK")
        other.close()
    wait_for(lambda: version_of(hub, "water-co") == "w-locked", timeout=5.0, what="applied")
    assert hub.store.one("SELECT count(*) AS n FROM rejected") == {"n": 0}
