"""A report is acknowledged to the broker only after the commit of its batch: a hub that
stops while the database cannot take the batch leaves it with the broker, and the next hub
on the same session gets it again and applies it. Acknowledging before the commit would
lose it here (the first hub's retry queue dies with it)."""

from __future__ import annotations

import sqlite3

from tests.hub.harness import Terminal
from tests.hub.uplink.conftest import Hubs, health, version_of
from tests.support.wait import wait_for


def test_a_report_not_committed_is_not_acknowledged_and_comes_again(
    hubs: Hubs, terminals: dict[str, Terminal]
) -> None:
    hub = hubs.start()
    with hub.store.write() as db:
        db.execute("PRAGMA busy_timeout = 50")  # fail fast instead of waiting 30 s
    other = sqlite3.connect(str(hub.config.db_path), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        failures = hub.link.failures
        terminals["water-co"].send("health", health("w-held"))
        wait_for(lambda: hub.link.failures > failures, what="a batch that could not commit")
        hubs.stop(hub)  # gone before the database took it
    finally:
        other.execute("ROLLBACK")
        other.close()
    second = hubs.start()
    wait_for(lambda: version_of(second, "water-co") == "w-held", timeout=5.0, what="again")
