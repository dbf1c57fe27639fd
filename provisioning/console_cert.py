"""`console-cert`: the HTTPS certificate nginx shows the centre's seats for the console.

A server certificate from the county CA (EC P-256, serverAuth, the console's names as SANs,
825 days: what browsers accept from a private CA), written to `PKI/console/console.crt`
with its key `console.key` (0600). The seats trust it by trusting the county CA
(`PKI/ca/ca.crt`, docs/deployment.md). A county that has its own certificate for the
console gives it to the installer instead (`hub-install/install.sh --cert --key`).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from provisioning import pki
from provisioning.errors import ProvisioningError
from provisioning.layout import Layout

_DNS = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


@dataclass(frozen=True)
class ConsoleCert:
    cert: Path
    key: Path
    names: list[str]
    not_after: datetime


def console_dir(pki_dir: Path) -> Path:
    return pki_dir / "console"


def check_name(name: str) -> str:
    """A DNS name or an IP address, as a browser would match it against the SANs."""
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        pass
    if not _DNS.fullmatch(name) or name.replace(".", "").isdigit():
        raise ProvisioningError(
            f"console name {name!r} is neither a host name (console.county.gov.local) nor an "
            "IP address"
        )
    return name.lower()


def issue_console_cert(
    pki_dir: Path, names: list[str], *, now: datetime | None = None, force: bool = False
) -> ConsoleCert:
    """Sign a console certificate for `names` (the first is its common name)."""
    if not names:
        raise ProvisioningError("give the console's name(s): --name console.county.gov.local")
    checked = list(dict.fromkeys(check_name(n) for n in names))
    layout = Layout(pki_dir)
    layout.county()  # a clear error when the folder was never initialised
    if not layout.ca_key.exists():
        raise ProvisioningError(
            f"{layout.ca_key} is not here: sign on the machine that keeps the CA key "
            "(docs/deployment.md, 'The CA key offline')"
        )
    ca = pki.Issued(pki.load_key(layout.ca_key), pki.load_cert(layout.ca_crt))
    folder = console_dir(pki_dir)
    crt, key = folder / "console.crt", folder / "console.key"
    if key.exists() and not force:
        raise ProvisioningError(f"{key} exists; refusing to replace it (use --force)")
    issued = pki.issue(ca, checked[0], server_hosts=checked, now=now)
    pki.write_private(key, pki.key_pem(issued.key), force=force)
    pki.write_public(crt, pki.cert_pem(issued.cert))
    return ConsoleCert(crt, key, checked, issued.cert.not_valid_after_utc)
