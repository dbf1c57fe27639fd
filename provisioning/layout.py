"""Where everything lives in a county PKI folder (see docs/layout-and-config.md).

One place names every path so that the CLI, the hub and the tests never disagree about
where a key or a certificate is.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from provisioning.errors import ProvisioningError

_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
# Identities that are not units: a unit called "hub" would get the hub's ACL.
RESERVED = frozenset({"hub", "broker"})


def check_id(value: str, what: str = "unit id") -> str:
    """The id alphabet of the wire contract (wire.ids), checked here without importing it."""
    if not _ID_RE.fullmatch(value):
        raise ProvisioningError(
            f"{what} {value!r} is not valid: use 1 to 32 lowercase letters, digits or "
            "hyphens, starting with a letter or digit"
        )
    return value


def check_unit(value: str) -> str:
    check_id(value)
    if value in RESERVED:
        raise ProvisioningError(f"{value!r} is reserved and cannot be a unit id")
    return value


def tracker_identity(unit: str, tracker: str) -> str:
    """Certificate CN (and MQTT username) of a field tracker: `UNIT/trackers/TRACKER`.

    With the ACL line `pattern write ld/v1/COUNTY/%u` this grants the tracker exactly its
    own topic and nothing a unit or the hub listens on; a unit id can never contain `/`."""
    return f"{check_unit(unit)}/trackers/{check_id(tracker, 'tracker id')}"


@dataclass(frozen=True)
class County:
    """What `init` recorded in county.toml."""

    id: str
    broker_hosts: list[str]
    port: int
    created: str


@dataclass(frozen=True)
class Layout:
    """The paths of one county PKI folder."""

    root: Path

    @property
    def county_toml(self) -> Path:
        return self.root / "county.toml"

    @property
    def ca_dir(self) -> Path:
        return self.root / "ca"

    @property
    def ca_crt(self) -> Path:
        return self.ca_dir / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.ca_dir / "ca.key"

    @property
    def crl(self) -> Path:
        return self.ca_dir / "crl.pem"

    @property
    def revoked(self) -> Path:
        return self.ca_dir / "revoked.json"

    @property
    def broker_dir(self) -> Path:
        return self.root / "broker"

    @property
    def hub_dir(self) -> Path:
        return self.root / "hub"

    @property
    def dispatch_key(self) -> Path:
        return self.hub_dir / "dispatch.key"

    @property
    def dispatch_pub(self) -> Path:
        return self.hub_dir / "dispatch.pub"

    @property
    def intake_keys(self) -> Path:
        return self.hub_dir / "intake-keys.toml"

    @property
    def enroll_tokens(self) -> Path:
        return self.hub_dir / "enroll-tokens.json"

    @property
    def release_dir(self) -> Path:
        """The county's release key (docs/updates.md): apart from the CA and the hub."""
        return self.root / "release"

    @property
    def release_key(self) -> Path:
        return self.release_dir / "release.key"

    @property
    def release_pub(self) -> Path:
        return self.release_dir / "release.pub"

    def unit_dir(self, unit: str) -> Path:
        return self.root / "units" / check_unit(unit)

    def unit_crt(self, unit: str) -> Path:
        """The certificate the hub verifies a unit's reports against."""
        return self.unit_dir(unit) / "unit.crt"

    def tracker_dir(self, unit: str, tracker: str) -> Path:
        """Outside the unit bundle, so a terminal never carries its trackers' keys."""
        return self.root / "trackers" / check_unit(unit) / check_id(tracker, "tracker id")

    def county(self) -> County:
        """Read county.toml; a clear error when the folder was never initialised."""
        try:
            data = tomllib.loads(self.county_toml.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ProvisioningError(
                f"{self.root} is not a county PKI folder: run `liandong-provision init` first"
            ) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ProvisioningError(f"{self.county_toml} is damaged: {e}") from e
        try:
            county = County(
                id=check_id(str(data["id"]), "county id"),
                broker_hosts=[str(h) for h in data["broker_hosts"]],
                port=int(data["port"]),
                created=str(data["created"]),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ProvisioningError(f"{self.county_toml} lacks or mangles {e}") from e
        if not county.broker_hosts:
            raise ProvisioningError(f"{self.county_toml}: broker_hosts is empty")
        return county
