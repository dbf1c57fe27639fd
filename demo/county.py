"""Provision a throwaway Shuangbai county exactly as an installer would.

The same library calls as `liandong-provision init / enroll / intake-key / broker-config`:
the county CA and the broker, hub and dispatch identities; one enrolled bundle per tier-1
unit, each naming its simulated printer and GPS receiver; an HMAC key for the "cad-110"
intake source; a broker configuration that runs as the current user on a free port.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from demo.broker import free_port, run_as_user
from hub.registry import Registry
from provisioning.broker_config import BrokerOptions, write_broker_config
from provisioning.configs import GatewayOptions
from provisioning.county import init_county
from provisioning.enroll import enroll_unit
from provisioning.intake import new_intake_key

COUNTY = "shuangbai"
INTAKE_SOURCE = "cad-110"
MARKER = ".liandong-demo"
_OURS = {"pki", "broker", "printouts", "demo.log", MARKER}


@dataclass(frozen=True)
class Provisioned:
    """Where everything the installer wrote is."""

    state: Path
    pki: Path
    port: int
    broker_conf: Path
    hub_toml: Path
    intake_key: str
    bundles: dict[str, Path]  # unit id -> folder holding gateway.toml


def tier1_units(registry: Registry) -> list[str]:
    """Every unit with a terminal in the demo: tier 1, in registry order."""
    return [u.id for u in registry.units.values() if u.tier == 1]


def wipe(state: Path) -> None:
    """Start from nothing; refuse anything that does not look like a demo state folder."""
    if state.exists():
        names = {p.name for p in state.iterdir()}
        if names - _OURS and MARKER not in names:
            raise SystemExit(
                f"{state} is not empty and was not made by the demo; choose another --state"
            )
        shutil.rmtree(state)
    state.mkdir(parents=True)
    (state / MARKER).write_text("made by `make demo`; wiped at every start\n")


def provision(
    state: Path,
    units: list[str],
    hardware: Callable[[str], GatewayOptions],
    *,
    gate_dir: str | None = None,
) -> Provisioned:
    """Provision the county in `state` (wiped before, see `wipe`); `hardware(unit)` names
    each unit's printer and GPS ports, as an installer would at enrollment; `gate_dir`
    writes hub.toml's `[boundary]` as `liandong-provision init --gate-dir` does."""
    pki_dir = state / "pki"
    port = free_port()
    init_county(
        pki_dir, COUNTY, broker_hosts=["127.0.0.1", "localhost"], port=port, gate_dir=gate_dir
    )
    bundles = {unit: enroll_unit(pki_dir, unit, options=hardware(unit)) for unit in units}
    key = new_intake_key(pki_dir, INTAKE_SOURCE)
    conf = write_broker_config(
        pki_dir, state / "broker", BrokerOptions(port=port, bind="127.0.0.1", run_as=run_as_user())
    )
    return Provisioned(
        state=state,
        pki=pki_dir,
        port=port,
        broker_conf=conf,
        hub_toml=pki_dir / "hub" / "hub.toml",
        intake_key=key,
        bundles=bundles,
    )
