"""The hub sends nothing to a unit whose certificate is revoked (hub/revocation.py).

A real county PKI made by the provisioning library (CA, unit certificates, CRL, `revoke`),
the real service over SQLite on a FakeClock, and the real delivery loop over a link that
records what it would publish. The real broker and hub are in
tests/e2e/test_revoked_terminal.py.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import cast

import pytest

from hub.terminals.link import MqttLink
from hub.terminals.revocation import RevocationWatch
from hub.terminals.unit_certs import UnitKeys
from provisioning.county import init_county
from provisioning.enroll import enroll_unit
from provisioning.revocation import revoke
from tests.hub.conftest import count, incident_data
from tests.support.hubparts import TestService
from wire.clock import FakeClock

UNITS = ["power-co", "water-co"]


class RecordingLink:
    """What Delivery needs of MqttLink: connected, and publish() noting each topic."""

    def __init__(self) -> None:
        self.connected = threading.Event()
        self.connected.set()
        self.topics: list[str] = []
        self.on_published = None
        self.on_connected = None

    def publish(self, topic: str, payload: bytes) -> int:
        self.topics.append(topic)
        return len(self.topics)

    def to(self, unit: str) -> int:
        return sum(1 for t in self.topics if f"/{unit}/" in t)


@pytest.fixture
def county(tmp_path: Path) -> Path:
    root = tmp_path / "pki"
    init_county(root, "shuangbai")
    for unit in UNITS:
        enroll_unit(root, unit)
    return root


def _watch(service: TestService, county: Path, **kw: float) -> RevocationWatch:
    return service.parts.revocations(UnitKeys(county), min_interval_s=0, **kw)


def _events(service: TestService, kind: str, unit: str) -> int:
    return count(
        service,
        f"SELECT count(*) FROM events WHERE type='{kind}' AND unit='{unit}'",  # noqa: S608
    )


def test_a_revocation_is_seen_at_once_and_recorded_once(
    service: TestService, county: Path, clock: FakeClock
) -> None:
    watch = _watch(service, county)
    assert watch.refresh() == frozenset()
    revoke(county, "water-co", reason="terminal stolen")
    assert watch.refresh() == {"water-co"}  # the CRL file changed: no minute to wait
    revoked = {u.id for u in service.units_status() if u.revoked}
    assert revoked == {"water-co"}
    for _ in range(3):
        clock.advance(61)  # each a full re-read
        watch.refresh()
    # A restarted hub reads the same CRL and records nothing again.
    assert _watch(service, county).refresh(force=True) == {"water-co"}
    assert _events(service, "revoked", "water-co") == 1
    assert _events(service, "revoked", "power-co") == 0
    assert service.metrics.registry.get_sample_value("ld_hub_revoked_units") == 1


def test_enrolled_again_the_unit_gets_its_messages_again(
    service: TestService, county: Path
) -> None:
    watch = _watch(service, county)
    revoke(county, "water-co")
    assert watch.refresh() == {"water-co"}
    enroll_unit(county, "water-co", force=True)  # the replacement terminal's certificate
    assert watch.refresh() == frozenset()
    assert _events(service, "reinstated", "water-co") == 1


def test_a_missing_file_never_takes_a_unit_off_the_list(
    service: TestService, county: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """'No CRL' or 'no certificate' is not 'not revoked': the stolen terminal would get its
    orders again. The problem is logged once, not every second."""
    watch = _watch(service, county)
    revoke(county, "water-co")
    watch.refresh()
    crl = county / "ca" / "crl.pem"
    saved = crl.read_bytes()
    crl.unlink()
    for _ in range(3):
        assert watch.refresh(force=True) == {"water-co"}
    assert sum("stay refused" in r.getMessage() for r in caplog.records) == 1
    crl.write_bytes(saved)
    (county / "units" / "water-co" / "unit.crt").unlink()
    assert watch.refresh(force=True) == {"water-co"}
    assert _events(service, "reinstated", "water-co") == 0


def test_a_rewrite_the_file_times_hide_is_seen_within_the_minute(
    service: TestService, county: Path, clock: FakeClock
) -> None:
    """On a filesystem with coarse times a quick rewrite keeps the old time: the full
    re-read every minute of the hub's clock still finds it."""
    watch = _watch(service, county)
    crl = county / "ca" / "crl.pem"
    before = crl.stat()
    watch.refresh()
    revoke(county, "water-co")
    os.utime(crl, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert watch.refresh() == frozenset()  # same time, so not read yet ...
    clock.advance(60)
    assert watch.refresh() == {"water-co"}  # ... but within the minute


def test_delivery_sends_a_revoked_unit_nothing_and_the_others_everything(
    service: TestService, county: Path, clock: FakeClock
) -> None:
    watch = _watch(service, county)
    link = RecordingLink()
    delivery = service.parts.delivery(cast(MqttLink, link), window=5, revocations=watch)
    revoke(county, "water-co")
    # More waiting for the revoked unit than the whole window holds ...
    for i in range(8):
        service.intake(
            incident_data(source_id=f"W{i}", category="water-main-burst"), source="cad-110"
        )
    delivery.receipt("water-co", "01JREPORT0000000000000000")
    service.intake(incident_data(source_id="P1"), source="cad-110")
    delivery.pump()
    # ... and the other unit's order still goes out at once, while nothing goes to it.
    assert link.to("power-co") == 1
    assert link.to("water-co") == 0
    clock.advance(3600)  # every back-off long past
    for _ in range(3):
        delivery.pump()
    assert link.to("water-co") == 0
    waiting = count(service, "SELECT count(*) FROM outbox WHERE unit='water-co' AND attempts=0")
    assert waiting == 8  # kept, untouched: a terminal enrolled again gets them
