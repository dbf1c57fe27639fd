"""Fixtures for the firmware-config tests: a provisioning bundle and a throwaway Pi OS root.

The installer under test is the real `firmware-config/install.sh`, run with `--root` so it
writes into a folder shaped like a fresh Raspberry Pi OS Lite card and nothing else."""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from provisioning import pki

REPO = Path(__file__).resolve().parents[2]
FIRMWARE = REPO / "firmware-config"
INSTALL = FIRMWARE / "install.sh"

# A bundle as `liandong-provision enroll` writes it (docs/layout-and-config.md), with pins
# that differ from every board's defaults so the test can see the installer set them.
GATEWAY_TOML = """\
[unit]
id = "{unit}"              # the certificate CN
county = "shuangbai"
state_dir = "state"          # SQLite and spool; /var/lib/liandong on a terminal

[mqtt]
host = "hub.shuangbai.gov.local"
port = 8883
ca = "ca.crt"
cert = "unit.crt"
key = "unit.key"
hub_key = "hub-dispatch.pub"
keepalive = 10

[pins]                       # BCM numbers; firmware-config/pins/*.toml carries the same defaults
buzzer = 5
light = 6
ack_button = 13
arrive_button = 19

[printer]
port = "/dev/ttyUSB0"     # any pyserial URL: /dev/ttyUSB0, socket://10.1.2.3:9100, loop://
baudrate = 9600
encoding = "gb18030"

[gps]                        # optional: leave the section out when the duty room has none
port = "/dev/ttyACM0"
baudrate = 9600
arrival_radius_m = 150

[kiosk]
listen = "127.0.0.1:8080"
"""

CONFIG_TXT = """\
# For more options and information see
# http://rptl.io/configtxt
dtparam=audio=on
camera_auto_detect=1
display_auto_detect=1
auto_initramfs=1
dtoverlay=vc4-kms-v3d
max_framebuffers=2
disable_fw_kms_setup=1
arm_64bit=1
disable_overscan=1
arm_boost=1

[cm4]
otg_mode=1

[all]
"""

CMDLINE_TXT = (
    "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 "
    "fsck.repair=yes rootwait quiet\n"
)


@dataclass
class Bundle:
    path: Path
    unit: str


def make_bundle(folder: Path, unit: str = "power-co", ca: pki.Issued | None = None) -> Bundle:
    """Write a unit's bundle: ca.crt, unit.crt, unit.key (0600), hub-dispatch.pub, gateway.toml."""
    ca = ca or pki.make_ca("shuangbai")
    issued = pki.issue(ca, unit)
    folder.mkdir(parents=True)
    pki.write_public(folder / "ca.crt", pki.cert_pem(ca.cert))
    pki.write_public(folder / "unit.crt", pki.cert_pem(issued.cert))
    pki.write_private(folder / "unit.key", pki.key_pem(issued.key))
    pki.write_public(folder / "hub-dispatch.pub", pki.public_pem(pki.new_key().public_key()))
    (folder / "gateway.toml").write_text(GATEWAY_TOML.format(unit=unit), encoding="utf-8")
    return Bundle(folder, unit)


def make_root(root: Path, *, model: str | None = "Raspberry Pi 4 Model B Rev 1.5") -> Path:
    """A folder shaped like a fresh Raspberry Pi OS Lite (bookworm) root file system."""
    etc = root / "etc"
    etc.mkdir(parents=True)
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (etc / "group").write_text("root:x:0:\ndialout:x:20:\ngpio:x:997:\n")
    for secret in ("shadow", "gshadow"):
        (etc / secret).write_text("root:*::\n" if secret == "gshadow" else "root:*:19000:0:::::\n")
        (etc / secret).chmod(0o640)
    (etc / "fstab").write_text(
        "proc /proc proc defaults 0 0\n"
        "PARTUUID=4e639091-01 /boot/firmware vfat defaults 0 2\n"
        "PARTUUID=4e639091-02 / ext4 defaults,noatime 0 1\n"
    )
    boot = root / "boot" / "firmware"
    boot.mkdir(parents=True)
    (boot / "config.txt").write_text(CONFIG_TXT)
    (boot / "cmdline.txt").write_text(CMDLINE_TXT)
    if model:
        dt = root / "proc" / "device-tree"
        dt.mkdir(parents=True)
        (dt / "model").write_bytes(model.encode() + b"\0")
    return root


def run_install(
    bundle: Path, root: Path, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the real installer into `root`; never touches the host (--root, --no-packages)."""
    cmd = ["bash", str(INSTALL), str(bundle), "--root", str(root), "--no-packages", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"install.sh failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done


def tree_digest(root: Path) -> dict[str, str]:
    """Every path under root with its type, mode, owner and content (or link target)."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            p = Path(dirpath) / name
            st = p.lstat()
            if p.is_symlink():
                what = "link " + os.readlink(p)
            elif p.is_dir():
                what = "dir"
            else:
                what = hashlib.sha256(p.read_bytes()).hexdigest()
            out[str(p.relative_to(root))] = f"{st.st_mode:o} {st.st_uid}:{st.st_gid} {what}"
    return out


def passwd_ids(root: Path, user: str) -> tuple[int, int]:
    """(uid, gid) of `user` in the root's own /etc/passwd."""
    for line in (root / "etc" / "passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == user:
            return int(fields[2]), int(fields[3])
    raise AssertionError(f"{user} not in {root}/etc/passwd")


@pytest.fixture
def bundle(tmp_path: Path) -> Bundle:
    return make_bundle(tmp_path / "bundle")


@pytest.fixture
def pi_root(tmp_path: Path) -> Path:
    return make_root(tmp_path / "root")
