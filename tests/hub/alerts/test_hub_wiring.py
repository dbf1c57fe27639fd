"""The running hub with [notify]: its deadline thread queues, its SMS thread sends through
the pty modem, both stop with the hub; /metrics counts what went out."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from demo.broker import Broker
from demo.modem import ModemSimulator
from hub.runtime import Hub
from tests.hub.alerts.conftest import messages, notify_settings
from tests.hub.conftest import incident_data
from tests.hub.harness import hub_config
from tests.support.pki import ThrowawayPKI
from tests.support.wait import wait_for
from wire.clock import FakeClock

pytestmark = pytest.mark.broker


def test_the_hub_sends_an_escalation_sms_and_stops_its_sender(
    tmp_path: Path, broker: Broker, test_pki: ThrowawayPKI, sim: ModemSimulator
) -> None:
    clock = FakeClock()
    config = hub_config(tmp_path / "PKI", broker, test_pki, [], notify=notify_settings(sim))
    hub = Hub(config, clock=clock)
    hub.start()
    try:
        assert hub.sms is not None
        hub.desk.intake(incident_data(), source="cad-110")
        clock.advance(31)  # the terminal never said `received`
        hub.parts.wake.deadlines.set()
        got = wait_for(lambda: messages(sim), timeout=10, what="the SMS at the modem")
        assert got[0][0] == "08787710026"
        assert "未送达终端（时限30秒）" in got[0][1]
        wait_for(lambda: hub.store.one("SELECT state FROM notifications") == {"state": "sent"})
        with urllib.request.urlopen(f"{hub.url}/metrics", timeout=5) as r:  # noqa: S310
            text = r.read().decode()
        assert 'ld_hub_notifications_total{outcome="sent"} 1.0' in text
        assert "ld_hub_notifications_pending 0.0" in text
    finally:
        hub.stop()
    assert hub.sms._thread is not None and not hub.sms._thread.is_alive()
