"""One serving hub per database (hub/db/running.py): `liandong-hub serve` refuses, naming
the holder's pid, while another process holds the database; and it takes the lock itself."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import tomli_w

from demo.broker import free_port
from hub.db.running import DatabaseLock
from hub.errors import ConfigError
from provisioning.county import init_county
from tests.e2e.procs import HubProcess
from tests.support.wait import wait_for


def hub_toml(tmp_path: Path) -> Path:
    init_county(tmp_path / "pki", "shuangbai")
    toml = tmp_path / "pki" / "hub" / "hub.toml"
    data = tomllib.loads(toml.read_text(encoding="utf-8"))
    data["http"]["listen"] = f"127.0.0.1:{free_port()}"
    toml.write_text(tomli_w.dumps(data), encoding="utf-8")
    return toml


def test_serve_is_refused_while_the_database_is_held(tmp_path: Path) -> None:
    toml = hub_toml(tmp_path)
    db = toml.parent / "hub.sqlite3"
    with DatabaseLock(db):  # as a running `serve` or a `restore` holds it
        done = subprocess.run(
            [str(Path(sys.executable).with_name("liandong-hub")), "serve", "--config", str(toml)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert f"(pid {os.getpid()})" in done.stderr and "stop it first" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_holds_the_database_while_it_runs(tmp_path: Path) -> None:
    toml = hub_toml(tmp_path)
    listen = tomllib.loads(toml.read_text(encoding="utf-8"))["http"]["listen"]
    hub = HubProcess(toml, f"http://{listen}")
    hub.start()  # no broker: the hub serves HTTP and keeps trying MQTT
    try:
        db = toml.parent / "hub.sqlite3"
        try:
            DatabaseLock(db).release()
            raise AssertionError("the lock was free while serve ran")
        except ConfigError as e:
            assert "stop it first" in str(e)
    finally:
        hub.stop()
    wait_for(lambda: _free(db), 10, "the lock to go with the process")


def _free(db: Path) -> bool:
    try:
        DatabaseLock(db).release()
    except ConfigError:
        return False
    return True
