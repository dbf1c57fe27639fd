"""`liandong-gateway enroll`: the key made on the terminal, a CSR and a one-time token to the
real hub app over real HTTPS, trusted only through the CA in the token file."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509

from gateway.cli import main
from gateway.config import check_files, load_config
from provisioning import pki
from provisioning.cli import main as provision
from provisioning.county import init_county
from tests.support.enroll_hub import EnrollHub

UNIT = "power-co"


@pytest.fixture
def county(tmp_path: Path) -> Path:
    root = tmp_path / "PKI"
    init_county(root, "shuangbai")
    return root


@pytest.fixture
def hub(county: Path, tmp_path: Path) -> Iterator[EnrollHub]:
    h = EnrollHub(county, tmp_path / "hub.sqlite3")
    yield h
    h.close()


def token_file(county: Path, out: Path, hub_url: str, *extra: str) -> Path:
    r = CliRunner().invoke(
        provision,
        ["token", UNIT, "--dir", str(county), "--out", str(out), "--hub-url", hub_url, *extra],
    )
    assert r.exit_code == 0, r.output
    return out


def enroll(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, ["enroll", *args])
    return r.exit_code, r.output


def test_enroll_makes_the_key_here_and_writes_the_bundle(
    county: Path, hub: EnrollHub, tmp_path: Path
) -> None:
    tok = token_file(county, tmp_path / "liandong-token.json", hub.url)
    assert stat.S_IMODE(tok.stat().st_mode) == 0o600
    data = json.loads(tok.read_text())
    assert data["hub"] == hub.url and data["unit"] == UNIT and "BEGIN CERTIFICATE" in data["ca"]
    bundle = tmp_path / "bundle"
    code, out = enroll("--token-file", str(tok), "--dir", str(bundle))
    assert code == 0, out
    assert "enrolled: power-co" in out
    assert sorted(p.name for p in bundle.iterdir()) == [
        "ca.crt",
        "gateway.toml",
        "hub-dispatch.pub",
        "unit.crt",
        "unit.key",
    ]
    assert stat.S_IMODE((bundle / "unit.key").stat().st_mode) == 0o600
    key = pki.load_key(bundle / "unit.key")
    cert = x509.load_pem_x509_certificate((bundle / "unit.crt").read_bytes())
    assert cert.public_key() == key.public_key()
    # the key never left: the county holds the certificate, and no key for this unit
    held = county / "units" / UNIT
    assert (held / "unit.crt").read_bytes() == (bundle / "unit.crt").read_bytes()
    assert not (held / "unit.key").exists()
    assert (bundle / "ca.crt").read_bytes() == (county / "ca" / "ca.crt").read_bytes()
    config = load_config(bundle / "gateway.toml")
    check_files(config)  # what `run` checks first
    assert (config.unit_id, config.county, config.printer.port) == (
        UNIT,
        "shuangbai",
        "/dev/ld-printer",
    )
    # the same gateway.toml `liandong-provision enroll` writes
    made = CliRunner().invoke(provision, ["enroll", "water-co", "--dir", str(county)])
    assert made.exit_code == 0, made.output
    offline = (county / "units" / "water-co" / "gateway.toml").read_text()
    assert (bundle / "gateway.toml").read_text() == offline.replace("water-co", UNIT)


def test_a_token_works_once(county: Path, hub: EnrollHub, tmp_path: Path) -> None:
    tok = token_file(county, tmp_path / "t.json", hub.url)
    assert enroll("--token-file", str(tok), "--dir", str(tmp_path / "a"))[0] == 0
    code, out = enroll("--token-file", str(tok), "--dir", str(tmp_path / "b"))
    assert code == 1 and "HTTP 403" in out and "already been used" in out
    assert not (tmp_path / "b" / "unit.crt").exists()


def test_a_hub_without_the_tokens_ca_is_not_trusted(
    county: Path, hub: EnrollHub, tmp_path: Path
) -> None:
    other = tmp_path / "OTHER"
    init_county(other, "elsewhere")
    tok = token_file(
        county, tmp_path / "t.json", hub.url, "--https-ca", str(other / "ca" / "ca.crt")
    )
    code, out = enroll("--token-file", str(tok), "--dir", str(tmp_path / "b"))
    assert code == 1 and "is not trusted" in out and "unable to get local issuer" in out
    assert not (tmp_path / "b" / "unit.crt").exists()
    # the token never reached the hub, so it still works with the right CA
    code, out = enroll(
        "--token-file",
        str(tok),
        "--ca",
        str(county / "ca" / "ca.crt"),
        "--dir",
        str(tmp_path / "c"),
    )
    assert code == 0, out


def test_plain_http_is_refused_unless_asked_for(county: Path, tmp_path: Path) -> None:
    plain = EnrollHub(county, tmp_path / "plain.sqlite3", tls=False)
    try:
        tok = token_file(county, tmp_path / "t.json", plain.url)
        code, out = enroll("--token-file", str(tok), "--dir", str(tmp_path / "b"))
        assert code == 1 and "refusing plain http" in out
        assert not (tmp_path / "b").exists()
        code, out = enroll(
            "--token-file", str(tok), "--dir", str(tmp_path / "b"), "--insecure-http"
        )
        assert code == 0, out
    finally:
        plain.close()


def test_a_bad_token_file_or_no_hub_is_a_clear_error(county: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"v": 1, "hub": "https://x"}')
    code, out = enroll("--token-file", str(bad), "--dir", str(tmp_path / "b"))
    assert code == 1 and "lacks unit, county, token, ca" in out
    tok = token_file(county, tmp_path / "t.json", "https://127.0.0.1:1")
    code, out = enroll("--token-file", str(tok), "--dir", str(tmp_path / "b"))
    assert code == 1 and "cannot reach the hub" in out
    assert not (tmp_path / "b" / "unit.crt").exists()
    code, out = enroll("--dir", str(tmp_path / "b"))
    assert code == 1 and "give --token-file" in out


def test_enrolled_bundle_carries_the_release_key_when_the_county_has_one(
    county: Path, hub: EnrollHub, tmp_path: Path
) -> None:
    from provisioning.release import make_release_key

    make_release_key(county)
    tok = token_file(county, tmp_path / "liandong-token.json", hub.url)
    bundle = tmp_path / "bundle"
    code, out = enroll("--token-file", str(tok), "--dir", str(bundle))
    assert code == 0, out
    pub = (county / "release" / "release.pub").read_bytes()
    assert (bundle / "release.pub").read_bytes() == pub
