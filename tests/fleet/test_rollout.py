"""Rollouts on the hub: releases checked before they are kept, stages offered through the
dispatch outbox as signed `update` commands, units marked updated from their health, a
unit's failure halting the rollout with its reason."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from hub.errors import Conflict, NotFound
from hub.fleet.releases import ReleaseRefused
from hub.fleet.service import terminal_units
from tests.fleet.hub_kit import HubKit, make_hub_kit
from tests.support.pki import ThrowawayPKI
from wire import kinds as k
from wire.signing import Signer


@pytest.fixture
def kit(tmp_path: Path, test_pki: ThrowawayPKI) -> HubKit:
    return make_hub_kit(tmp_path, test_pki)


def test_release_is_checked_before_it_is_kept(kit: HubKit) -> None:
    forged = kit.bundle("0.2.0", key=Signer(ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(ReleaseRefused, match="bad_signature"):
        kit.fleet.releases.add(forged, by="cli", now=kit.clock.now())
    assert kit.fleet.releases.all() == []
    row = kit.fleet.releases.add(kit.bundle("0.2.0"), by="cli", now=kit.clock.now())
    assert row["file"] == "liandong-0.2.0.ltar"
    assert kit.fleet.releases.path("liandong-0.2.0.ltar") is not None
    assert kit.fleet.releases.path("../hub.sqlite3") is None
    with pytest.raises(Conflict):
        kit.fleet.releases.add(kit.bundle("0.2.0"), by="cli", now=kit.clock.now())


def test_stages_offer_updates_and_health_marks_units(kit: HubKit) -> None:
    kit.fleet.releases.add(kit.bundle("0.2.0"), by="cli", now=kit.clock.now())
    units = terminal_units(kit.service.registry)
    canary = units[:2]
    with pytest.raises(NotFound):
        kit.fleet.rollouts.start("0.2.0", ["nobody"], by="admin")
    rid = kit.fleet.rollouts.start("0.2.0", canary, by="admin")
    with pytest.raises(Conflict):
        kit.fleet.rollouts.start("0.2.0", canary, by="admin")
    sent = kit.commands()
    assert [c["unit"] for c in sent] == canary
    offer = sent[0]["body"]["update"]
    assert offer["url"] == "https://hub.test/releases/liandong-0.2.0.ltar"
    assert offer["version"] == "0.2.0" and len(offer["sha256"]) == 64
    for u in canary:  # running it, but on trial: not yet READY and connected
        kit.health(u, "0.2.0", trial=True)
    kit.fleet.sync()
    assert not any(t["updated_at"] for t in kit.fleet.rollouts.targets(rid))
    for u in canary:
        kit.health(u, "0.2.0")
    kit.fleet.sync()
    assert all(t["updated_at"] for t in kit.fleet.rollouts.targets(rid))
    added = kit.fleet.rollouts.advance(percent=25, by="admin")
    assert len(set(added) | set(canary)) >= len(units) // 4
    with pytest.raises(Conflict):
        kit.fleet.rollouts.advance(percent=10, by="admin")  # shares only grow
    assert len(kit.commands()) == len(canary) + len(added)
    kit.fleet.rollouts.advance(percent=None, by="admin")
    assert {c["unit"] for c in kit.commands()} == set(units)
    for u in units:
        kit.health(u, "0.2.0")
    rollout = kit.fleet.sync()
    assert rollout is not None and rollout["state"] == "done"
    assert kit.fleet.versions() == [("0.2.0", len(units))]


def test_a_units_failure_halts_the_rollout(kit: HubKit) -> None:
    kit.fleet.releases.add(kit.bundle("0.2.0"), by="cli", now=kit.clock.now())
    units = terminal_units(kit.service.registry)
    rid = kit.fleet.rollouts.start("0.2.0", units[:3], by="admin")
    old = k.UpdateFailure(
        version="0.2.0", reason="crashed", at=kit.clock.now() - timedelta(hours=2)
    )
    kit.health(units[0], "0.1.0", old)  # an older attempt's failure: not this rollout's
    kit.health(units[1], "0.2.0")
    kit.fleet.sync()
    assert kit.fleet.rollouts.active() is not None
    kit.clock.advance(60)
    failed = k.UpdateFailure(
        version="0.2.0", reason="not_ready", at=kit.clock.now(), detail="not connected"
    )
    kit.health(units[2], "0.1.0", failed)
    rollout = kit.fleet.sync()
    assert rollout is not None and rollout["state"] == "halted"
    assert units[2] in rollout["halted_reason"] and "not_ready" in rollout["halted_reason"]
    t = {t["unit"]: t for t in kit.fleet.rollouts.targets(rid)}
    assert t[units[2]]["fail_reason"] == "not_ready" and t[units[1]]["updated_at"]
    with pytest.raises(Conflict):
        kit.fleet.rollouts.advance(percent=None, by="admin")


def test_a_revoked_unit_is_not_waited_for(kit: HubKit) -> None:
    """A terminal revoked (stolen, scrapped) gets nothing from the hub: the `all` stage
    leaves it out, and one revoked after its offer no longer holds the rollout open."""
    kit.fleet.releases.add(kit.bundle("0.2.0"), by="cli", now=kit.clock.now())
    units = terminal_units(kit.service.registry)
    gone, later = units[-1], units[0]
    revoked: set[str] = {gone}
    kit.service.parts.reads.revoked = lambda: frozenset(revoked)
    rid = kit.fleet.rollouts.start("0.2.0", [later], by="admin")
    kit.fleet.rollouts.advance(percent=None, by="admin")
    targets = {t["unit"] for t in kit.fleet.rollouts.targets(rid)}
    assert gone not in targets and later in targets
    assert gone not in {c["unit"] for c in kit.commands()}
    revoked.add(later)  # revoked after its offer, before it reported the version
    for u in units:
        if u not in revoked:
            kit.health(u, "0.2.0")
    rollout = kit.fleet.sync()
    assert rollout is not None and rollout["state"] == "done"
