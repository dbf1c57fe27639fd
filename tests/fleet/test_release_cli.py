"""`liandong-provision release key|build`: the key is 0600, never replaced, reaches the
unit bundles; a bundle is built only with the liandong wheel of the version named."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from provisioning.cli import main
from tests.support.wheels import make_wheel
from wire.release import verify_bundle
from wire.signing import Verifier


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def pki_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "pki"
    run(
        "init",
        "--county",
        "shuangbai",
        "--dir",
        str(folder),
        "--broker-host",
        "mq.local",
        "--allow-unresolved",
    )
    run("enroll", "--dir", str(folder), "u1")
    return folder


def test_release_key_made_once_and_given_to_units(pki_dir: Path) -> None:
    out = run("release", "key", "--dir", str(pki_dir))
    key = pki_dir / "release" / "release.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "u1" in out
    pub = (pki_dir / "release" / "release.pub").read_bytes()
    assert (pki_dir / "units" / "u1" / "release.pub").read_bytes() == pub
    before = key.read_bytes()
    out = run("release", "key", "--dir", str(pki_dir), code=1)
    assert "refusing" in out and key.read_bytes() == before
    # a unit enrolled later gets it with its bundle
    run("enroll", "--dir", str(pki_dir), "u2")
    assert (pki_dir / "units" / "u2" / "release.pub").read_bytes() == pub


def test_build_signs_a_bundle_the_units_key_verifies(pki_dir: Path, tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "0.2.0")
    out = tmp_path / "r.ltar"
    args = ["release", "build", "--dir", str(pki_dir), "--wheel-dir", str(wheels)]
    assert "release key" in run(*args, "--version", "0.2.0", "--out", str(out), code=1)
    run("release", "key", "--dir", str(pki_dir))
    assert "0.3.0" in run(*args, "--version", "0.3.0", "--out", str(out), code=1)
    assert not out.exists()
    run(*args, "--version", "0.2.0", "--out", str(out))
    unit_key = Verifier.from_pem((pki_dir / "units" / "u1" / "release.pub").read_bytes())
    assert verify_bundle(out, unit_key).version == "0.2.0"
