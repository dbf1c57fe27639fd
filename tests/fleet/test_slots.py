"""The terminal's A/B switch in a throwaway root (as the firmware tests do): real
virtualenvs, real pip from the bundle's wheels, the real symlink and marker files; systemd's
part (run `current`, restart it after a crash, run the boot check before each start) is
played by the test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway.update import slots as slots_mod
from gateway.update.installer import InstallError
from gateway.update.slots import SlotRoot, main
from tests.fleet.terminal_kit import Kit, make_kit


@pytest.fixture
def kit(tmp_path: Path) -> Kit:
    return make_kit(tmp_path)


def test_kit_runs_its_first_release(kit: Kit) -> None:
    assert kit.slots.active() == "a"
    assert kit.run_current().stdout.strip() == "0.1.0"
    assert kit.slots.boot_check(kit.clock[0]) == "slot a"


def test_update_switches_and_confirms(kit: Kit) -> None:
    bundle = kit.bundle("0.2.0")
    inst = kit.installer(bundle)
    offer = kit.offer(bundle, "0.2.0")
    target = inst.prepare(offer, "0.1.0")
    assert target == "b" and kit.slots.active() == "a"  # nothing switched yet
    inst.switch(offer, target, "0.1.0")
    assert os.readlink(kit.root / "current") == "b"
    assert "trial of 0.2.0, start 1/3" in kit.slots.boot_check(kit.clock[0])
    assert kit.run_current().stdout.strip() == "0.2.0"
    assert kit.slots.confirm()
    assert kit.slots.trial() is None and kit.slots.failed() is None
    # the confirmed release's boot check is what systemd runs from now on
    assert (kit.root / "liandong-bootcheck.py").read_bytes() == Path(
        slots_mod.__file__
    ).read_bytes()
    assert kit.slots.boot_check(kit.clock[0]) == "slot b"


def test_version_that_fails_to_start_rolls_back(kit: Kit) -> None:
    """systemd restarts a crashing service; each start passes the boot check, which
    switches back after MAX_STARTS: the old release runs again and the failure is kept."""
    bundle = kit.bundle("0.2.0", works=False)
    inst = kit.installer(bundle)
    offer = kit.offer(bundle, "0.2.0")
    inst.switch(offer, inst.prepare(offer, "0.1.0"), "0.1.0")
    results = []
    for _ in range(slots_mod.MAX_STARTS + 1):
        kit.slots.boot_check(kit.clock[0])
        results.append(kit.run_current().returncode)
    assert results == [1] * slots_mod.MAX_STARTS + [0]
    assert kit.slots.active() == "a" and kit.run_current().stdout.strip() == "0.1.0"
    failed = kit.slots.failed()
    assert failed is not None and (failed["version"], failed["reason"]) == ("0.2.0", "crashed")


def test_not_ready_past_the_deadline_rolls_back_at_boot(kit: Kit) -> None:
    bundle = kit.bundle("0.2.0")
    inst = kit.installer(bundle)
    offer = kit.offer(bundle, "0.2.0")
    inst.switch(offer, inst.prepare(offer, "0.1.0"), "0.1.0")
    kit.slots.boot_check(kit.clock[0])
    kit.clock[0] += inst.settings.confirm_within_s + 1
    assert "not ready in time" in kit.slots.boot_check(kit.clock[0])
    assert kit.slots.active() == "a"
    assert kit.slots.failed()["reason"] == "not_ready"  # type: ignore[index]


def test_forged_or_downgrade_bundle_never_touches_a_slot(kit: Kit, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    from wire.signing import Signer

    forged = kit.bundle("0.3.0", key=Signer(ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(InstallError, match="bad_signature"):
        kit.installer(forged).prepare(kit.offer(forged, "0.3.0"), "0.1.0")
    old = kit.bundle("0.0.9")
    with pytest.raises(InstallError, match="downgrade"):
        kit.installer(old).prepare(kit.offer(old, "0.0.9"), "0.1.0")
    good = kit.bundle("0.2.0")
    other = kit.offer(kit.bundle("0.2.1"), "0.2.0")  # the hub's hash of another file
    with pytest.raises(InstallError, match="another hash"):
        kit.installer(good).prepare(other, "0.1.0")
    assert not (kit.root / "b").exists() and kit.slots.active() == "a"


class PowerCut(Exception):
    pass


def test_power_cut_at_every_durable_step(kit: Kit, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut the power after the k-th folder fsync of the switch (each durable step ends
    with one), for every k, then boot: the boot check always leaves `current` on a slot
    that starts, and a switch either happened (on trial) or is recorded as interrupted."""
    bundle = kit.bundle("0.2.0")
    inst = kit.installer(bundle)
    offer = kit.offer(bundle, "0.2.0")
    target = inst.prepare(offer, "0.1.0")
    real_fsync = slots_mod.fsync_dir
    pristine = {n: os.readlink(kit.root / "current") for n in ["current"]}
    k = 0
    while True:
        k += 1
        # reset to the prepared state: current -> a, no marker files
        for name in ("trial.json", "failed.json", "current.tmp"):
            p = kit.root / name
            if p.is_symlink() or p.exists():
                p.unlink()
        kit.slots.point_current(pristine["current"])
        calls = [0]

        def cut(path: Path, calls: list[int] = calls, k: int = k) -> None:
            real_fsync(path)
            calls[0] += 1
            if calls[0] == k:
                raise PowerCut

        monkeypatch.setattr(slots_mod, "fsync_dir", cut)
        try:
            inst.switch(offer, target, "0.1.0")
            finished = True
        except PowerCut:
            finished = False
        monkeypatch.setattr(slots_mod, "fsync_dir", real_fsync)
        kit.slots.boot_check(kit.clock[0])
        assert kit.run_current().returncode == 0, f"cut after step {k}: no working slot"
        if kit.slots.active() == "b":
            assert kit.slots.trial() is not None  # on trial: confirms or rolls back later
        else:
            assert kit.slots.failed()["reason"] == "interrupted"  # type: ignore[index]
        if finished:
            break
    assert k >= 2


def test_power_cut_while_switching_back(kit: Kit, monkeypatch: pytest.MonkeyPatch) -> None:
    """A release that crashed: cut the power at each step of the switch back; the next
    boot check finishes it, with the same failure record."""
    bundle = kit.bundle("0.2.0", works=False)
    inst = kit.installer(bundle)
    offer = kit.offer(bundle, "0.2.0")
    inst.switch(offer, inst.prepare(offer, "0.1.0"), "0.1.0")
    saved = (kit.root / "trial.json").read_bytes()
    real_fsync = slots_mod.fsync_dir
    for k in range(1, 5):
        (kit.root / "trial.json").write_bytes(saved)
        (kit.root / "failed.json").unlink(missing_ok=True)
        kit.slots.point_current("b")
        if k % 2:
            kit.clock[0] += 1000  # past the deadline: the boot check gives up
        calls = [0]

        def cut(path: Path, calls: list[int] = calls, k: int = k) -> None:
            real_fsync(path)
            calls[0] += 1
            if calls[0] == k:
                raise PowerCut

        monkeypatch.setattr(slots_mod, "fsync_dir", cut)
        try:
            if k % 2:
                kit.slots.boot_check(kit.clock[0])
            else:  # the running release gave up (not connected in time) and restarts
                trial = kit.slots.trial()
                assert trial is not None
                kit.slots.give_up(trial, "not_ready", "test", kit.clock[0])
        except PowerCut:
            pass
        monkeypatch.setattr(slots_mod, "fsync_dir", real_fsync)
        kit.slots.boot_check(kit.clock[0])
        assert kit.slots.active() == "a" and kit.slots.trial() is None, k
        assert kit.slots.failed()["reason"] == "not_ready", k  # type: ignore[index]
        assert kit.run_current().returncode == 0


def test_boot_check_script_runs_unchanged_from_a_copy(kit: Kit, tmp_path: Path) -> None:
    """As systemd runs it: the system's python3 on a copy of slots.py outside the slots."""
    import shutil
    import subprocess

    copy = tmp_path / "liandong-bootcheck.py"
    shutil.copyfile(slots_mod.__file__, copy)
    done = subprocess.run(
        ["/usr/bin/python3", str(copy), "check", str(kit.root)],
        capture_output=True, text=True, check=False, env={"PATH": "/usr/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "slot a"
    assert main(["check", str(tmp_path / "nowhere")]) == 1
    assert main(["bogus"]) == 2
    assert isinstance(kit.slots, SlotRoot)
