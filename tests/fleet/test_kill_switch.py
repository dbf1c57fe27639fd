"""Kill -9 at any moment of a switch, for real: a child process switches to the new slot
and back again and again (the trial marker, `current`, the failure record, each step as
the terminal does it) and is killed with SIGKILL at a random moment; then the boot check
runs and the slot `current` points at must start. Whatever instant the kill lands on, the
terminal boots into a working release."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fleet.terminal_kit import Kit, make_kit

CHILD = """
import sys, time
from pathlib import Path
from gateway.update.slots import SlotRoot, Trial
root = SlotRoot(Path(sys.argv[1]))
n = 0
print("go", flush=True)
while True:
    now = time.time()
    if root.active() == "a":
        root.begin_trial(Trial("a", "b", "0.2.0", "0.1.0", now, now + 60))
        root.point_current("b")
    else:
        trial = root.trial()
        if trial is None:
            root.point_current("a")
        else:
            root.give_up(trial, "not_ready", "test", now)
    n += 1
"""


@pytest.fixture
def kit(tmp_path: Path) -> Kit:
    k = make_kit(tmp_path)
    bundle = k.bundle("0.2.0")
    inst = k.installer(bundle)
    assert inst.prepare(k.offer(bundle, "0.2.0"), "0.1.0") == "b"  # both slots work
    return k


def test_sigkill_at_random_moments_always_boots_a_working_slot(kit: Kit) -> None:
    rng = random.Random(19)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    seen: set[str] = set()
    for _ in range(12):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(kit.root)],
            stdout=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        assert child.stdout is not None and child.stdout.readline().strip() == "go"
        time.sleep(rng.uniform(0.0, 0.15))
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        child.stdout.close()
        seen.add(kit.slots.boot_check(time.time()).split(":")[0])
        done = kit.run_current()
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() in ("0.1.0", "0.2.0")
        assert not (kit.root / "current.tmp").exists()
    assert len(seen) >= 2, f"the kills all landed in one state: {seen}"
