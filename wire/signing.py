"""ECDSA P-256 signatures over canonical JSON.

One algorithm everywhere (see docs/wire.md for why P-256): the county CA, the broker, the
hub and every unit use P-256 keys, so a unit's TLS key is also its signing key and the hub
verifies a report against the unit's own certificate. Signatures travel as base64 of the
fixed-length raw form r||s (64 bytes), not DER, so their length never varies.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from wire.errors import WireError

_ALG = ec.ECDSA(hashes.SHA256())
_HALF = 32


def canonical(obj: dict[str, Any]) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8, no NaN. Signed and verified as bytes."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


class Signer:
    """Signs with a P-256 private key."""

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("Liandong signs with ECDSA P-256 keys only")
        self._key = key

    @classmethod
    def from_pem(cls, pem: bytes) -> Signer:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("signing key is not an EC key")
        return cls(key)

    @property
    def verifier(self) -> Verifier:
        return Verifier(self._key.public_key())

    def derive(self, label: bytes) -> bytes:
        """A 32-byte secret for `label`, HMAC-SHA256 keyed by the private scalar: stable for
        this key, unknowable without it (the hub draws its roll-call times from one)."""
        scalar = self._key.private_numbers().private_value.to_bytes(_HALF, "big")
        return hmac.new(scalar, b"liandong-derive:" + label, hashlib.sha256).digest()

    def sign(self, data: bytes) -> str:
        r, s = decode_dss_signature(self._key.sign(data, _ALG))
        raw = r.to_bytes(_HALF, "big") + s.to_bytes(_HALF, "big")
        return base64.b64encode(raw).decode("ascii")


class Verifier:
    """Verifies with a P-256 public key (the hub's dispatch key, or a unit's certificate)."""

    def __init__(self, key: ec.EllipticCurvePublicKey) -> None:
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
            raise ValueError("Liandong verifies ECDSA P-256 keys only")
        self._key = key

    @classmethod
    def from_pem(cls, pem: bytes) -> Verifier:
        """Accepts a PEM public key or a PEM certificate."""
        public: object
        if b"BEGIN CERTIFICATE" in pem:
            public = x509.load_pem_x509_certificate(pem).public_key()
        else:
            public = serialization.load_pem_public_key(pem)
        if not isinstance(public, ec.EllipticCurvePublicKey):
            raise ValueError("verification key is not an EC public key")
        return cls(public)

    def verify(self, data: bytes, sig: str) -> None:
        """Raise WireError unless `sig` is this key's signature of `data`."""
        try:
            raw = base64.b64decode(sig, validate=True)
        except (binascii.Error, ValueError):
            raise WireError("bad_signature", "signature is not valid base64") from None
        if len(raw) != 2 * _HALF:
            raise WireError("bad_signature", f"signature must be 64 bytes, got {len(raw)}")
        r = int.from_bytes(raw[:_HALF], "big")
        s = int.from_bytes(raw[_HALF:], "big")
        if r == 0 or s == 0:
            raise WireError("bad_signature", "signature does not match: forged or altered")
        try:
            self._key.verify(encode_dss_signature(r, s), data, _ALG)
        except InvalidSignature:
            raise WireError(
                "bad_signature",
                "signature does not match: the message was altered, forged, or signed "
                "with another key",
            ) from None
