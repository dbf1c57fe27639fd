"""The CRL: what it holds, how long it lasts, and the warnings before it runs out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from provisioning import pki
from provisioning.errors import ProvisioningError
from provisioning.health import check
from provisioning.revocation import (
    CRL_DAYS,
    crl_expires,
    load_crl,
    renew_crl,
    renew_if_due,
    revoke,
    revoked_list,
)

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def test_fresh_crl_lasts_a_year_and_is_signed_by_the_ca(county: Path) -> None:
    crl = load_crl(county)
    ca = pki.load_cert(county / "ca" / "ca.crt")
    assert crl.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
    assert crl_expires(county) - datetime.now(UTC) > timedelta(days=CRL_DAYS - 1)
    assert len(crl) == 0


def test_revoke_puts_the_serial_on_the_crl_and_records_why(county: Path) -> None:
    cert = pki.load_cert(county / "units" / "water-co" / "unit.crt")
    entry = revoke(county, "water-co", reason="terminal stolen", now=NOW)
    crl = load_crl(county)
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
    assert entry.serial == cert.serial_number
    recorded = json.loads((county / "ca" / "revoked.json").read_text())
    assert recorded == [
        {
            "serial": cert.serial_number,
            "unit": "water-co",
            "time": "2026-11-28T08:00:00+00:00",
            "reason": "terminal stolen",
        }
    ]
    with pytest.raises(ProvisioningError, match="already revoked"):
        revoke(county, "water-co")


def _crl_number(county: Path) -> int:
    ext = load_crl(county).extensions.get_extension_for_class(x509.CRLNumber)
    return int(ext.value.crl_number)


def test_crl_numbers_increase_even_within_one_second(county: Path) -> None:
    first = _crl_number(county)
    revoke(county, "water-co", now=NOW)
    second = _crl_number(county)
    renew_crl(county, now=NOW)
    third = _crl_number(county)
    assert first < second < third


def test_revoking_an_unknown_unit_is_an_error(county: Path) -> None:
    with pytest.raises(ProvisioningError, match="no certificate"):
        revoke(county, "nobody")


def test_renewal_keeps_every_entry(county: Path) -> None:
    revoke(county, "water-co")
    serials = {e.serial for e in revoked_list(county)}
    next_update = renew_crl(county, now=NOW + timedelta(days=200))
    assert next_update == NOW + timedelta(days=200 + CRL_DAYS)
    assert crl_expires(county) == next_update
    assert {r.serial_number for r in load_crl(county)} == serials


def test_renew_if_due_only_renews_near_the_end(county: Path) -> None:
    renew_crl(county, now=NOW)
    assert renew_if_due(county, now=NOW + timedelta(days=300)) is None
    assert crl_expires(county) == NOW + timedelta(days=CRL_DAYS)
    renewed = renew_if_due(county, now=NOW + timedelta(days=340))
    assert renewed == NOW + timedelta(days=340 + CRL_DAYS)


def test_check_warns_a_month_before_the_crl_runs_out(county: Path) -> None:
    renew_crl(county, now=NOW)
    assert check(county, now=NOW + timedelta(days=300)) == []
    findings = check(county, now=NOW + timedelta(days=340))
    assert [f.what for f in findings] == ["the CRL (run `liandong-provision crl-renew`)"]


def test_check_warns_about_expiring_certificates_but_not_revoked_ones(county: Path) -> None:
    revoke(county, "water-co")
    soon = datetime.now(UTC) + timedelta(days=800)
    whats = {f.what for f in check(county, now=soon)}
    assert "the certificate of unit power-co" in whats
    assert "the certificate of unit water-co" not in whats
    assert "the CRL (run `liandong-provision crl-renew`)" in whats
