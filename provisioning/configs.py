"""The ready-to-run `hub.toml` and `gateway.toml` (formats in docs/layout-and-config.md).

Paths inside each file are relative to the folder of that file, so a bundle can be copied
to a terminal as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from provisioning import pki
from provisioning.layout import County

DEFAULT_PINS = {"buzzer": 17, "light": 27, "ack_button": 22, "arrive_button": 23}


@dataclass(frozen=True)
class GatewayOptions:
    """What the installer may choose per terminal at enrollment."""

    gps_port: str | None = None
    printer_port: str = "/dev/ld-printer"
    state_dir: str = "state"
    unit_name: str | None = None  # shown on the kiosk (云南电网双柏供电局); the id when absent


def hub_config(county: County, gate_dir: str | None = None) -> dict[str, Any]:
    """hub.toml. `[boundary]` (the 110 gate folders) only when `gate_dir` is given: where a
    county's gate writes is a mount its vendor sets up, so a hub gets a bridge only when
    the installer names that folder (docs/boundary.md has the other keys)."""
    config: dict[str, Any] = {
        "county": {"id": county.id, "registry": ""},
        "mqtt": {
            "host": county.broker_hosts[0],
            "port": county.port,
            "ca": "ca.crt",
            "cert": "hub.crt",
            "key": "hub.key",
        },
        "signing": {"dispatch_key": "dispatch.key"},
        "pki": {"dir": "..", "intake_keys": "intake-keys.toml"},
        "http": {"listen": "127.0.0.1:8000"},
        "store": {"path": "hub.sqlite3"},
    }
    if gate_dir:
        config["boundary"] = {"dir": gate_dir}
    return config


def gateway_config(county: County, unit: str, options: GatewayOptions) -> dict[str, Any]:
    config: dict[str, Any] = {
        "unit": {"id": unit, "county": county.id, "state_dir": options.state_dir},
        "mqtt": {
            "host": county.broker_hosts[0],
            "port": county.port,
            "ca": "ca.crt",
            "cert": "unit.crt",
            "key": "unit.key",
            "hub_key": "hub-dispatch.pub",
            "keepalive": 10,
        },
        "pins": dict(DEFAULT_PINS),
        "printer": {"port": options.printer_port, "baudrate": 9600, "encoding": "gb18030"},
    }
    if options.unit_name:
        config["unit"]["name"] = options.unit_name
    if options.gps_port:
        config["gps"] = {"port": options.gps_port, "baudrate": 9600, "arrival_radius_m": 150}
    config["kiosk"] = {"listen": "127.0.0.1:8080"}
    return config


def write_toml(path: Path, data: dict[str, Any]) -> None:
    pki.write_public(path, tomli_w.dumps(data).encode("utf-8"))
