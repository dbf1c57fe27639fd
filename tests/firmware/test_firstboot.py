"""A card with only a token file on its boot partition joins on first boot with no typing.

The real `install.sh --enroll-on-boot` makes the card (a throwaway root); the real
`liandong-firstboot` it installed runs unchanged, with LIANDONG_ROOT pointing at that root
and LIANDONG_GATEWAY at this checkout's `liandong-gateway`; the hub is the real hub app
over real HTTPS (tests/support/enroll_hub.py)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509

from provisioning import pki
from provisioning.county import init_county
from provisioning.tokens import create_token, token_file
from tests.firmware.conftest import FIRMWARE, INSTALL, make_root
from tests.support.enroll_hub import EnrollHub

FIRSTBOOT = FIRMWARE / "firstboot" / "liandong-firstboot"
GATEWAY = Path(sys.executable).parent / "liandong-gateway"


@pytest.fixture
def county(tmp_path: Path) -> Path:
    root = tmp_path / "PKI"
    init_county(root, "shuangbai")
    return root


@pytest.fixture
def hub(county: Path, tmp_path: Path) -> Iterator[EnrollHub]:
    h = EnrollHub(county, tmp_path / "hub.sqlite3")
    yield h
    h.close()


def make_card(root: Path, *args: str) -> Path:
    """install.sh --enroll-on-boot into a fresh Pi OS root: everything but the identity."""
    make_root(root)
    cmd = ["bash", str(INSTALL), "--enroll-on-boot", "--root", str(root), "--no-packages", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def first_boot(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIANDONG_ROOT": str(root), "LIANDONG_GATEWAY": str(GATEWAY)}
    script = root / "opt/liandong/firmware-config/firstboot/liandong-firstboot"
    return subprocess.run(
        [str(script)], capture_output=True, text=True, timeout=120, check=False, env=env
    )


def test_a_card_with_a_token_joins_on_first_boot(
    county: Path, hub: EnrollHub, tmp_path: Path
) -> None:
    card = make_card(tmp_path / "card", "--board", "pi4", "--printer-url", "/dev/usb/lp0")
    etc = card / "etc/liandong"
    assert not (etc / "unit.crt").exists() and not (etc / "gateway.toml").exists()
    wants = card / "etc/systemd/system/multi-user.target.wants"
    assert (wants / "liandong-firstboot.service").is_symlink()
    assert (etc / "install-options").read_text().split() == [
        "--board",
        "pi4",
        "--printer-url",
        "/dev/usb/lp0",
    ]
    assert os.access(card / "opt/liandong/firmware-config/firstboot/liandong-firstboot", os.X_OK)

    # nothing to do without a token: the boot goes on
    idle = first_boot(card)
    assert idle.returncode == 0 and "no liandong-token.json" in idle.stderr

    token = card / "boot/firmware/liandong-token.json"
    token.write_bytes(
        token_file(county, "power-co", create_token(county, "power-co"), hub.url, None)
    )
    done = first_boot(card)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "enrolled: power-co" in done.stderr
    assert not token.exists(), "the token is removed once used"
    assert not (card / "var/lib/liandong-enroll").exists(), "no staging copy of the key"
    assert stat.S_IMODE((etc / "unit.key").stat().st_mode) == 0o600
    cert = x509.load_pem_x509_certificate((etc / "unit.crt").read_bytes())
    assert cert.public_key() == pki.load_key(etc / "unit.key").public_key()
    config = tomllib.loads((etc / "gateway.toml").read_text())
    assert config["unit"] == {
        "id": "power-co",
        "county": "shuangbai",
        "state_dir": "/var/lib/liandong",
    }
    assert config["printer"]["port"] == "/dev/usb/lp0"  # the card's own options, kept
    pins = tomllib.loads((FIRMWARE / "pins/pi4.toml").read_text())
    assert config["pins"] == pins.get("pins", pins)
    record = (etc / "install-record.txt").read_text()
    assert "unit=power-co" in record

    again = first_boot(card)
    assert again.returncode == 0 and "already enrolled" in again.stderr


def test_a_used_token_fails_and_stays_for_the_journal(
    county: Path, hub: EnrollHub, tmp_path: Path
) -> None:
    data = token_file(county, "power-co", create_token(county, "power-co"), hub.url, None)
    first = make_card(tmp_path / "first", "--board", "pi4")
    (first / "boot/firmware/liandong-token.json").write_bytes(data)
    assert first_boot(first).returncode == 0
    copy = make_card(tmp_path / "copy", "--board", "pi4")  # the same token on a second card
    token = copy / "boot/firmware/liandong-token.json"
    token.write_bytes(data)
    done = first_boot(copy)
    assert done.returncode != 0 and "already been used" in done.stderr
    assert token.exists() and not (copy / "etc/liandong/unit.crt").exists()


def test_enroll_on_boot_takes_no_bundle(tmp_path: Path) -> None:
    make_root(tmp_path / "r")
    done = subprocess.run(
        ["bash", str(INSTALL), "--enroll-on-boot", str(tmp_path), "--root", str(tmp_path / "r")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "takes no BUNDLE" in done.stderr


def test_firstboot_is_shellcheck_clean() -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not on PATH (apt-get install shellcheck)")
    done = subprocess.run(
        ["shellcheck", "--shell=bash", str(FIRSTBOOT)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout
    assert FIRSTBOOT.read_text().startswith("#!/bin/bash\n")
    assert FIRSTBOOT.stat().st_mode & 0o111, "git must keep the executable bit"
