"""The systemd unit: accepted by systemd itself, and saying what the issue asks of it."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from tests.firmware.conftest import FIRMWARE, Bundle, run_install

UNIT = FIRMWARE / "systemd" / "liandong-gateway.service"
SYSTEM_UNITS = Path("/usr/lib/systemd/system")


def directives(path: Path) -> dict[str, list[str]]:
    """`Section.Key` -> values, in order (systemd allows a key more than once)."""
    out: dict[str, list[str]] = defaultdict(list)
    section = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=VALUE: {raw!r}"
        out[f"{section}.{key.strip()}"].append(value.strip())
    return out


def test_unit_says_what_the_terminal_needs() -> None:
    d = directives(UNIT)
    one = {k: v[-1] for k, v in d.items()}
    assert one["Service.Type"] == "notify"
    assert one["Service.WatchdogSec"] == "30"
    assert one["Service.Restart"] == "on-failure"
    assert one["Service.User"] == "liandong"
    assert set(one["Service.SupplementaryGroups"].split()) == {"gpio", "dialout", "audio"}
    assert one["Service.ExecStart"].split()[1:] == ["run", "--config", "/etc/liandong/gateway.toml"]
    assert {"network-online.target", "time-sync.target"} <= set(one["Unit.After"].split())
    assert "network-online.target" in one["Unit.Wants"].split()
    assert one["Install.WantedBy"] == "multi-user.target"
    assert "GPIOZERO_PIN_FACTORY=lgpio" in d["Service.Environment"]
    assert "MALLOC_ARENA_MAX=2" in d["Service.Environment"]  # bench_gateway runs with it


def test_unit_is_hardened_but_reaches_its_devices() -> None:
    d = directives(UNIT)
    one = {k: v[-1] for k, v in d.items()}
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "ReadWritePaths": "/var/lib/liandong",
        "StateDirectory": "liandong",
        "CapabilityBoundingSet": "",
        "DevicePolicy": "closed",
    }.items():
        assert one[f"Service.{key}"] == value, key
    assert "Service.PrivateDevices" not in d, "GPIO and serial need the real /dev"
    allowed = {v.split()[0] for v in d["Service.DeviceAllow"]}
    assert {"char-gpiochip", "char-ttyUSB", "char-ttyACM", "char-ttyAMA"} <= allowed
    assert "char-usb" in allowed  # /dev/usb/lp0, a USB printer-class printer
    assert "char-alsa" in allowed, "the spoken order plays through ALSA"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
@pytest.mark.skipif(
    not (SYSTEM_UNITS / "sysinit.target").is_file(), reason="no systemd units on this machine"
)
def test_installed_unit_passes_systemd_analyze_verify(bundle: Bundle, pi_root: Path) -> None:
    """Verified inside the installed root, with this machine's stock units copied in (as a Pi
    OS image has them) and a stand-in program at the ExecStart path, which verify requires."""
    run_install(bundle.path, pi_root)
    shutil.copytree(SYSTEM_UNITS, pi_root / "usr/lib/systemd/system", symlinks=True)
    program = pi_root / "opt/liandong/bin/liandong-gateway"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(0o755)
    unit = pi_root / "etc/systemd/system/liandong-gateway.service"
    done = subprocess.run(
        ["systemd-analyze", "verify", f"--root={pi_root}", str(unit)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "liandong-gateway.service" not in done.stderr, done.stderr

    program.unlink()  # the check has teeth: without the program, verify fails
    done = subprocess.run(
        ["systemd-analyze", "verify", f"--root={pi_root}", str(unit)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode != 0 and "liandong-gateway" in done.stderr


def test_drop_ins_set_the_watchdog_and_journal_limits() -> None:
    watchdog = directives(FIRMWARE / "systemd" / "system-liandong-watchdog.conf")
    assert watchdog["Manager.RuntimeWatchdogSec"] == ["15s"], "the BCM watchdog stops at ~15 s"
    journal = directives(FIRMWARE / "systemd" / "journald-liandong.conf")
    assert journal["Journal.Storage"] == ["persistent"]
    assert journal["Journal.SystemMaxUse"] == ["64M"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_exposure_score_stays_low(tmp_path: Path) -> None:
    """systemd's own hardening score (0 best, 10 worst); 1.5 when written. GPIO and serial
    access keep it above 1, so anything over 2 means a protection was dropped."""
    root = tmp_path / "root"
    (root / "etc/systemd/system").mkdir(parents=True)
    unit = root / "etc/systemd/system" / UNIT.name
    shutil.copy(UNIT, unit)
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", f"--root={root}", str(unit)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if "--offline" in done.stderr:
        pytest.skip("this systemd-analyze cannot score a unit offline (systemd < 250)")
    score = re.search(r"Overall exposure level for \S+: ([0-9.]+)", done.stdout)
    assert score, done.stdout + done.stderr
    assert float(score.group(1)) <= 2.0, done.stdout
