"""`init`: a county's CA, the broker's and the hub's certificates, the dispatch key.

Re-running it must never destroy a CA by accident: every unit certificate in the field
hangs on that key, so without `force` an existing CA is an error.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import tomli_w
from cryptography.hazmat.primitives.serialization import Encoding

from provisioning import pki
from provisioning.configs import hub_config, write_toml
from provisioning.errors import ProvisioningError
from provisioning.layout import County, Layout, check_id
from provisioning.revocation import make_crl

log = logging.getLogger(__name__)

DEFAULT_HOSTS = ("localhost", "127.0.0.1")
DEFAULT_PORT = 8883


def init_county(
    pki_dir: Path,
    county_id: str,
    *,
    broker_hosts: list[str] | None = None,
    port: int = DEFAULT_PORT,
    force: bool = False,
    now: datetime | None = None,
    gate_dir: str | None = None,
) -> Layout:
    """Create the county PKI folder (see docs/layout-and-config.md) and return its layout.
    `gate_dir` writes hub.toml's `[boundary]` (the 110 gate folders, relative to the hub's
    folder or absolute); without it the hub has no gate bridge until one is added."""
    check_id(county_id, "county id")
    hosts = list(broker_hosts or DEFAULT_HOSTS)
    if not 0 < port < 65536:
        raise ProvisioningError(f"port {port} is not a TCP port")
    layout = Layout(pki_dir)
    if (layout.ca_key.exists() or layout.ca_crt.exists()) and not force:
        raise ProvisioningError(
            f"{layout.ca_dir} already holds a county CA; every unit certificate depends on it. "
            "Refusing to replace it (use --force to start the county over)"
        )
    now = now or datetime.now(UTC)
    county = County(county_id, hosts, port, now.isoformat(timespec="seconds"))
    ca = pki.make_ca(county_id, now=now)
    pki.write_private(layout.ca_key, pki.key_pem(ca.key), force=force)
    pki.write_public(layout.ca_crt, pki.cert_pem(ca.cert))
    pki.write_public(layout.crl, make_crl(ca, [], now=now).public_bytes(Encoding.PEM))
    pki.write_public(layout.revoked, b"[]")
    _write_leaf(layout.broker_dir, "broker", pki.issue(ca, "broker", server_hosts=hosts, now=now))
    _write_leaf(layout.hub_dir, "hub", pki.issue(ca, "hub", now=now))
    for folder in (layout.broker_dir, layout.hub_dir):
        pki.write_public(folder / "ca.crt", pki.cert_pem(ca.cert))
    dispatch = pki.new_key()
    pki.write_private(layout.dispatch_key, pki.key_pem(dispatch), force=True)
    pki.write_public(layout.dispatch_pub, pki.public_pem(dispatch.public_key()))
    if not layout.intake_keys.exists():
        pki.write_private(layout.intake_keys, b"[sources]\n")
    write_toml(layout.hub_dir / "hub.toml", hub_config(county, gate_dir))
    pki.write_public(layout.county_toml, tomli_w.dumps(_county_doc(county)).encode())
    log.info("county %s initialised in %s", county_id, pki_dir)
    return layout


def _county_doc(county: County) -> dict[str, object]:
    return {
        "id": county.id,
        "broker_hosts": county.broker_hosts,
        "port": county.port,
        "created": county.created,
    }


def _write_leaf(folder: Path, name: str, issued: pki.Issued) -> None:
    pki.write_public(folder / f"{name}.crt", pki.cert_pem(issued.cert))
    pki.write_private(folder / f"{name}.key", pki.key_pem(issued.key), force=True)


def rotate_dispatch_key(pki_dir: Path, *, now: datetime | None = None) -> list[str]:
    """A new hub dispatch key; the old one is kept as `dispatch.key.YYYYMMDDHHMMSS.old`.

    Refreshes `hub-dispatch.pub` in every unit bundle and returns those units: each
    terminal must get its new file before the hub signs with the new key (docs/security.md).
    """
    layout = Layout(pki_dir)
    layout.county()
    now = now or datetime.now(UTC)
    if layout.dispatch_key.exists():
        stamp = now.strftime("%Y%m%d%H%M%S")
        layout.dispatch_key.replace(layout.hub_dir / f"dispatch.key.{stamp}.old")
    key = pki.new_key()
    pki.write_private(layout.dispatch_key, pki.key_pem(key))
    pub = pki.public_pem(key.public_key())
    pki.write_public(layout.dispatch_pub, pub)
    units: list[str] = []
    folder = layout.root / "units"
    for bundle in sorted(folder.iterdir()) if folder.is_dir() else []:
        if (bundle / "unit.crt").exists():
            pki.write_public(bundle / "hub-dispatch.pub", pub)
            units.append(bundle.name)
    log.warning("dispatch key rotated; %d terminals need their new hub-dispatch.pub", len(units))
    return units
