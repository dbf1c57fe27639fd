"""The command line and hub.toml: help everywhere, clear errors that name the file."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import main
from hub.config import load_config
from hub.errors import ConfigError
from provisioning.county import init_county


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for args in ([], ["serve"], ["report"]):
        result = runner.invoke(main, [*args, "--help"])
        assert result.exit_code == 0
        assert len(result.output.splitlines()) > 2
    assert "hub.toml" in runner.invoke(main, ["serve", "--help"]).output


def test_report_without_a_kind_says_which_kinds_exist() -> None:
    """`report` is built (tests/hub/assessment/test_outputs.py); bare, it names its kinds."""
    result = CliRunner().invoke(main, ["report"])
    assert result.exit_code != 0 and "daily|quarter|year|range" in result.output


def test_serve_with_a_broken_config_names_the_problem(tmp_path: Path) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text('[county]\nid = "shuangbai"\n[http]\nlisten = "nowhere"\n')
    result = CliRunner().invoke(main, ["serve", "--config", str(toml)])
    assert result.exit_code != 0
    assert "listen must be HOST:PORT" in result.output and str(toml) in result.output


def test_config_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    toml = tmp_path / "hub" / "hub.toml"
    toml.parent.mkdir()
    toml.write_text(
        '[county]\nid = "shuangbai"\nregistry = ""\n[mqtt]\nhost = "broker"\nport = 8883\n'
        '[http]\nlisten = "0.0.0.0:8000"\n[presence]\nstale_after_s = 20\n'
    )
    cfg = load_config(toml)
    assert cfg.mqtt.cert == toml.parent / "hub.crt"
    assert cfg.pki_dir == toml.parent / ".."
    assert cfg.db_path == toml.parent / "hub.sqlite3"
    assert cfg.registry is None and cfg.stale_after_s == 20
    assert (cfg.listen_host, cfg.listen_port) == ("0.0.0.0", 8000)


def test_trusted_proxies_are_ip_addresses(tmp_path: Path) -> None:
    """Only a named proxy's X-Forwarded-For is believed by the console's login throttle."""
    toml = tmp_path / "hub.toml"
    toml.write_text('[county]\nid = "shuangbai"\n[http]\ntrusted_proxies = ["127.0.0.1", "::1"]\n')
    assert load_config(toml).trusted_proxies == ("127.0.0.1", "::1")
    toml.write_text('[county]\nid = "shuangbai"\n[http]\ntrusted_proxies = ["nginx"]\n')
    with pytest.raises(ConfigError) as e:
        load_config(toml)
    assert "[http] trusted_proxies" in str(e.value)


@pytest.mark.parametrize(
    ("text", "needle"),
    [("[county\n", "hub.toml"), ("[mqtt]\nport = 1\n", "[county] id is missing")],
)
def test_bad_config_files(tmp_path: Path, text: str, needle: str) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text(text)
    with pytest.raises(ConfigError, match=None) as e:
        load_config(toml)
    assert needle in str(e.value)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[http]\nlisten = "127.0.0.1:99999"\n', "[http] listen port must be 0..65535"),
        ("[mqtt]\nport = 0\n", "[mqtt] port must be 1..65535"),
        ("[mqtt]\nkeepalive = 0\n", "[mqtt] keepalive must be 1..65535 s"),
        ("[presence]\nstale_after_s = nan\n", "[presence] stale_after_s must be above 0"),
        ("[trackers]\narrival_radius_m = -5\n", "[trackers] arrival_radius_m must be above 0"),
        ("[delivery]\nwindow = 0\n", "[delivery] window must be at least 1"),
    ],
)
def test_numbers_that_cannot_work_are_named(tmp_path: Path, text: str, needle: str) -> None:
    toml = tmp_path / "hub.toml"
    toml.write_text('[county]\nid = "shuangbai"\n' + text)
    with pytest.raises(ConfigError) as e:
        load_config(toml)
    assert needle in str(e.value) and str(toml) in str(e.value)


def test_create_admin_prints_a_one_time_password(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from hub.cli import main
    from hub.console import users

    cfg = tmp_path / "hub.toml"
    cfg.write_text('[county]\nid = "shuangbai"\n[store]\npath = "hub.sqlite3"\n')
    result = CliRunner().invoke(main, ["create-admin", "--config", str(cfg), "chief"])
    assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1]
    assert len(password) >= 12
    again = CliRunner().invoke(main, ["create-admin", "--config", str(cfg), "chief"])
    assert again.exit_code != 0
    assert "chief" in again.output
    assert users.get_user(tmp_path / "hub.sqlite3", "chief") is not None


def test_serve_on_a_taken_port_is_one_line(tmp_path: Path) -> None:
    """The real command on a county made by `liandong-provision init`, its HTTP port taken:
    one line naming the address, exit status 1, no traceback."""
    init_county(tmp_path / "PKI", "shuangbai")
    toml = tmp_path / "PKI" / "hub" / "hub.toml"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        toml.write_text(toml.read_text().replace("127.0.0.1:8000", f"127.0.0.1:{port}"))
        done = subprocess.run(
            [str(Path(sys.executable).parent / "liandong-hub"), "serve", "--config", str(toml)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1, done.stderr
    assert f"Error: cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
