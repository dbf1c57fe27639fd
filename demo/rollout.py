"""`make demo ARGS="--rollout"`: after the scenario, roll a new version out to the demo's
terminals, canary first, then half the county, then all (docs/updates.md).

What is real: the county's release key (`liandong-provision release key`, in every unit's
bundle before the terminals start), a signed bundle of version+1 (`release build`), the
hub keeping it and offering it stage by stage as signed `update` commands through its
outbox and the broker, each terminal's update agent waiting for an idle room, downloading
the bundle from the hub's /releases/ over HTTP, verifying hash and signature, switching its
own slot folder (`state/slots/UNIT`: trial marker, `current` symlink, boot check, confirm
once connected) and reporting the new version in health, which the hub counts.

What is simulated: the demo's terminals are objects in this process, not systemd services
on a Pi, so "install into the other slot" writes a stand-in program instead of a virtualenv
(`python -m venv` and pip for 29 terminals would take minutes), and "restart under systemd"
is the demo stopping that Gateway object, running the boot check, and starting a new one
that reports the version its slot holds. The release's wheel is a stand-in too
(demo/standin_wheel.py): it is signed and verified like a real one.
"""

from __future__ import annotations

import logging
import queue
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from demo.standin_wheel import make_wheel
from gateway.health.status import VERSION
from gateway.update.installer import InstallSettings
from gateway.update.slots import SlotRoot
from gateway.update.wiring import UpdateWiring
from hub.runtime import Hub
from provisioning.release import build_release, make_release_key
from wire.clock import Clock

log = logging.getLogger(__name__)

STAGE_WAIT_S = 60.0
"""Real seconds a stage may take before the demo calls the rollout failed."""
CANARY = 2
HALF = 50


def next_version(version: str) -> str:
    """0.1.0 -> 0.1.1: the release the demo rolls out."""
    head, _, last = version.rpartition(".")
    return f"{head}.{int(last) + 1}" if last.isdigit() else f"{version}.1"


class DemoSlots:
    """Each demo terminal's slot folder and what its restarts need."""

    def __init__(self, folder: Path, clock: Clock) -> None:
        self.folder = folder
        self.clock = clock
        """The county clock the demo's terminals live on (failures are dated by it)."""
        self.restarts: queue.SimpleQueue[str] = queue.SimpleQueue()
        """Units whose update agent asked for a restart; the fleet's loop does it."""

    def root(self, unit: str) -> Path:
        return self.folder / unit

    def prepare(self, unit: str) -> None:
        """Slot a holds the running version; `current` -> a."""
        root = self.root(unit)
        _standin(root / "a", VERSION)
        SlotRoot(root).point_current("a")

    def version(self, unit: str) -> str:
        """The version the slot `current` points at holds (what a restart runs)."""
        return (self.root(unit) / "current" / "VERSION").read_text(encoding="utf-8").strip()

    def wiring(self, unit: str) -> UpdateWiring:
        return UpdateWiring(
            root=self.root(unit),
            restart=lambda why: self.restarts.put(unit),
            version=self.version(unit),
            settings=InstallSettings(
                requirement="liandong",
                with_pip=False,
                system_site_packages=False,
                # county seconds (the boot check reads the county clock): an hour, a
                # minute of real time at the default speed
                confirm_within_s=3600.0,
            ),
            run=self.run(),
            now=lambda: self.clock.now().timestamp(),
            poll_s=0.5,
        )

    def run(self) -> Callable[[Sequence[str]], None]:
        """The installer's command runner, simulated: no venv, no pip (module docstring)."""

        def run(args: Sequence[str]) -> None:
            if "venv" in args:
                Path(args[-1]).mkdir(parents=True, exist_ok=True)
            elif "install" in args:
                slot = Path(args[args.index("--python") + 1]).parent.parent
                version = args[-1].rpartition("==")[2]
                _standin(slot, version)

        return run


def _standin(slot: Path, version: str) -> None:
    (slot / "bin").mkdir(parents=True, exist_ok=True)
    (slot / "VERSION").write_text(version + "\n", encoding="utf-8")
    program = slot / "bin" / "liandong-gateway"
    program.write_text(f"#!/bin/sh\necho {version}\n", encoding="utf-8")
    program.chmod(0o755)


def release_key(pki: Path) -> None:
    """Before the terminals start: the key their bundles carry (release.pub)."""
    make_release_key(pki)


def play(
    hub: Hub, pki: Path, units: list[str], note: Callable[[str], None], stop: Callable[[], bool]
) -> bool:
    """Build, keep and roll out version+1; True when every terminal reports it."""
    version = next_version(VERSION)
    with tempfile.TemporaryDirectory(prefix="liandong-release-") as tmp:
        wheels = make_wheel(Path(tmp) / "wheels", version).parent
        bundle = Path(tmp) / f"liandong-{version}.ltar"
        build_release(pki, wheels, version, bundle, min_version=VERSION)
        hub.fleet.releases.add(bundle, by="demo", now=hub.desk.clock.now())
    note(f"软件升级 rollout: 新版本 {version} 已签名并存入指挥中心 signed and kept on the hub")
    canary = units[:CANARY]
    hub.fleet.rollouts.start(version, canary, by="demo")
    stages: list[tuple[str, int | None]] = [
        ("先行单位 canary", 0),
        (f"{HALF}%", HALF),
        ("全部 all", None),
    ]
    for i, (name, percent) in enumerate(stages):
        if i:
            hub.fleet.rollouts.advance(percent=percent, by="demo")
        rollout = hub.fleet.rollouts.active()
        rid = rollout["id"] if rollout else 0
        deadline = time.monotonic() + STAGE_WAIT_S
        while True:
            state = hub.fleet.sync()
            targets = hub.fleet.rollouts.targets(rid)
            done = sum(1 for t in targets if t["updated_at"])
            if state is None or state["state"] == "halted":
                note(f"软件升级 rollout halted: {state and state['halted_reason']}")
                return False
            if done == len(targets):
                note(f"软件升级 rollout {name}: {done}/{len(units)} 终端已升级到 {version}")
                break
            if stop() or time.monotonic() > deadline:
                note(f"软件升级 rollout {name}: 超时 timed out ({done}/{len(targets)})")
                return False
            time.sleep(0.5)
    hub.fleet.sync()
    last = hub.fleet.rollouts.recent(1)
    return bool(last) and last[0]["state"] == "done"
