"""`check`: what in the PKI folder will stop the county working soon.

The CRL matters most: once its nextUpdate passes Mosquitto refuses every terminal. A
timer (or the hub) runs this, or `renew_if_due`, well before that. A broker name that does
not resolve (here, where the hub runs) is reported too: terminals would not reach it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from provisioning import hosts, pki
from provisioning.layout import Layout
from provisioning.revocation import CRL_WARN_DAYS, crl_expires, is_revoked

CERT_WARN_DAYS = 60
CA_WARN_DAYS = 365


@dataclass(frozen=True)
class Finding:
    what: str
    expires: datetime | None = None
    """None: not about a date (a broker name that does not resolve)."""

    def __str__(self) -> str:
        if self.expires is None:
            return self.what
        return f"{self.what} expires {self.expires:%Y-%m-%d %H:%M} UTC"


def check(
    pki_dir: Path, *, now: datetime | None = None, resolve: hosts.Resolver | None = None
) -> list[Finding]:
    """Everything that expires within its warning window, and every broker name that does
    not resolve (empty: all is well)."""
    layout = Layout(pki_dir)
    county = layout.county()
    now = now or datetime.now(UTC)
    found: list[Finding] = [
        Finding(f"the broker host {name} does not resolve here; terminals cannot reach it")
        for name in hosts.unresolved(county.broker_hosts, *([resolve] if resolve else []))
    ]

    def within(what: str, expires: datetime, days: int) -> None:
        if expires - now < timedelta(days=days):
            found.append(Finding(what, expires))

    within("the CRL (run `liandong-provision crl-renew`)", crl_expires(pki_dir), CRL_WARN_DAYS)
    within("the county CA", pki.load_cert(layout.ca_crt).not_valid_after_utc, CA_WARN_DAYS)
    leaves = [("broker", layout.broker_dir / "broker.crt"), ("hub", layout.hub_dir / "hub.crt")]
    units = layout.root / "units"
    if units.is_dir():
        leaves += [(f"unit {d.name}", d / "unit.crt") for d in sorted(units.iterdir())]
    for label, path in leaves:
        if path.exists():
            cert = pki.load_cert(path)
            if not is_revoked(pki_dir, cert):
                within(f"the certificate of {label}", cert.not_valid_after_utc, CERT_WARN_DAYS)
    return found
