"""`enroll`: a unit's certificate and its ready bundle for the terminal.

With a CSR the key was made on the terminal and never leaves it; without one the key is
made here, for the offline bundle of an air-gapped county. Re-enrolling a unit (a replaced
or stolen terminal) revokes the certificate it replaces, so one unit never holds two live
identities.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from provisioning import pki
from provisioning.configs import GatewayOptions, gateway_config, write_toml
from provisioning.errors import ProvisioningError
from provisioning.layout import Layout, check_unit, tracker_identity
from provisioning.release import RELEASE_PUB
from provisioning.revocation import is_revoked, load_ca, revoke_certificate

log = logging.getLogger(__name__)

MAX_CSR_BYTES = 16 * 1024


def check_csr(csr_pem: bytes, expected_cn: str) -> ec.EllipticCurvePublicKey:
    """The CSR's public key if the CSR is well formed, self-signed, for `expected_cn` and
    P-256; otherwise a ProvisioningError saying what is wrong."""
    if len(csr_pem) > MAX_CSR_BYTES:
        raise ProvisioningError("the CSR is too large to be a P-256 request")
    try:
        csr = x509.load_pem_x509_csr(csr_pem)
        key = csr.public_key()
        signed = csr.is_signature_valid
        names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    except (ValueError, TypeError, x509.InvalidVersion, UnsupportedAlgorithm) as e:
        raise ProvisioningError(f"not a PEM certificate signing request: {e}") from e
    if not signed:
        raise ProvisioningError("the CSR's signature does not verify")
    if len(names) != 1 or names[0].value != expected_cn:
        got = [n.value for n in names]
        raise ProvisioningError(f"the CSR names {got!r}, expected the common name {expected_cn!r}")
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ProvisioningError("the CSR's key must be EC P-256 (secp256r1)")
    return key


def make_csr(key: ec.EllipticCurvePrivateKey, common_name: str) -> bytes:
    """A CSR as a terminal makes it (used by the gateway's enrollment and by tests)."""
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM)


def _retire(pki_dir: Path, cert_path: Path, label: str, force: bool, now: datetime) -> None:
    """Refuse to replace a live certificate unless forced; when forced, revoke it."""
    if not cert_path.exists():
        return
    old = pki.load_cert(cert_path)
    if is_revoked(pki_dir, old):
        return
    if not force:
        raise ProvisioningError(
            f"{label!r} already has a live certificate; use --force to replace it "
            "(the old one is then revoked)"
        )
    revoke_certificate(pki_dir, old, label, reason="superseded", now=now)


def _certify_into(
    pki_dir: Path,
    folder: Path,
    name: str,
    identity: str,
    csr_pem: bytes | None,
    force: bool,
    now: datetime,
) -> x509.Certificate:
    """Write `folder/NAME.crt` (and `NAME.key` when no CSR is given) for `identity`, and
    the CA certificate beside them; a live certificate there is replaced only if forced."""
    public = check_csr(csr_pem, identity) if csr_pem is not None else None
    ca = load_ca(Layout(pki_dir))
    _retire(pki_dir, folder / f"{name}.crt", identity, force, now)
    key_path = folder / f"{name}.key"
    if public is None:
        issued = pki.issue(ca, identity, now=now)
        pki.write_private(key_path, pki.key_pem(issued.key), force=True)
        cert = issued.cert
    else:
        cert = pki.certify(ca, identity, public, now=now)
        key_path.unlink(missing_ok=True)  # a key made here before belongs to no one now
    pki.write_public(folder / "ca.crt", pki.cert_pem(ca.cert))
    pki.write_public(folder / f"{name}.crt", pki.cert_pem(cert))
    log.info("certified %s (serial %x)", identity, cert.serial_number)
    return cert


def enroll_unit(
    pki_dir: Path,
    unit: str,
    *,
    csr_pem: bytes | None = None,
    options: GatewayOptions | None = None,
    force: bool = False,
    now: datetime | None = None,
) -> Path:
    """Certify a unit and write its bundle `PKI/units/UNIT/`; return the bundle folder."""
    layout = Layout(pki_dir)
    check_unit(unit)
    county = layout.county()
    bundle = layout.unit_dir(unit)
    _certify_into(pki_dir, bundle, "unit", unit, csr_pem, force, now or datetime.now(UTC))
    pki.write_public(bundle / "hub-dispatch.pub", layout.dispatch_pub.read_bytes())
    if layout.release_pub.exists():  # what the terminal checks release bundles against
        pki.write_public(bundle / RELEASE_PUB, layout.release_pub.read_bytes())
    write_toml(bundle / "gateway.toml", gateway_config(county, unit, options or GatewayOptions()))
    return bundle


def enroll_tracker(
    pki_dir: Path,
    unit: str,
    tracker: str,
    *,
    csr_pem: bytes | None = None,
    force: bool = False,
    now: datetime | None = None,
) -> Path:
    """Certify a field tracker of `unit` (CN `UNIT/trackers/TRACKER`); write
    `PKI/trackers/UNIT/TRACKER/` with ca.crt, tracker.crt and tracker.key."""
    layout = Layout(pki_dir)
    identity = tracker_identity(unit, tracker)
    layout.county()
    if not layout.unit_crt(unit).exists():
        raise ProvisioningError(f"enroll unit {unit!r} before its trackers")
    folder = layout.tracker_dir(unit, tracker)
    _certify_into(pki_dir, folder, "tracker", identity, csr_pem, force, now or datetime.now(UTC))
    return folder
