"""The update agent in a real terminal (docs/updates.md): the hub's signed `update` command
over a real broker, nothing fetched while an order alarms or waits for 签收, the switch
when the room is idle, the new release confirming once READY and connected, and one that
never connects switching back and reporting why in its health."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from demo.broker import Broker
from gateway.terminal import Gateway
from gateway.update.slots import SlotRoot
from gateway.update.wiring import UpdateWiring
from provisioning import pki
from tests.fleet.terminal_kit import FAST, Kit, make_kit
from tests.gateway.conftest import Hub, TerminalFiles, order_body
from tests.support.wait import wait_for
from wire.clock import FakeClock
from wire.kinds import CommandBody, UpdateOffer

OID = "01JORDER0000000000000001"


@pytest.fixture
def kit(tmp_path: Path) -> Kit:
    return make_kit(tmp_path / "kit")


def wiring(kit: Kit, bundle: Path, version: str, restarts: list[str], mono: list[float]):  # type: ignore[no-untyped-def]
    def fetch(url: str, path: Path, limit: int) -> None:
        shutil.copyfile(bundle, path)

    return UpdateWiring(
        root=kit.root,
        restart=restarts.append,
        version=version,
        settings=FAST,
        now=lambda: kit.clock[0],
        monotonic=lambda: mono[0],
        fetch=fetch,
        poll_s=0.05,
    )


def give_release_key(files: TerminalFiles, kit: Kit) -> None:
    files.root.mkdir(parents=True, exist_ok=True)
    pem = pki.public_pem(kit.key._key.public_key())
    (files.root / "release.pub").write_bytes(pem)


def test_update_waits_for_the_room_then_switches_and_confirms(
    kit: Kit,
    files: TerminalFiles,
    broker: Broker,
    hub: Hub,
    make_gateway: Callable[..., Gateway],
) -> None:
    files.broker_port = broker.port
    give_release_key(files, kit)
    bundle = kit.bundle("0.2.0")
    restarts: list[str] = []
    mono = [0.0]
    gw = make_gateway(
        files.config(), FakeClock(), updates=wiring(kit, bundle, "0.1.0", restarts, mono)
    )
    wait_for(gw.link.connected.is_set, what="connected")
    hub.send("order", order_body(OID, now=gw.clock.now()))
    wait_for(lambda: gw.alarm.active, what="alarming")
    hub.send("command", CommandBody(command="update", update=kit.offer(bundle, "0.2.0")))
    wait_for(lambda: gw.updates is not None and gw.updates.pending() is not None, what="offer")
    assert gw.updates is not None and gw.updates.step() == "busy"
    assert not restarts and not (kit.root / "b").exists()
    gw.press("ack")
    wait_for(lambda: restarts, timeout=30, what="the switch")
    assert restarts == ["switched to 0.2.0"] and kit.slots.active() == "b"
    assert gw.health().version == "0.1.0"  # this process is still the old release
    gw.stop()

    # systemd: the boot check, then the new release starts (here: in-process, as 0.2.0)
    assert "trial of 0.2.0" in kit.slots.boot_check(kit.clock[0])
    restarts2: list[str] = []
    gw2 = make_gateway(
        files.config(), FakeClock(), updates=wiring(kit, bundle, "0.2.0", restarts2, mono)
    )
    wait_for(lambda: kit.slots.trial() is None, timeout=10, what="confirmed")
    assert gw2.health().version == "0.2.0" and gw2.health().update_failed is None
    assert not restarts2
    # a later rollout of the same version reaches it again: nothing to do, nothing failed
    assert gw2.updates is not None
    gw2.updates.offer(kit.offer(bundle, "0.2.0"))
    wait_for(lambda: gw2.updates.pending() is None, what="the offer dropped")  # type: ignore[union-attr]
    assert gw2.health().update_failed is None and not restarts2 and kit.slots.active() == "b"


def test_release_that_never_connects_rolls_back_and_says_why(
    kit: Kit, files: TerminalFiles, make_gateway: Callable[..., Gateway]
) -> None:
    give_release_key(files, kit)  # broker_port 1: nothing listens, never connected
    bundle = kit.bundle("0.2.0")
    offer = kit.offer(bundle, "0.2.0")
    inst = kit.installer(bundle)
    inst.switch(offer, inst.prepare(offer, "0.1.0"), "0.1.0")
    kit.slots.boot_check(kit.clock[0])
    restarts: list[str] = []
    mono = [0.0]
    gw = make_gateway(
        files.config(), FakeClock(), updates=wiring(kit, bundle, "0.2.0", restarts, mono)
    )
    assert gw.updates is not None
    assert gw.updates.step() == "waiting to confirm 0.2.0"
    mono[0] += FAST.confirm_within_s + 1
    wait_for(lambda: restarts, what="the rollback restart")
    assert restarts == ["rolled back"] and kit.slots.active() == "a"
    gw.stop()
    assert kit.slots.boot_check(kit.clock[0]) == "slot a"
    gw_old = make_gateway(
        files.config(), FakeClock(), updates=wiring(kit, bundle, "0.1.0", [], mono)
    )
    failed = gw_old.health().update_failed
    assert failed is not None and (failed.version, failed.reason) == ("0.2.0", "not_ready")


def test_refused_bundle_is_reported_and_nothing_switches(
    kit: Kit, files: TerminalFiles, make_gateway: Callable[..., Gateway]
) -> None:
    give_release_key(files, kit)
    old = kit.bundle("0.0.5")
    restarts: list[str] = []
    gw = make_gateway(
        files.config(), FakeClock(), updates=wiring(kit, old, "0.1.0", restarts, [0.0])
    )
    assert gw.updates is not None
    gw.updates.offer(kit.offer(old, "0.0.5"))
    wait_for(lambda: gw.health().update_failed is not None, what="the refusal in health")
    failed = gw.health().update_failed
    assert failed is not None and failed.reason == "refused" and "downgrade" in failed.detail
    assert not restarts and kit.slots.active() == "a" and gw.updates.pending() is None


def test_terminal_without_slots_ignores_an_offer(
    files: TerminalFiles, make_gateway: Callable[..., Gateway]
) -> None:
    gw = make_gateway(files.config(), FakeClock())
    offer = UpdateOffer(version="9.9", url="http://h/x", sha256="0" * 64, size=1)
    gw._on_update(offer)
    assert gw.updates is None and gw.health().update_failed is None
    assert isinstance(SlotRoot(Path("/nonexistent")), SlotRoot)
