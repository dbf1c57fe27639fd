"""One-time enrollment tokens: single use, expiry, one unit, only a hash on disk."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from provisioning import pki
from provisioning.enroll import make_csr
from provisioning.errors import EnrollmentError, ProvisioningError
from provisioning.revocation import is_revoked
from provisioning.tokens import create_token, redeem

NOW = datetime.now(UTC)


def test_token_enrolls_its_unit_once(county: Path) -> None:
    token = create_token(county, "health-1", timedelta(hours=1), now=NOW)
    key = pki.new_key()
    cert_pem = redeem(county, token, make_csr(key, "health-1"), now=NOW + timedelta(minutes=5))
    cert = pki.load_cert(county / "units" / "health-1" / "unit.crt")
    assert cert.public_key() == key.public_key()
    assert cert_pem == pki.cert_pem(cert)
    assert not (county / "units" / "health-1" / "unit.key").exists()
    with pytest.raises(EnrollmentError, match="already been used"):
        redeem(county, token, make_csr(pki.new_key(), "health-1"), now=NOW)
    assert pki.load_cert(county / "units" / "health-1" / "unit.crt") == cert


def test_only_a_hash_is_stored_0600(county: Path) -> None:
    token = create_token(county, "health-1")
    stored = county / "hub" / "enroll-tokens.json"
    assert token not in stored.read_text()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600


def test_expired_token_is_refused(county: Path) -> None:
    token = create_token(county, "health-1", timedelta(hours=1), now=NOW)
    with pytest.raises(EnrollmentError, match="expired"):
        redeem(county, token, make_csr(pki.new_key(), "health-1"), now=NOW + timedelta(hours=2))
    assert not (county / "units" / "health-1").exists()


def test_unknown_token_is_refused(county: Path) -> None:
    create_token(county, "health-1")
    with pytest.raises(EnrollmentError, match="unknown"):
        redeem(county, "guess", make_csr(pki.new_key(), "health-1"))


def test_csr_for_another_unit_is_refused_and_does_not_burn_the_token(county: Path) -> None:
    token = create_token(county, "health-1")
    with pytest.raises(EnrollmentError, match="expected the common name 'health-1'"):
        redeem(county, token, make_csr(pki.new_key(), "power-co"))
    with pytest.raises(EnrollmentError, match="not a PEM"):
        redeem(county, token, b"garbage")
    redeem(county, token, make_csr(pki.new_key(), "health-1"))


def test_token_for_an_enrolled_unit_replaces_and_revokes_its_certificate(county: Path) -> None:
    old = pki.load_cert(county / "units" / "power-co" / "unit.crt")
    token = create_token(county, "power-co")
    redeem(county, token, make_csr(pki.new_key(), "power-co"))
    assert is_revoked(county, old)
    assert not (county / "units" / "power-co" / "unit.key").exists()


def test_token_lifetime_is_bounded_and_unit_checked(county: Path) -> None:
    with pytest.raises(ProvisioningError, match="lifetime"):
        create_token(county, "health-1", timedelta(days=31))
    with pytest.raises(ProvisioningError, match="reserved"):
        create_token(county, "hub")


def test_expired_records_are_pruned(county: Path) -> None:
    create_token(county, "a-1", timedelta(hours=1), now=NOW - timedelta(days=2))
    create_token(county, "a-2", timedelta(hours=1), now=NOW)
    text = (county / "hub" / "enroll-tokens.json").read_text()
    assert '"a-2"' in text
    assert '"a-1"' not in text
