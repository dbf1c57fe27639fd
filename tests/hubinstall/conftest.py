"""Fixtures for hub-install/: a county PKI folder inside a throwaway Debian root.

The installer under test is the real `hub-install/install.sh`, run with `--root` so that it
writes into a folder shaped like a fresh Debian 12 machine (users root, www-data, nobody,
mosquitto: what the nginx and mosquitto packages leave) and nothing else. The PKI folder
is made there by the provisioning library exactly as `liandong-provision init`,
`enroll`, `broker-config` and `console-cert` make it (docs/deployment.md)."""

from __future__ import annotations

import subprocess
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

import pytest
import tomli_w

from demo.broker import free_port
from demo.county import INTAKE_SOURCE
from provisioning.broker_config import BrokerOptions, write_broker_config
from provisioning.console_cert import issue_console_cert
from provisioning.county import init_county
from provisioning.enroll import enroll_unit
from provisioning.intake import new_intake_key

REPO = Path(__file__).resolve().parents[2]
# The broker's user here is the root's mosquitto, not this machine's: owners are the
# installer's job in these tests, so broker-config (as root) must not hand the key to the
# host's mosquitto nor check that user's reach. (`chown` arrives with the broker side of
# issue 18; before it, broker-config changed no owner.)
NO_CHOWN = {"chown": False} if "chown" in {f.name for f in fields(BrokerOptions)} else {}
INSTALL = REPO / "hub-install" / "install.sh"
PKI = "/srv/liandong/pki"  # where docs/deployment.md puts it
NAMES = ("console.shuangbai.gov.local", "127.0.0.1")

PASSWD = """\
root:x:0:0:root:/root:/bin/bash
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
mosquitto:x:102:105::/var/lib/mosquitto:/usr/sbin/nologin
"""
GROUP = "root:x:0:\nwww-data:x:33:\nmosquitto:x:105:\nnogroup:x:65534:\n"


@dataclass
class HubRoot:
    root: Path
    hub_port: int
    intake_key: bytes  # the 110 CAD's (`liandong-provision intake-key`), as the drills name it

    @property
    def pki(self) -> Path:
        """The PKI folder as this machine (the test) sees it."""
        return self.root / PKI.lstrip("/")

    @property
    def hub_toml(self) -> Path:
        return self.pki / "hub" / "hub.toml"

    def path(self, target: str) -> Path:
        """A path of the installed system, under the root."""
        return self.root / target.lstrip("/")


def make_hub_root(root: Path, *, names: tuple[str, ...] = NAMES) -> HubRoot:
    etc = root / "etc"
    etc.mkdir(parents=True)
    (etc / "passwd").write_text(PASSWD)
    (etc / "group").write_text(GROUP)
    for secret in ("shadow", "gshadow"):
        (etc / secret).write_text("root:*::\n" if secret == "gshadow" else "root:*:19000:0:::::\n")
        (etc / secret).chmod(0o640)
    pki = root / PKI.lstrip("/")
    init_county(pki, "shuangbai", broker_hosts=["hub.shuangbai.gov.local"])
    enroll_unit(pki, "power-co")
    write_broker_config(pki, pki / "broker", BrokerOptions(port=free_port(), **NO_CHOWN))
    issue_console_cert(pki, list(names))
    key = bytes.fromhex(new_intake_key(pki, INTAKE_SOURCE))
    made = HubRoot(root, free_port(), key)
    set_listen(made, f"127.0.0.1:{made.hub_port}")
    return made


def set_listen(made: HubRoot, listen: str) -> None:
    """hub.toml's [http] listen (a free port on a shared test machine)."""
    data = tomllib.loads(made.hub_toml.read_text(encoding="utf-8"))
    data["http"]["listen"] = listen
    made.hub_toml.write_text(tomli_w.dumps(data), encoding="utf-8")


def install_args(*names: str) -> list[str]:
    args = ["--pki", PKI]
    for n in names or NAMES:
        args += ["--console-name", n]
    return args


def run_install(
    made: HubRoot, *args: str, names: tuple[str, ...] = (), check: bool = True
) -> subprocess.CompletedProcess[str]:
    """The real installer into the root; never touches the host (--root, --no-packages)."""
    cmd = ["bash", str(INSTALL), "--root", str(made.root), "--no-packages"]
    cmd += install_args(*names) + list(args)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"install.sh failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done


@pytest.fixture
def hub_root(tmp_path: Path) -> HubRoot:
    return make_hub_root(tmp_path / "root")
