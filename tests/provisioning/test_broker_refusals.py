"""Who the broker turns away: no certificate, another CA, revoked, expired, and everyone
once the CRL is stale. Under TLS 1.3 the server checks the client certificate after the
client's side of the handshake is done, so a refusal may show as an SSL error from
connect() or as a closed socket before any CONNACK: either way, never "connected"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from demo.broker import Broker
from provisioning import pki
from provisioning.enroll import enroll_unit
from provisioning.revocation import renew_crl, revoke
from tests.provisioning.mqtt_helpers import client_as, outcome_of_connect
from tests.support.mqtt import MqttTestClient

pytestmark = pytest.mark.broker
REFUSED = {"tls-error", "closed"}


def _client(broker: Broker, county: Path, cert: Path | None, key: Path | None) -> MqttTestClient:
    return MqttTestClient(broker.host, broker.port, county / "ca" / "ca.crt", cert, key, "x")


def test_the_enrolled_unit_is_accepted(county_broker: Broker, county: Path) -> None:
    assert outcome_of_connect(client_as(county_broker, county, "power-co")) == "connected"


def test_no_certificate_is_refused(county_broker: Broker, county: Path) -> None:
    assert outcome_of_connect(_client(county_broker, county, None, None)) in REFUSED


def test_certificate_from_another_ca_is_refused(
    county_broker: Broker, county: Path, tmp_path: Path
) -> None:
    rogue_ca = pki.make_ca("shuangbai")  # same name, different key
    rogue = pki.issue(rogue_ca, "power-co")
    cert, key = tmp_path / "rogue.crt", tmp_path / "rogue.key"
    pki.write_public(cert, pki.cert_pem(rogue.cert))
    pki.write_private(key, pki.key_pem(rogue.key))
    assert outcome_of_connect(_client(county_broker, county, cert, key)) in REFUSED


def test_expired_certificate_is_refused(
    county_broker: Broker, county: Path, tmp_path: Path
) -> None:
    ca = pki.Issued(pki.load_key(county / "ca" / "ca.key"), pki.load_cert(county / "ca" / "ca.crt"))
    past = datetime.now(UTC) - timedelta(days=30)
    old = pki.issue(ca, "power-co", now=past, days=1, not_before=past - timedelta(days=1))
    cert, key = tmp_path / "old.crt", tmp_path / "old.key"
    pki.write_public(cert, pki.cert_pem(old.cert))
    pki.write_private(key, pki.key_pem(old.key))
    assert outcome_of_connect(_client(county_broker, county, cert, key)) in REFUSED


def test_revoked_unit_is_refused_after_reload(county_broker: Broker, county: Path) -> None:
    assert outcome_of_connect(client_as(county_broker, county, "water-co")) == "connected"
    revoke(county, "water-co", reason="terminal stolen")
    county_broker.reload()
    # Poll: the reload is asynchronous; the revoked unit must end up refused.
    for _ in range(20):
        if outcome_of_connect(client_as(county_broker, county, "water-co")) in REFUSED:
            break
    else:
        pytest.fail("the revoked unit still connects after SIGHUP")
    assert outcome_of_connect(client_as(county_broker, county, "power-co")) == "connected"


def test_reenrolled_unit_gets_in_with_its_new_certificate(
    county_broker: Broker, county: Path
) -> None:
    old_cert = (county / "units" / "water-co" / "unit.crt").read_bytes()
    old_key = (county / "units" / "water-co" / "unit.key").read_bytes()
    enroll_unit(county, "water-co", force=True)  # a replaced terminal: the old one is revoked
    county_broker.reload()
    stale = county / "stale"
    pki.write_public(stale / "unit.crt", old_cert)
    pki.write_private(stale / "unit.key", old_key)
    for _ in range(20):
        if (
            outcome_of_connect(
                _client(county_broker, county, stale / "unit.crt", stale / "unit.key")
            )
            in REFUSED
        ):
            break
    else:
        pytest.fail("the superseded certificate still connects")
    assert outcome_of_connect(client_as(county_broker, county, "water-co")) == "connected"


def test_a_stale_crl_locks_everyone_out_until_renewed(county_broker: Broker, county: Path) -> None:
    """The pitfall the one-year CRL and `crl-renew` exist for, shown on the real broker."""
    renew_crl(county, now=datetime.now(UTC) - timedelta(days=2), days=1)
    county_broker.reload()
    for _ in range(20):
        if outcome_of_connect(client_as(county_broker, county, "hub")) in REFUSED:
            break
    else:
        pytest.fail("a CRL past its nextUpdate did not lock the hub out: the test is wrong")
    renew_crl(county)
    county_broker.reload()
    for _ in range(20):
        if outcome_of_connect(client_as(county_broker, county, "hub")) == "connected":
            break
    else:
        pytest.fail("the renewed CRL did not let the hub back in")
