"""`broker-config` as root: what the broker's user gets, and the clear errors when it
could not open its files."""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from provisioning.cli import main
from provisioning.county import init_county
from tests.provisioning.conftest import COUNTY

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root")


@pytest.fixture
def pki() -> Iterator[Path]:
    """A PKI folder in a 0755 folder under /tmp (pytest's own temp folders are root's
    0700, which the mosquitto user could not enter)."""
    site = Path(tempfile.mkdtemp(prefix="ld-site-"))
    site.chmod(0o755)
    init_county(site / "pki", COUNTY)
    yield site / "pki"
    shutil.rmtree(site)


def run(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(main, list(args))
    return done.exit_code, done.output


def test_private_parent_folder_is_one_clear_error(pki: Path) -> None:
    private = pki.parent
    private.chmod(0o700)
    code, out = run("broker-config", "--dir", str(pki), "--out", str(pki / "broker"))
    assert code == 1
    assert f"Mosquitto runs as mosquitto and cannot enter {private}" in out
    assert "Traceback" not in out


def test_missing_run_as_user_is_one_clear_error(pki: Path) -> None:
    code, out = run(
        "broker-config", "--dir", str(pki), "--out", str(pki / "broker"), "--run-as", "no-such-u"
    )
    assert code == 1
    assert "the user 'no-such-u'" in out and "--run-as" in out


def test_no_chown_leaves_owners_alone_and_says_what_is_needed(pki: Path) -> None:
    code, out = run("broker-config", "--dir", str(pki), "--out", str(pki / "broker"), "--no-chown")
    assert code == 0, out
    assert "--no-chown" in out and "broker.key" in out
    assert (pki / "broker" / "broker.key").stat().st_uid == 0


def test_key_and_data_go_to_the_broker_user_and_nothing_else(pki: Path) -> None:
    code, out = run("broker-config", "--dir", str(pki), "--out", str(pki / "broker"))
    assert code == 0, out
    mosquitto = pwd.getpwnam("mosquitto").pw_uid
    key = pki / "broker" / "broker.key"
    assert key.stat().st_uid == mosquitto and key.stat().st_mode & 0o777 == 0o600
    data = pki / "broker" / "data"
    assert data.stat().st_uid == mosquitto and data.stat().st_mode & 0o777 == 0o700
    for secret in (pki / "ca" / "ca.key", pki / "hub" / "hub.key"):
        assert secret.stat().st_uid == 0 and secret.stat().st_mode & 0o777 == 0o600
