"""wire.tls: the client context every MQTT client of the county broker uses. That the broker
takes a certified client and refuses others is tested against a real Mosquitto in
tests/provisioning/test_broker_refusals.py, through this same builder."""

from __future__ import annotations

import ssl

import pytest

from tests.support.pki import ThrowawayPKI
from wire.tls import client_context


def test_context_checks_the_broker_against_the_county_ca_only(test_pki: ThrowawayPKI) -> None:
    cert, key = test_pki.client("tls-test")
    ctx = client_context(test_pki.ca_path, cert, key)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2
    (ca,) = ctx.get_ca_certs()
    assert (("commonName", "Liandong test county CA"),) in ca["subject"]


def test_a_key_that_is_not_the_certificates_is_refused(test_pki: ThrowawayPKI) -> None:
    cert, _ = test_pki.client("tls-a")
    _, other_key = test_pki.client("tls-b")
    with pytest.raises(ssl.SSLError):
        client_context(test_pki.ca_path, cert, other_key)
