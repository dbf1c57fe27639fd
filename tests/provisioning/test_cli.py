"""`liandong-provision` through click's CliRunner: every command, its help, its errors."""

from __future__ import annotations

import json
import re
import stat
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from cryptography import x509

from provisioning import pki
from provisioning.cli import main
from provisioning.enroll import make_csr
from provisioning.pki import load_cert
from provisioning.revocation import crl_expires, renew_crl


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def pki_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "pki"
    run("init", "--county", "shuangbai", "--dir", str(folder), "--broker-host", "localhost")
    return folder


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_has_help(name: str) -> None:
    command = main.commands[name]
    assert command.help and len(command.help) > 20
    for param in command.params:
        if isinstance(param, click.Option) and param.name not in ("pki",):
            assert param.help, f"{name} {param.opts} has no help"
    assert "Usage:" in run(name, "--help")


def test_init_refuses_a_second_time(pki_dir: Path) -> None:
    out = run("init", "--county", "shuangbai", "--dir", str(pki_dir), code=1)
    assert "already holds a county CA" in out
    assert stat.S_IMODE((pki_dir / "ca" / "ca.key").stat().st_mode) == 0o600


def test_enroll_with_and_without_csr(pki_dir: Path, tmp_path: Path) -> None:
    run(
        "enroll", "power-co", "--dir", str(pki_dir), "--gps", "/dev/ld-gps",
        "--name", "云南电网双柏供电局",
    )  # fmt: skip
    config = tomllib.loads((pki_dir / "units/power-co/gateway.toml").read_text(encoding="utf-8"))
    assert config["gps"]["port"] == "/dev/ld-gps"
    assert config["unit"]["name"] == "云南电网双柏供电局"  # the kiosk's header
    assert config["mqtt"]["host"] == "localhost"
    csr = tmp_path / "water.csr"
    csr.write_bytes(make_csr(pki.new_key(), "water-co"))
    run("enroll", "water-co", "--dir", str(pki_dir), "--csr", str(csr))
    assert (pki_dir / "units/water-co/unit.crt").exists()
    assert not (pki_dir / "units/water-co/unit.key").exists()
    water = tomllib.loads((pki_dir / "units/water-co/gateway.toml").read_text())
    assert "name" not in water["unit"]  # no name given: the kiosk shows the id
    assert "live certificate" in run("enroll", "water-co", "--dir", str(pki_dir), code=1)
    assert "not valid" in run("enroll", "Water", "--dir", str(pki_dir), code=1)


def test_revoke_then_check_and_renew(pki_dir: Path) -> None:
    run("enroll", "power-co", "--dir", str(pki_dir))
    run("enroll-tracker", "power-co", "van-1", "--dir", str(pki_dir))
    assert "reload the broker" in run("revoke", "power-co", "--dir", str(pki_dir))
    run("revoke", "power-co", "--tracker", "van-1", "--dir", str(pki_dir))
    assert "already revoked" in run("revoke", "power-co", "--dir", str(pki_dir), code=1)
    assert "all well" in run("check", "--dir", str(pki_dir))
    assert "not renewed" in run("crl-renew", "--dir", str(pki_dir), "--if-due", "30")
    assert "CRL renewed" in run("crl-renew", "--dir", str(pki_dir))


def test_intake_key_and_token_print_their_secret(pki_dir: Path) -> None:
    secret = run("intake-key", "cad-110", "--dir", str(pki_dir)).strip()
    assert re.fullmatch(r"[0-9a-f]{64}", secret)
    assert "--rotate" in run("intake-key", "cad-110", "--dir", str(pki_dir), code=1)
    token = run("token", "health-1", "--dir", str(pki_dir)).strip()
    assert len(token) >= 40
    assert token not in (pki_dir / "hub" / "enroll-tokens.json").read_text()


def test_token_file_and_its_refusals(pki_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "liandong-token.json"
    base = ["token", "health-1", "--dir", str(pki_dir), "--out", str(out)]
    assert "--hub-url" in run(*base, code=1)
    assert "no path" in run(*base, "--hub-url", "https://hub.gov/api", code=1)
    assert "expected https://" in run(*base, "--hub-url", "ftp://hub.gov", code=1)
    assert not out.exists()
    tokens_before = (
        (pki_dir / "hub" / "enroll-tokens.json").read_text()
        if (pki_dir / "hub" / "enroll-tokens.json").exists()
        else ""
    )
    assert "liandong-token.json" in run(*base, "--hub-url", "https://hub.gov:8443/")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = json.loads(out.read_text())
    assert data["hub"] == "https://hub.gov:8443" and data["unit"] == "health-1"
    assert data["ca"] == (pki_dir / "ca" / "ca.crt").read_text()
    assert data["token"] not in (pki_dir / "hub" / "enroll-tokens.json").read_text()
    assert tokens_before != (pki_dir / "hub" / "enroll-tokens.json").read_text()
    assert "never overwritten" in run(*base, "--hub-url", "https://hub.gov", code=1)


def test_broker_config_defaults(pki_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "broker"
    # --no-chown: the text is what is tested here; owners are test_broker_files.py's
    run("broker-config", "--dir", str(pki_dir), "--out", str(out), "--no-chown")
    conf = (out / "mosquitto.conf").read_text()
    assert conf.count("listener ") == 1
    assert "listener 8883\n" in conf
    assert "user mosquitto\n" in conf
    for line in [
        "require_certificate true",
        "use_identity_as_username true",
        "use_username_as_clientid true",
        "allow_anonymous false",
        f"crlfile {(pki_dir / 'ca' / 'crl.pem').resolve()}",
        "max_queued_messages 100000",
    ]:
        assert line + "\n" in conf
    acl = (out / "acl").read_text()
    assert "pattern read ld/v1/shuangbai/%u/down\n" in acl
    assert "user hub\ntopic readwrite ld/v1/shuangbai/#\n" in acl
    out2 = tmp_path / "b2"
    run(
        "broker-config",
        "--dir",
        str(pki_dir),
        "--out",
        str(out2),
        "--plain-port",
        "1883",
        "--run-as",
        "liandong",
        "--port",
        "9883",
        "--no-chown",
    )
    conf2 = (out2 / "mosquitto.conf").read_text()
    assert "listener 1883 127.0.0.1\n" in conf2
    assert "listener 9883\n" in conf2
    assert "user liandong\n" in conf2
    bad = run("broker-config", "--dir", str(pki_dir), "--out", str(out2), "--port", "70000", code=1)
    assert "not a TCP port" in bad


def test_check_fails_when_the_crl_is_near_its_end(pki_dir: Path) -> None:
    renew_crl(pki_dir, now=datetime.now(UTC), days=10)
    result = CliRunner().invoke(main, ["check", "--dir", str(pki_dir)])
    assert result.exit_code == 1
    assert "WARNING: the CRL" in result.output
    assert "renewed" in run("crl-renew", "--dir", str(pki_dir), "--if-due", "30")
    assert crl_expires(pki_dir) - datetime.now(UTC) > timedelta(days=360)


def test_rotate_dispatch_key(pki_dir: Path) -> None:
    run("enroll", "power-co", "--dir", str(pki_dir))
    out = run("rotate-dispatch-key", "--dir", str(pki_dir))
    assert "power-co" in out


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    out = run("enroll", "power-co", "--dir", str(tmp_path / "none"), code=1)
    assert "run `liandong-provision init` first" in out


def test_init_writes_the_gate_only_when_asked(tmp_path: Path) -> None:
    """`--gate-dir` writes [boundary], and `liandong-hub serve` reads it as the bridge's
    folders under the hub's folder; without it the hub has no bridge (opt-in)."""
    from hub.config import load_config

    plain, gated = tmp_path / "plain", tmp_path / "gated"
    run("init", "--county", "shuangbai", "--dir", str(plain))
    run("init", "--county", "shuangbai", "--dir", str(gated), "--gate-dir", "gate")
    assert load_config(plain / "hub" / "hub.toml").boundary is None
    boundary = load_config(gated / "hub" / "hub.toml").boundary
    assert boundary is not None
    assert boundary.folders.inbound == gated / "hub" / "gate" / "inbound"
    assert boundary.folders.outbound == gated / "hub" / "gate" / "outbound"


def test_init_refuses_a_broker_name_that_does_not_resolve(tmp_path: Path) -> None:
    folder = tmp_path / "pki"
    init = ["init", "--county", "shuangbai", "--dir", str(folder), "--broker-host"]
    out = run(*init, "hub.gov.invalid", code=1)
    assert "broker host hub.gov.invalid does not resolve" in out
    assert "--allow-unresolved" in out and "Traceback" not in out
    assert not folder.exists()  # nothing half-made


def test_every_broker_name_and_ip_goes_into_the_certificate(tmp_path: Path) -> None:
    folder = tmp_path / "pki"
    hosts = ["hub.gov.invalid", "localhost", "10.20.0.5", "127.0.0.1"]
    args = [a for h in hosts for a in ("--broker-host", h)]
    out = run("init", "--county", "shuangbai", "--dir", str(folder), *args, "--allow-unresolved")
    assert "hub.gov.invalid does not resolve yet" in out
    cert = load_cert(folder / "broker" / "broker.crt")
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["hub.gov.invalid", "localhost"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == [
        "10.20.0.5",
        "127.0.0.1",
    ]
    hub = tomllib.loads((folder / "hub" / "hub.toml").read_text())
    assert hub["mqtt"]["host"] == "hub.gov.invalid"  # the first, as given
    result = CliRunner().invoke(main, ["check", "--dir", str(folder)])
    assert result.exit_code == 1
    assert "WARNING: the broker host hub.gov.invalid does not resolve here" in result.output
