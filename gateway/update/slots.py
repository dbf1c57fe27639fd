"""The two program slots on a terminal's disk, the switch between them, and the boot check
(docs/updates.md). Standard library only, and no import from the rest of `gateway`: the
boot check runs from a copy outside both slots (`ExecStartPre`, with the system's python3),
so a slot whose Python or packages are broken cannot stop it from switching back.

    ROOT/a, ROOT/b       two virtualenvs, each a whole installed release
    ROOT/current         symlink to "a" or "b": what systemd starts
    ROOT/trial.json      a switch not yet confirmed: from, to, version, deadline, starts
    ROOT/failed.json     the last release given up, and why (reported in health)

Every change is a file written to a temp name, fsynced, renamed, and the folder fsynced,
so a power cut at any point leaves either the old state or the new, and the boot check
finishes or undoes whatever it finds: a trial whose switch never happened is dropped, a
trial that started too often or outlived its deadline is switched back.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SLOTS = ("a", "b")
CURRENT = "current"
TRIAL = "trial.json"
FAILED = "failed.json"
BOOTCHECK = "liandong-bootcheck.py"
"""The copy of this file systemd's ExecStartPre runs (firmware-config/systemd/*slots.conf)."""
MAX_STARTS = 3
"""Starts a new release gets before it counts as crashing (systemd restarts it after a
crash or a watchdog kill; each start passes the boot check, which counts it)."""


class SlotError(Exception):
    """The slot root is not in a state the boot check can repair (say what to do)."""


@dataclass(frozen=True)
class Trial:
    """A switch to `to` (release `version`) made at `started` (epoch seconds), to be
    confirmed (READY and connected to the broker) before `deadline`."""

    from_slot: str
    to: str
    version: str
    previous_version: str
    started: float
    deadline: float
    starts: int = 0
    max_starts: int = MAX_STARTS


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Whole or not at all: temp file, fsync, rename, fsync the folder."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(data, f, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def remove(path: Path) -> None:
    if path.exists():
        path.unlink()
        fsync_dir(path.parent)


class SlotRoot:
    """ROOT and the durable steps on it; each step is safe to repeat after a power cut."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # ---- reading ---------------------------------------------------------------------------
    def active(self) -> str:
        link = self.root / CURRENT
        try:
            target = os.readlink(link)
        except OSError:
            raise SlotError(f"{link} is not a symlink to a slot: see docs/updates.md") from None
        name = Path(target).name
        if name not in SLOTS:
            raise SlotError(f"{link} points at {target!r}, not at a slot (a or b)")
        return name

    def inactive(self) -> str:
        return "b" if self.active() == "a" else "a"

    def slot(self, name: str) -> Path:
        if name not in SLOTS:
            raise SlotError(f"no slot {name!r}")
        return self.root / name

    def trial(self) -> Trial | None:
        try:
            data = json.loads((self.root / TRIAL).read_text(encoding="utf-8"))
            return Trial(**data)
        except FileNotFoundError:
            return None
        except (ValueError, TypeError) as e:  # cannot happen by a power cut (renamed whole)
            log.error("unreadable %s (%s): treated as a failed switch", TRIAL, e)
            return None

    def failed(self) -> dict[str, Any] | None:
        try:
            data = json.loads((self.root / FAILED).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def in_trial(self) -> Trial | None:
        """The trial this start is running, if the current slot is one on trial."""
        trial = self.trial()
        return trial if trial is not None and self.active() == trial.to else None

    # ---- the durable steps -----------------------------------------------------------------
    def point_current(self, name: str) -> None:
        """Atomically make `current` point at slot `name`: a new symlink under a temp
        name renamed over the old one (rename is atomic), then the folder fsynced."""
        self.slot(name)
        tmp = self.root / (CURRENT + ".tmp")
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(name, tmp)
        os.replace(tmp, self.root / CURRENT)
        fsync_dir(self.root)

    def clear_failure(self) -> None:
        """A release offered again gets a fresh trial: its old failure is history."""
        remove(self.root / FAILED)

    def refresh_bootcheck(self) -> bool:
        """Put this release's own boot check (this file) where systemd runs it, once the
        release is confirmed: a later release may improve the check. True if it changed."""
        target = self.root / BOOTCHECK
        code = Path(__file__).read_bytes()
        if target.exists() and target.read_bytes() == code:
            return False
        tmp = target.with_name(target.name + ".tmp")
        with tmp.open("wb") as f:
            f.write(code)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
        fsync_dir(self.root)
        return True

    def begin_trial(self, trial: Trial) -> None:
        """Step 1 of a switch: the trial marker, durably, before `current` moves."""
        write_json(self.root / TRIAL, asdict(trial))

    def confirm(self) -> bool:
        """The new release is READY and connected: the trial ends, and with it any older
        failure record. False when there is nothing to confirm."""
        trial = self.in_trial()
        if trial is None:
            return False
        remove(self.root / TRIAL)
        remove(self.root / FAILED)
        self.refresh_bootcheck()
        log.info("release %s confirmed in slot %s", trial.version, trial.to)
        return True

    def record_failure(self, version: str, reason: str, detail: str, now: float) -> None:
        """The release given up, reported in health until a newer one is confirmed."""
        record = {
            "version": version,
            "reason": reason,
            "detail": detail[:200],
            "at": datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds"),
        }
        write_json(self.root / FAILED, record)

    def give_up(self, trial: Trial, reason: str, detail: str, now: float) -> None:
        """Record why, switch back, end the trial: in that order, so a cut at any point
        is finished by the next boot check with the same record."""
        self.record_failure(trial.version, reason, detail, now)
        self.point_current(trial.from_slot)
        remove(self.root / TRIAL)
        log.error("release %s given up (%s: %s); back to slot %s", trial.version, reason,
                  detail, trial.from_slot)  # fmt: skip

    # ---- the boot check --------------------------------------------------------------------
    def boot_check(self, now: float) -> str:
        """Run before every start of the gateway; returns what it did (for the log)."""
        stray = self.root / (CURRENT + ".tmp")
        if stray.is_symlink() or stray.exists():
            stray.unlink()  # a switch cut before its rename: `current` is still the old one
        link = self.root / CURRENT
        if not link.is_symlink():
            if link.exists():
                raise SlotError(f"{link} exists but is no symlink: see docs/updates.md")
            raise SlotError(f"{link} is missing: no release installed in {self.root}")
        active = self.active()
        trial = self.trial()
        if trial is None:
            if (self.root / TRIAL).exists():  # unreadable: drop it, run what `current` says
                remove(self.root / TRIAL)
            return f"slot {active}"
        if active != trial.to:
            failed = self.failed()
            if failed is None or failed.get("version") != trial.version:
                self.give_up(trial, "interrupted", "切换中断电或被终止 cut during the switch", now)
            else:
                remove(self.root / TRIAL)  # cut after switching back: finish it
            return f"slot {self.active()}: switch to {trial.version} did not happen"
        failed = self.failed()
        if failed is not None and failed.get("version") == trial.version:
            self.give_up(trial, str(failed.get("reason")), str(failed.get("detail")), now)
            return f"rolled back to slot {trial.from_slot}: finishing the switch back"
        starts = trial.starts + 1
        if starts > trial.max_starts:
            self.give_up(
                trial, "crashed", f"启动 {trial.starts} 次均未就绪 {trial.starts} starts", now
            )
            return f"rolled back to slot {trial.from_slot}: {trial.version} kept failing"
        if now > trial.deadline:
            self.give_up(trial, "not_ready", "时限内未就绪 not ready in time", now)
            return f"rolled back to slot {trial.from_slot}: {trial.version} not ready in time"
        self.begin_trial(Trial(**{**asdict(trial), "starts": starts}))
        return f"slot {active}: trial of {trial.version}, start {starts}/{trial.max_starts}"


def main(argv: list[str] | None = None) -> int:
    """`python3 slots.py check ROOT`: the boot check, as systemd's ExecStartPre runs it.
    Exits 0 whenever `current` points at a slot afterwards, so the start goes on."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "check":
        print("usage: slots.py check ROOT", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="liandong-bootcheck: %(message)s")
    try:
        print(SlotRoot(Path(args[1])).boot_check(time.time()))
    except (SlotError, OSError) as e:
        print(f"liandong-bootcheck: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
