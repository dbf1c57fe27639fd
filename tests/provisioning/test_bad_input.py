"""Bad input gets a clear ProvisioningError: never a crash, never a half-written record."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provisioning import pki
from provisioning.enroll import check_csr, enroll_unit, make_csr
from provisioning.errors import EnrollmentError, ProvisioningError
from provisioning.intake import new_intake_key
from provisioning.revocation import crl_expires, revoke
from provisioning.tokens import create_token, redeem

VALID_CSR = make_csr(pki.new_key(), "power-co")


@given(st.binary(max_size=2048))
def test_any_bytes_as_csr_raise_only_provisioning_error(data: bytes) -> None:
    with pytest.raises(ProvisioningError):
        check_csr(data, "power-co")


@given(st.integers(min_value=0, max_value=len(VALID_CSR) - 1), st.integers(1, 255))
def test_a_changed_byte_in_a_csr_is_refused_or_harmless(pos: int, delta: int) -> None:
    """A flipped byte either still parses to the same request (whitespace, base64
    padding) or is refused with a ProvisioningError; nothing else escapes."""
    data = bytearray(VALID_CSR)
    data[pos] = (data[pos] + delta) % 256
    try:
        key = check_csr(bytes(data), "power-co")
    except ProvisioningError:
        return
    assert key is not None


@given(st.text(max_size=80))
def test_any_token_text_is_refused_cleanly(county_for_props: Path, token: str) -> None:
    with pytest.raises(EnrollmentError):
        redeem(county_for_props, token, VALID_CSR)


@pytest.fixture(scope="module")
def county_for_props(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from provisioning.county import init_county

    pki_dir = tmp_path_factory.mktemp("props") / "pki"
    init_county(pki_dir, "shuangbai")
    create_token(pki_dir, "power-co")
    return pki_dir


@pytest.mark.parametrize(
    ("name", "garbage", "action", "message"),
    [
        ("county.toml", b"id = [", lambda d: enroll_unit(d, "x"), "county.toml is damaged"),
        ("ca/revoked.json", b"{nope", lambda d: revoke(d, "power-co"), "revoked.json is damaged"),
        ("ca/crl.pem", b"not a crl", crl_expires, "is not a PEM CRL"),
        (
            "hub/intake-keys.toml",
            b"[sources\n",
            lambda d: new_intake_key(d, "cad-110"),
            "intake-keys.toml is damaged",
        ),
        (
            "hub/enroll-tokens.json",
            b"[{",
            lambda d: create_token(d, "power-co"),
            "enroll-tokens.json is damaged",
        ),
        (
            "hub/enroll-tokens.json",
            b"{}",
            lambda d: create_token(d, "power-co"),
            "enroll-tokens.json is damaged",
        ),
        (
            "hub/enroll-tokens.json",
            b'[{"unit": "power-co"}]',
            lambda d: redeem(d, "token", b""),
            "enroll-tokens.json is damaged",
        ),
        (
            "hub/enroll-tokens.json",
            b'[{"sha256": "x", "unit": "u", "created": "", "expires": 5, "used": null}]',
            lambda d: create_token(d, "power-co"),
            "enroll-tokens.json is damaged",
        ),
    ],
)
def test_damaged_files_are_named_in_the_error(
    county: Path, name: str, garbage: bytes, action: object, message: str
) -> None:
    (county / name).write_bytes(garbage)
    with pytest.raises(ProvisioningError, match=message):
        action(county)  # type: ignore[operator]
    assert (county / name).read_bytes() == garbage
