"""A throwaway Shuangbai county built the way an installer builds one, for the drills.

`liandong-provision`'s library makes the CA, the broker's and hub's certificates, one
bundle per unit and an intake key (through `demo.county.provision`, which the demo uses
too); the broker runs from the county's own generated `mosquitto.conf` (ACL, CRL,
persistence, queue limits), not from the plain test config.
Only what a machine needs differently on a shared test host is changed: free ports,
the broker's `user` line (`run_as_user()`), the kiosk port, the printer's port.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

import demo.county
import hub.registry
from demo.broker import Broker, free_port
from provisioning.configs import GatewayOptions

COUNTY = demo.county.COUNTY
SOURCE = demo.county.INTAKE_SOURCE
REGISTRY_DIR = Path(hub.registry.__file__).parent


@dataclass
class County:
    """The county's folder, its broker and the intake key of the 110 source."""

    pki: Path
    broker: Broker
    intake_key: bytes
    units: list[str] = field(default_factory=list)

    @property
    def hub_toml(self) -> Path:
        return self.pki / "hub" / "hub.toml"

    @property
    def hub_db(self) -> Path:
        return self.pki / "hub" / "hub.sqlite3"

    def bundle(self, unit: str) -> Path:
        return self.pki / "units" / unit

    def gateway_toml(self, unit: str) -> Path:
        return self.bundle(unit) / "gateway.toml"

    @property
    def hub_url(self) -> str:
        listen = tomllib.loads(self.hub_toml.read_text(encoding="utf-8"))["http"]["listen"]
        return f"http://{listen}"

    def kiosk_url(self, unit: str) -> str:
        data = tomllib.loads(self.gateway_toml(unit).read_text(encoding="utf-8"))
        return f"http://{data['kiosk']['listen']}"

    def set_printer(self, unit: str, port: str) -> None:
        """Point a terminal's printer at a simulator (`socket://127.0.0.1:PORT`)."""
        _edit_toml(self.gateway_toml(unit), {"printer": {"port": port}})

    def short_deadlines(self, receive_s: int, ack_s: int) -> None:
        """A drill county: Shuangbai's registry with receive and ack figures in seconds,
        so deadlines fall due during a test on the real clock (every figure is county
        config, DESIGN.md)."""
        text = (REGISTRY_DIR / "shuangbai.toml").read_text(encoding="utf-8")
        text = re.sub(r"(?m)^receive_s = \d+", f"receive_s = {receive_s}", text)
        text = re.sub(r"(?m)^ack_s = \d+", f"ack_s = {ack_s}", text)
        (self.pki / "hub" / "registry.toml").write_text(text, encoding="utf-8")
        _edit_toml(self.hub_toml, {"county": {"registry": "registry.toml"}})


def _edit_toml(path: Path, changes: dict[str, dict[str, Any]]) -> None:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for section, values in changes.items():
        data.setdefault(section, {}).update(values)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")


def provision(root: Path, units: list[str], *, hub_port: int | None = None) -> County:
    """The county as the demo provisions it (init, enroll `units`, intake key, broker config;
    `demo.county.provision`), then the edits a shared test host needs."""
    made = demo.county.provision(root, units, lambda _unit: GatewayOptions(printer_port="loop://"))
    broker = Broker(made.broker_conf, made.port, made.broker_conf.parent / "mosquitto.log")
    _edit_toml(
        made.hub_toml,
        {
            "http": {"listen": f"127.0.0.1:{hub_port or free_port()}"},
            # Terminals here report health every few seconds; a short staleness lets the
            # hub see a unit come back without waiting for the production figure.
            "presence": {"stale_after_s": 15},
        },
    )
    for bundle in made.bundles.values():
        _edit_toml(
            bundle / "gateway.toml",
            {"kiosk": {"listen": f"127.0.0.1:{free_port()}"}, "mqtt": {"keepalive": 10}},
        )
    return County(made.pki, broker, bytes.fromhex(made.intake_key), list(units))
