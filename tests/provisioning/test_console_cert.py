"""`liandong-provision console-cert`: the console's HTTPS certificate from the county CA.
tests/hubinstall/test_nginx.py shows it to a real client through nginx."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from provisioning import pki
from provisioning.cli import main
from provisioning.console_cert import issue_console_cert
from provisioning.errors import ProvisioningError


def test_issues_a_server_certificate_for_the_names(county: Path) -> None:
    made = issue_console_cert(county, ["Console.Shuangbai.gov.local", "10.20.0.5"])
    cert = pki.load_cert(made.cert)
    ca = pki.load_cert(county / "ca" / "ca.crt")
    cert.verify_directly_issued_by(ca)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["console.shuangbai.gov.local"]
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["10.20.0.5"]
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days <= 825
    key = pki.load_key(made.key)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()  # type: ignore[union-attr]
    assert stat.S_IMODE(made.key.stat().st_mode) == 0o600


def test_refuses_to_replace_a_key_or_take_bad_names(county: Path) -> None:
    made = issue_console_cert(county, ["console.shuangbai.gov.local"])
    before = made.key.read_bytes()
    with pytest.raises(ProvisioningError, match="--force"):
        issue_console_cert(county, ["console.shuangbai.gov.local"])
    assert made.key.read_bytes() == before
    assert issue_console_cert(county, ["c.gov.local"], force=True).key.read_bytes() != before
    for bad in ("", "console..gov", "-x.gov", "console gov", "a/b", "1.2.3.999"):
        with pytest.raises(ProvisioningError, match="neither a host name"):
            issue_console_cert(county, [bad])
    with pytest.raises(ProvisioningError, match="--name"):
        issue_console_cert(county, [])


def test_refuses_without_the_ca_key(county: Path, tmp_path: Path) -> None:
    """On a hub machine whose CA key is kept offline, it says where to sign."""
    offline = tmp_path / "offline-ca.key"
    shutil.move(county / "ca" / "ca.key", offline)
    with pytest.raises(ProvisioningError, match="keeps the CA key"):
        issue_console_cert(county, ["console.shuangbai.gov.local"])
    assert not (county / "console").exists()


def test_command(county: Path) -> None:
    done = CliRunner().invoke(
        main, ["console-cert", "--dir", str(county), "--name", "console.shuangbai.gov.local"]
    )
    assert done.exit_code == 0, done.output
    assert "console/console.crt" in done.output and "ca/ca.crt" in done.output
    done = CliRunner().invoke(main, ["console-cert", "--dir", str(county), "--name", "a b"])
    assert done.exit_code == 1 and "Error: console name 'a b'" in done.output
