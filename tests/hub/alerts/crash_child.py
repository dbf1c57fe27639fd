"""A hub process for the kill -9 test: it queues the escalation SMS and then hangs, never
sending, until the test kills it (`python -m tests.hub.alerts.crash_child DB`)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from hub.alerts.settings import ModemSettings, NotifySettings
from tests.hub.alerts.conftest import open_service
from tests.hub.alerts.test_escalation import Quiet
from tests.hub.conftest import incident_data
from wire.clock import FakeClock


def main(db: Path) -> None:
    clock = FakeClock()
    notify = NotifySettings(channel="modem", modem=ModemSettings(port="/dev/ld-never-opened"))
    svc = open_service(db, clock, notify)
    svc.intake(incident_data(), source="cad-110")
    clock.advance(30 * 60 + 1)  # receive, ack and arrive missed: 5 messages queued
    svc.parts.engine(notifier=Quiet()).run_due()
    print("queued", flush=True)
    time.sleep(60)  # the hub would send now; it is killed first


if __name__ == "__main__":
    main(Path(sys.argv[1]))
