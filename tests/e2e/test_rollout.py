"""Drill: a release rolled out to real terminals over the real broker. The county makes its
release key and signs a bundle (`liandong-provision release`), the hub keeps it and offers
it to a canary unit (signed `update` command through the outbox); the terminal downloads it
from the hub's /releases/ over HTTP, verifies it against the release.pub in its bundle,
installs it into its other slot and asks to restart. systemd's part (the boot check, then
starting `current`) is played by the test, with the new Gateway reporting the new version:
it confirms once connected, and the hub marks the unit updated. The canary that fails
instead halts the rollout with its reason."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.terminal import Gateway
from gateway.update.wiring import UpdateWiring
from hub.config import load_config
from hub.runtime import Hub
from provisioning.release import build_release, make_release_key
from tests.e2e.conftest import Running
from tests.e2e.county import County
from tests.e2e.terminals import gateway
from tests.fleet.terminal_kit import FAST, Kit, make_kit
from tests.support.wait import wait_for
from tests.support.wheels import make_wheel
from wire.clock import SystemClock

pytestmark = [pytest.mark.broker, pytest.mark.slow]
UNIT = "power-co"


def _terminal(county: County, kit: Kit, version: str, restarts: list[str]) -> Gateway:
    wiring = UpdateWiring(
        root=kit.root,
        restart=restarts.append,
        version=version,
        settings=dataclasses.replace(FAST, confirm_within_s=20),
        poll_s=0.1,
    )
    gw = gateway(county, UNIT, SystemClock(), updates=wiring)
    gw.start()
    return gw


def _setup(
    tmp_path: Path, make_county: Callable[[list[str]], County], running: Running, works: bool
) -> tuple[County, Hub, Kit]:
    county = make_county([UNIT, "water-co"])
    make_release_key(county.pki)  # release.pub into every unit bundle
    wheels = make_wheel(tmp_path / "wheels", "0.2.0", works=works).parent
    bundle = tmp_path / "liandong-0.2.0.ltar"
    build_release(county.pki, wheels, "0.2.0", bundle)
    hub = Hub(load_config(county.hub_toml))
    hub.start()
    running.add(hub.stop)
    hub.fleet.releases.add(bundle, by="test", now=hub.desk.clock.now())
    kit = make_kit(tmp_path / "unit-disk")
    kit.clock[0] = time.time()  # the boot check dates a failure by the terminal's clock
    return county, hub, kit


def test_canary_updates_and_the_hub_sees_it(
    tmp_path: Path, make_county: Callable[[list[str]], County], running: Running
) -> None:
    county, hub, kit = _setup(tmp_path, make_county, running, works=True)
    restarts: list[str] = []
    gw = _terminal(county, kit, "0.1.0", restarts)
    running.add(gw.stop)
    wait_for(gw.link.connected.is_set, what="connected")
    hub.fleet.rollouts.start("0.2.0", [UNIT], by="admin")
    wait_for(lambda: restarts, timeout=60, what="download, install and switch")
    assert restarts == ["switched to 0.2.0"] and kit.slots.active() == "b"
    gw.stop()

    assert "trial of 0.2.0" in kit.slots.boot_check(kit.clock[0])
    assert kit.run_current().stdout.strip() == "0.2.0"  # the slot holds the new release
    gw2 = _terminal(county, kit, "0.2.0", [])
    running.add(gw2.stop)
    wait_for(lambda: kit.slots.trial() is None, timeout=20, what="confirmed")

    def updated() -> bool:
        hub.fleet.sync()
        return all(t["updated_at"] for t in hub.fleet.rollouts.targets(1))

    wait_for(updated, timeout=20, what="the hub to see 0.2.0 in health")
    assert hub.fleet.rollouts.active() is not None  # canary done; the admin advances


def test_canary_that_crashes_halts_the_rollout(
    tmp_path: Path, make_county: Callable[[list[str]], County], running: Running
) -> None:
    county, hub, kit = _setup(tmp_path, make_county, running, works=False)
    restarts: list[str] = []
    gw = _terminal(county, kit, "0.1.0", restarts)
    running.add(gw.stop)
    wait_for(gw.link.connected.is_set, what="connected")
    hub.fleet.rollouts.start("0.2.0", [UNIT], by="admin")
    wait_for(lambda: restarts, timeout=60, what="download, install and switch")
    gw.stop()
    # systemd starts the new release, it exits 1, systemd restarts it ... until the boot
    # check gives up and switches back
    for _ in range(4):
        kit.slots.boot_check(kit.clock[0])
        if kit.slots.active() == "a":
            break
        assert kit.run_current().returncode == 1
    assert kit.slots.active() == "a"
    gw_old = _terminal(county, kit, "0.1.0", [])
    running.add(gw_old.stop)

    def halted() -> bool:
        rollout = hub.fleet.sync()
        return rollout is not None and rollout["state"] == "halted"

    wait_for(halted, timeout=20, what="the hub to halt the rollout")
    rollout = hub.fleet.rollouts.recent(1)[0]
    assert UNIT in rollout["halted_reason"] and "crashed" in rollout["halted_reason"]
