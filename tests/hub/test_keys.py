"""Unit certificates behind every report: read once per file, judged at every use."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.terminals.unit_certs import UnitKeys
from provisioning import pki
from tests.support.pki import ThrowawayPKI
from wire.clock import FakeClock
from wire.errors import WireError


def _folder(root: Path, test_pki: ThrowawayPKI, unit_cert: bytes) -> Path:
    """A PKI folder as `liandong-provision init` lays it out, with one unit certificate."""
    (root / "ca").mkdir(parents=True)
    shutil.copy(test_pki.ca_path, root / "ca" / "ca.crt")
    pki.write_public(root / "units" / "power-co" / "unit.crt", unit_cert)
    return root


def test_a_cached_certificate_still_expires(tmp_path: Path, test_pki: ThrowawayPKI) -> None:
    """The verifier is cached per file; the validity period must not be cached with it."""
    cert = pki.issue(test_pki.ca, "power-co", days=1).cert
    clock = FakeClock(datetime.now(UTC))
    keys = UnitKeys(_folder(tmp_path, test_pki, pki.cert_pem(cert)), clock=clock)
    keys.verifier("power-co")
    clock.advance(2 * 24 * 3600)
    with pytest.raises(WireError, match="validity period") as e:
        keys.verifier("power-co")
    assert e.value.reason == "bad_signature"


def test_an_unreadable_certificate_is_a_refusal(tmp_path: Path, test_pki: ThrowawayPKI) -> None:
    """A refusal is stored and acknowledged; any other exception would leave the report
    with the broker, delivered again at every reconnect."""
    keys = UnitKeys(_folder(tmp_path, test_pki, b"not a certificate"))
    with pytest.raises(WireError, match="unreadable") as e:
        keys.verifier("power-co")
    assert e.value.reason == "bad_signature"


def test_an_unusable_crl_fails_every_time_until_fixed(
    tmp_path: Path, test_pki: ThrowawayPKI
) -> None:
    """Not once and then silently the previous (here: empty) list of revoked units."""
    cert = pki.issue(test_pki.ca, "power-co").cert
    root = _folder(tmp_path, test_pki, pki.cert_pem(cert))
    keys = UnitKeys(root)
    pki.write_public(root / "ca" / "crl.pem", b"-----BEGIN X509 CRL-----\nAAAA\n")
    for _ in range(2):
        with pytest.raises(ConfigError, match=r"crl\.pem"):
            keys.verifier("power-co")
    (root / "ca" / "crl.pem").unlink()
    keys.verifier("power-co")
