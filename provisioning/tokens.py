"""One-time enrollment tokens: the library half of a token + CSR flow (after EST, RFC 7030).

The county office creates a token for one unit and gives it to the installer out of band;
the terminal makes its key, sends a CSR with the token to the hub's endpoint, and gets its
certificate. Only a SHA-256 of each token is stored (`PKI/hub/enroll-tokens.json`, 0600);
a token works once, for one unit, until it expires. A CSR that fails the checks does not
use the token up, so an installer's typo costs nothing, but a token once redeemed is dead.

`token_file` packs a token with what the terminal needs to use it safely: the hub's HTTPS
address and the CA certificate that the hub's HTTPS certificate must chain to (the county
CA unless told otherwise), so a card with only this file on its boot partition can join
with no typing and trusts nobody else (`liandong-gateway enroll`, docs/provisioning.md).
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509

from provisioning import pki
from provisioning.enroll import check_csr, enroll_unit
from provisioning.errors import EnrollmentError, ProvisioningError
from provisioning.layout import Layout, check_unit

log = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(hours=24)
MAX_TTL = timedelta(days=30)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_FIELDS = {"sha256", "unit", "created", "expires", "used"}


def _load(path: Path) -> list[dict[str, Any]]:
    """The stored records, each checked for what `create_token` and `redeem` read."""
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(records, list):
            raise ValueError("not a list of token records")
        for r in records:
            if not isinstance(r, dict) or not r.keys() >= _FIELDS:
                raise ValueError(f"a record lacks {', '.join(sorted(_FIELDS))}")
            if not isinstance(r["sha256"], str):
                raise ValueError("a record's sha256 is not text")
            datetime.fromisoformat(r["expires"])
    except (ValueError, TypeError) as e:
        raise ProvisioningError(f"{path} is damaged: {e}") from e
    return records


@contextmanager
def _locked(layout: Layout) -> Iterator[list[dict[str, Any]]]:
    """The token records under an exclusive lock; written back when the block succeeds."""
    layout.hub_dir.mkdir(parents=True, exist_ok=True)
    lock_path = layout.enroll_tokens.with_name(layout.enroll_tokens.name + ".lock")
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            records: list[dict[str, Any]] = []
            if layout.enroll_tokens.exists():
                records = _load(layout.enroll_tokens)
            yield records
            data = json.dumps(records, indent=1).encode()
            pki.write_private(layout.enroll_tokens, data, force=True)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def create_token(
    pki_dir: Path, unit: str, ttl: timedelta = DEFAULT_TTL, *, now: datetime | None = None
) -> str:
    """A new one-time token for enrolling `unit`; shown once, stored only as a hash."""
    layout = Layout(pki_dir)
    check_unit(unit)
    layout.county()
    if not timedelta(0) < ttl <= MAX_TTL:
        raise ProvisioningError(f"token lifetime must be between 0 and {MAX_TTL.days} days")
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    with _locked(layout) as records:
        records[:] = [r for r in records if datetime.fromisoformat(r["expires"]) > now]
        records.append(
            {
                "sha256": _digest(token),
                "unit": unit,
                "created": now.isoformat(timespec="seconds"),
                "expires": (now + ttl).isoformat(timespec="seconds"),
                "used": None,
            }
        )
    log.info("enrollment token for %s, valid until %s", unit, now + ttl)
    return token


def redeem(pki_dir: Path, token: str, csr_pem: bytes, *, now: datetime | None = None) -> bytes:
    """Check the token and the CSR, use the token up, enroll the unit; return its
    certificate (PEM). Raises EnrollmentError with a message fit for the terminal."""
    layout = Layout(pki_dir)
    now = now or datetime.now(UTC)
    digest = _digest(token) if isinstance(token, str) else ""
    with _locked(layout) as records:
        record = next((r for r in records if hmac.compare_digest(r["sha256"], digest)), None)
        if record is None:
            raise EnrollmentError("unknown enrollment token")
        if record["used"]:
            raise EnrollmentError("this enrollment token has already been used")
        if datetime.fromisoformat(record["expires"]) <= now:
            raise EnrollmentError("this enrollment token has expired")
        unit = str(record["unit"])
        try:
            check_csr(csr_pem, unit)
        except ProvisioningError as e:
            raise EnrollmentError(str(e)) from e
        record["used"] = now.isoformat(timespec="seconds")
        bundle = enroll_unit(pki_dir, unit, csr_pem=csr_pem, force=True, now=now)
    log.info("unit %s enrolled over the network", unit)
    return (bundle / "unit.crt").read_bytes()


TOKEN_FILE_VERSION = 1


def token_file(pki_dir: Path, unit: str, token: str, hub_url: str, https_ca: bytes | None) -> bytes:
    """The token file's bytes (JSON): version, hub URL, unit, county, token and the CA the
    terminal trusts for the hub's HTTPS (`https_ca`, PEM; the county CA when None)."""
    layout = Layout(pki_dir)
    county = layout.county()
    parts = urlsplit(hub_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ProvisioningError(f"--hub-url {hub_url!r}: expected https://HOST[:PORT]")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise ProvisioningError(f"--hub-url {hub_url!r}: the hub's address only, no path")
    ca = https_ca if https_ca is not None else layout.ca_crt.read_bytes()
    try:
        x509.load_pem_x509_certificate(ca)
    except ValueError as e:
        raise ProvisioningError(f"the HTTPS CA is not a PEM certificate: {e}") from e
    data = {
        "v": TOKEN_FILE_VERSION,
        "hub": hub_url.rstrip("/"),
        "unit": unit,
        "county": county.id,
        "token": token,
        "ca": ca.decode("ascii"),
    }
    return json.dumps(data, indent=1).encode("utf-8") + b"\n"
