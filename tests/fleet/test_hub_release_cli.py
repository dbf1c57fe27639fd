"""`liandong-hub release add|list` on a county made by `liandong-provision`: a bundle signed
with another key is refused, the county's own is kept and listed, both audited."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ec

from hub.cli import main as hub_main
from hub.console import audit
from provisioning.cli import main as provision
from provisioning.release import build_release
from tests.support.wheels import make_wheel
from wire.release import build_bundle
from wire.signing import Signer


def test_release_add_and_list(tmp_path: Path) -> None:
    pki = tmp_path / "PKI"
    runner = CliRunner()
    for args in (
        [
            "init",
            "--county",
            "shuangbai",
            "--dir",
            str(pki),
            "--broker-host",
            "mq.local",
            "--allow-unresolved",
        ],
        ["release", "key", "--dir", str(pki)],
    ):
        r = runner.invoke(provision, args)
        assert r.exit_code == 0, r.output
    wheels = make_wheel(tmp_path / "w", "0.2.0").parent
    good = tmp_path / "good.ltar"
    build_release(pki, wheels, "0.2.0", good)
    forged = tmp_path / "forged.ltar"
    other = Signer(ec.generate_private_key(ec.SECP256R1()))
    build_bundle(wheels.glob("*.whl"), "0.2.0", other, forged, created_at=datetime.now(UTC))
    config = str(pki / "hub" / "hub.toml")

    r = runner.invoke(hub_main, ["release", "add", "--config", config, str(forged)])
    assert r.exit_code == 1 and "bad_signature" in r.output
    r = runner.invoke(hub_main, ["release", "add", "--config", config, str(good)])
    assert r.exit_code == 0, r.output
    assert "release 0.2.0 kept" in r.output
    assert (pki / "hub" / "releases" / "liandong-0.2.0.ltar").is_file()
    r = runner.invoke(hub_main, ["release", "list", "--config", config])
    assert r.output.startswith("0.2.0\tliandong-0.2.0.ltar")
    rows = [e for e in audit.entries(pki / "hub" / "hub.sqlite3") if e.action == "release_add"]
    assert sorted((e.outcome, e.actor) for e in rows) == [("ok", "cli"), ("refused", "cli")]
