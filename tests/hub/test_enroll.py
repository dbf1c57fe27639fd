"""Network enrollment through the hub: one-time token + CSR -> certificate, once."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography import x509

from hub.sources.api_keys import IntakeKeys
from hub.terminals.unit_certs import UnitKeys
from provisioning import pki
from provisioning.county import init_county
from provisioning.enroll import make_csr
from provisioning.layout import Layout
from provisioning.tokens import create_token
from tests.support.hubparts import TestService, web_app


def test_token_and_csr_give_a_certificate_once(tmp_path: Path, service: TestService) -> None:
    root = tmp_path / "PKI"
    init_county(root, "shuangbai")
    app = web_app(
        service, test_config={"TESTING": True, "INTAKE_KEYS": IntakeKeys(), "PKI_DIR": root}
    )
    client = app.test_client()
    token = create_token(root, "power-co")
    key = pki.new_key()
    body = {"token": token, "csr": make_csr(key, "power-co").decode()}
    r = client.post("/api/v1/enroll", json=body)
    assert r.status_code == 201, r.get_data(as_text=True)
    cert = x509.load_pem_x509_certificate(r.json["certificate"].encode())  # type: ignore[index]
    assert cert.public_key() == key.public_key()
    assert "BEGIN PUBLIC KEY" in r.json["hub_dispatch_pub"]  # type: ignore[index]
    gateway = r.json["gateway"]  # type: ignore[index]
    assert gateway["unit"]["id"] == "power-co" and gateway["mqtt"]["cert"] == "unit.crt"
    UnitKeys(root).verifier("power-co")  # the hub accepts the new certificate at once
    again = client.post("/api/v1/enroll", json=body)
    assert again.status_code == 403 and "already been used" in again.json["message"]  # type: ignore[index]
    assert client.post("/api/v1/enroll", json={"token": "x"}).status_code == 422
    deep = b"[" * 60_000  # under 64 KiB, deeper than the parser's recursion limit
    r = client.post("/api/v1/enroll", data=deep, content_type="application/json")
    assert r.status_code == 422


def test_enrollment_is_off_without_a_pki_folder(client) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/api/v1/enroll", json={"token": "t", "csr": "c"}).status_code == 404


def test_a_unit_without_a_terminal_is_refused_before_its_token_is_used(
    tmp_path: Path, service: TestService
) -> None:
    """China Telecom is reached by phone (tier 2, `terminal = false`): a terminal enrolled for
    it would connect and never get an order, so the hub says what to change first."""
    root = tmp_path / "PKI"
    init_county(root, "shuangbai")
    app = web_app(
        service, test_config={"TESTING": True, "INTAKE_KEYS": IntakeKeys(), "PKI_DIR": root}
    )
    client = app.test_client()
    token = create_token(root, "china-telecom")
    body = {"token": token, "csr": make_csr(pki.new_key(), "china-telecom").decode()}
    r = client.post("/api/v1/enroll", json=body)
    assert r.status_code == 409
    assert r.json["error"] == "no_terminal" and "terminal = true" in r.json["message"]  # type: ignore[index]
    assert not (root / "units" / "china-telecom" / "unit.crt").exists()
    [record] = json.loads(Layout(root).enroll_tokens.read_text())
    assert record["unit"] == "china-telecom" and not record["used"]  # still good to use
