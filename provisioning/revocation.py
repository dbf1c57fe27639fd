"""Revocation: the CRL Mosquitto checks every client against, and its renewal.

Mosquitto refuses *every* client once the CRL's nextUpdate has passed, so a forgotten CRL
would silence the whole county. The CRL is therefore issued for a year
(`CRL_DAYS`), re-issued on every revocation, renewable on its own (`renew_crl`, the
`crl-renew` command) and watched (`crl_expires`, the `check` command warns under
`CRL_WARN_DAYS`). After any change the broker must re-read it (SIGHUP).
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from provisioning import pki
from provisioning.errors import ProvisioningError
from provisioning.layout import Layout, check_unit

log = logging.getLogger(__name__)

CRL_DAYS = 365
CRL_WARN_DAYS = 30


@dataclass(frozen=True)
class Revoked:
    """One line of ca/revoked.json."""

    serial: int
    unit: str
    time: str
    reason: str


def load_ca(layout: Layout) -> pki.Issued:
    if not layout.ca_key.exists():
        raise ProvisioningError(f"no county CA in {layout.root}: run `liandong-provision init`")
    return pki.Issued(pki.load_key(layout.ca_key), pki.load_cert(layout.ca_crt))


def revoked_list(pki_dir: Path) -> list[Revoked]:
    path = Layout(pki_dir).revoked
    if not path.exists():
        return []
    try:
        return [Revoked(**entry) for entry in json.loads(path.read_text(encoding="utf-8"))]
    except (ValueError, TypeError) as e:
        raise ProvisioningError(f"{path} is damaged: {e}") from e


def make_crl(
    ca: pki.Issued,
    revoked: list[Revoked],
    *,
    now: datetime | None = None,
    days: int = CRL_DAYS,
    number: int | None = None,
) -> x509.CertificateRevocationList:
    """A CRL signed by the county CA, valid from now for `days`; `number` defaults to the
    time in seconds (see `_next_number` for a CRL that replaces another)."""
    now = now or datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(now - timedelta(minutes=5))
        .next_update(now + timedelta(days=days))
        .add_extension(x509.CRLNumber(number or int(now.timestamp())), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    for entry in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(entry.serial)
            .revocation_date(datetime.fromisoformat(entry.time))
            .build()
        )
    return builder.sign(ca.key, hashes.SHA256())


def _write_crl(layout: Layout, crl: x509.CertificateRevocationList) -> None:
    pki.write_public(layout.crl, crl.public_bytes(serialization.Encoding.PEM))


def _next_number(layout: Layout, now: datetime) -> int:
    """CRL numbers only ever increase (RFC 5280): two CRLs made in the same second, as a
    batch of revocations makes them, must still be told apart by their number."""
    number = int(now.timestamp())
    with contextlib.suppress(OSError, ValueError, x509.ExtensionNotFound):
        old = x509.load_pem_x509_crl(layout.crl.read_bytes())
        previous = old.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        number = max(number, previous + 1)
    return number


def renew_crl(pki_dir: Path, *, now: datetime | None = None, days: int = CRL_DAYS) -> datetime:
    """Re-issue the CRL with the same entries and a fresh nextUpdate; return it.

    The broker keeps the CRL it loaded until it gets SIGHUP (`systemctl reload mosquitto`)."""
    layout = Layout(pki_dir)
    now = now or datetime.now(UTC)
    number = _next_number(layout, now)
    crl = make_crl(load_ca(layout), revoked_list(pki_dir), now=now, days=days, number=number)
    _write_crl(layout, crl)
    next_update = crl.next_update_utc or datetime.now(UTC) + timedelta(days=days)
    log.info("CRL renewed, next update %s", next_update)
    return next_update


def load_crl(pki_dir: Path) -> x509.CertificateRevocationList:
    path = Layout(pki_dir).crl
    try:
        return x509.load_pem_x509_crl(path.read_bytes())
    except FileNotFoundError:
        raise ProvisioningError(f"no CRL at {path}: run `liandong-provision crl-renew`") from None
    except ValueError as e:
        raise ProvisioningError(f"{path} is not a PEM CRL: {e}") from e


def crl_expires(pki_dir: Path) -> datetime:
    """The CRL's nextUpdate: after it, Mosquitto refuses every client."""
    return load_crl(pki_dir).next_update_utc or datetime.min.replace(tzinfo=UTC)


def renew_if_due(
    pki_dir: Path, *, within_days: int = CRL_WARN_DAYS, now: datetime | None = None
) -> datetime | None:
    """Renew the CRL when it expires within `within_days` (for a timer or the hub);
    return the new nextUpdate, or None when nothing was due."""
    now = now or datetime.now(UTC)
    if crl_expires(pki_dir) - now > timedelta(days=within_days):
        return None
    return renew_crl(pki_dir, now=now)


def revoke(pki_dir: Path, unit: str, *, reason: str = "", now: datetime | None = None) -> Revoked:
    """Put the unit's current certificate on the CRL and re-issue the CRL.

    The unit's trackers keep their own certificates: revoke those one by one."""
    layout = Layout(pki_dir)
    check_unit(unit)
    cert_path = layout.unit_crt(unit)
    if not cert_path.exists():
        raise ProvisioningError(f"unit {unit!r} has no certificate at {cert_path}")
    return revoke_certificate(pki_dir, pki.load_cert(cert_path), unit, reason=reason, now=now)


def revoke_certificate(
    pki_dir: Path,
    cert: x509.Certificate,
    label: str,
    *,
    reason: str = "",
    now: datetime | None = None,
) -> Revoked:
    """Revoke any certificate the county CA issued (a unit, a tracker, an old hub cert)."""
    layout = Layout(pki_dir)
    now = now or datetime.now(UTC)
    ca = load_ca(layout)
    if cert.issuer != ca.cert.subject:
        raise ProvisioningError(f"{label}: the certificate was not issued by this county CA")
    entries = revoked_list(pki_dir)
    for entry in entries:
        if entry.serial == cert.serial_number:
            raise ProvisioningError(f"{label}: certificate {cert.serial_number:x} already revoked")
    entry = Revoked(cert.serial_number, label, now.isoformat(timespec="seconds"), reason)
    entries.append(entry)
    pki.write_public(layout.revoked, json.dumps([asdict(e) for e in entries], indent=1).encode())
    _write_crl(layout, make_crl(ca, entries, now=now, number=_next_number(layout, now)))
    log.warning("revoked %s (serial %x): reload the broker", label, cert.serial_number)
    return entry


def is_revoked(pki_dir: Path, cert: x509.Certificate) -> bool:
    """For the hub: is this certificate on the county's revocation list?"""
    return any(e.serial == cert.serial_number for e in revoked_list(pki_dir))


def common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""
