"""install.sh --slots: the A/B drop-in (boot check before each start, `current` run), the
slots folder for the gateway, the county's release key from the bundle; and the unit with
its drop-in passes systemd's own verify."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.firmware.conftest import Bundle, run_install
from tests.firmware.test_unit_file import SYSTEM_UNITS, directives

DROP_IN = "etc/systemd/system/liandong-gateway.service.d/slots.conf"


def test_slots_install_places_the_drop_in_and_release_key(bundle: Bundle, pi_root: Path) -> None:
    (bundle.path / "release.pub").write_text("-----BEGIN PUBLIC KEY-----\nx\n")
    out = run_install(bundle.path, pi_root, "--slots").stdout
    assert "slots (A/B updates):" in out
    d = directives(pi_root / DROP_IN)
    assert d["Service.ExecStart"] == [
        "",
        "/opt/liandong/slots/current/bin/liandong-gateway run --config /etc/liandong/gateway.toml",
    ]
    assert d["Service.ExecStartPre"][0].endswith("liandong-bootcheck.py check /opt/liandong/slots")
    assert d["Service.Environment"] == ["LIANDONG_SLOTS=/opt/liandong/slots"]
    assert d["Service.ReadWritePaths"] == ["/opt/liandong/slots"]
    assert (pi_root / "opt/liandong/slots").is_dir()
    assert (pi_root / "etc/liandong/release.pub").read_text().startswith("-----BEGIN")


def test_without_slots_nothing_changes(bundle: Bundle, pi_root: Path) -> None:
    run_install(bundle.path, pi_root)
    assert not (pi_root / DROP_IN).exists()
    assert not (pi_root / "opt/liandong/slots").exists()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
@pytest.mark.skipif(
    not (SYSTEM_UNITS / "sysinit.target").is_file(), reason="no systemd units on this machine"
)
def test_unit_with_the_slots_drop_in_passes_verify(bundle: Bundle, pi_root: Path) -> None:
    run_install(bundle.path, pi_root, "--slots")
    shutil.copytree(SYSTEM_UNITS, pi_root / "usr/lib/systemd/system", symlinks=True)
    for program in ("opt/liandong/slots/a/bin/liandong-gateway", "usr/bin/python3"):
        p = pi_root / program
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("#!/bin/sh\nexit 0\n")
        p.chmod(0o755)
    (pi_root / "opt/liandong/slots/current").symlink_to("a")
    unit = pi_root / "etc/systemd/system/liandong-gateway.service"
    done = subprocess.run(
        ["systemd-analyze", "verify", f"--root={pi_root}", str(unit)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (pi_root / "opt/liandong/slots/current").unlink()  # the drop-in's ExecStart is checked
    done = subprocess.run(
        ["systemd-analyze", "verify", f"--root={pi_root}", str(unit)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode != 0 and "slots/current" in done.stderr
