"""The county's release key and release bundles (docs/updates.md).

The release key signs software for the terminals. It is neither the CA (which certifies
identities) nor the hub's dispatch key (which signs orders, and sits on the hub's disk): a
stolen hub can send orders but cannot make a terminal run its code. Keep it offline with
the CA. Each unit's bundle carries the public half, `release.pub`, and a terminal installs
only what it signed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from provisioning import pki
from provisioning.errors import ProvisioningError
from provisioning.layout import Layout
from wire.release import BundleError, Manifest, build_bundle
from wire.signing import Signer

log = logging.getLogger(__name__)

RELEASE_PUB = "release.pub"
"""The public release key's file name in a unit bundle (beside hub-dispatch.pub)."""


def make_release_key(pki_dir: Path) -> list[str]:
    """Make the release key (0600; never overwritten: a new key orphans every terminal) and
    copy its public half into every unit bundle; return those units."""
    layout = Layout(pki_dir)
    layout.county()
    if layout.release_key.exists():
        raise ProvisioningError(
            f"{layout.release_key} exists; refusing to replace the release key (terminals "
            "trust only the one in their bundle: see docs/updates.md before rotating)"
        )
    key = pki.new_key()
    pki.write_private(layout.release_key, pki.key_pem(key))
    pub = pki.public_pem(key.public_key())
    pki.write_public(layout.release_pub, pub)
    units: list[str] = []
    folder = layout.root / "units"
    for bundle in sorted(folder.iterdir()) if folder.is_dir() else []:
        if (bundle / "unit.crt").exists():
            pki.write_public(bundle / RELEASE_PUB, pub)
            units.append(bundle.name)
    log.info("release key made; %s added to %d unit bundles", RELEASE_PUB, len(units))
    return units


def _wheel_version(wheel: Path) -> tuple[str, str]:
    """(distribution, version) from a wheel's file name (PEP 427)."""
    parts = wheel.name.removesuffix(".whl").split("-")
    if len(parts) < 5:
        raise ProvisioningError(f"{wheel.name} is not a wheel file name")
    return parts[0].lower().replace("_", "-"), parts[1]


def build_release(
    pki_dir: Path,
    wheel_dir: Path,
    version: str,
    out: Path,
    *,
    min_version: str = "0",
    now: datetime | None = None,
) -> Manifest:
    """Sign a bundle of every wheel in `wheel_dir`; one of them must be liandong `version`."""
    layout = Layout(pki_dir)
    if not layout.release_key.exists():
        raise ProvisioningError(
            f"no release key in {pki_dir}: run `liandong-provision release key` first"
        )
    wheels: Iterable[Path] = sorted(wheel_dir.glob("*.whl"))
    versions = dict(_wheel_version(w) for w in wheels)
    if versions.get("liandong") != version:
        raise ProvisioningError(
            f"{wheel_dir} must hold the liandong {version} wheel (found "
            f"{versions.get('liandong') or 'none'})"
        )
    if not re.fullmatch(r"[0-9][0-9A-Za-z.+!-]{0,47}", version):
        raise ProvisioningError(f"{version!r} is not a release version")
    signer = Signer.from_pem(layout.release_key.read_bytes())
    try:
        return build_bundle(
            wheels, version, signer, out, created_at=now or datetime.now(UTC),
            min_version=min_version,
        )  # fmt: skip
    except BundleError as e:
        raise ProvisioningError(str(e)) from None
