"""`liandong-gateway run` loads only what its configuration uses (issue 17: terminal RSS).

The real run path in a fresh interpreter; at READY=1 (the systemd notification, the one
thing intercepted) the process prints the modules it has imported and stops. Kiosk off:
no Flask, no waitress, no click (the unit's `run` line skips it, gateway/launch.py).
Either way: no sqlite-utils once the state file is migrated, no prometheus_client before
a scrape, no pynmea2 without a GPS, no update agent outside A/B slots, and never
python-escpos (a dev dependency now: the oracle of the ESC/POS commands).
docs/gateway.md (Figures) has what each of them weighs.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from gateway.state import schema
from gateway.state.store import Store
from tests.gateway.conftest import TerminalFiles
from wire.clock import FakeClock

CHILD = """
import os, signal, sys
import gateway.launch, gateway.runner

def notify(state):
    if state.startswith("READY=1"):
        print("MODULES", " ".join(sorted(sys.modules)), flush=True)
        os.kill(os.getpid(), signal.SIGTERM)

gateway.runner.notify = notify
sys.argv[0] = "liandong-gateway"
gateway.launch.main()
"""
KIOSK = {"flask", "flask_wtf", "werkzeug", "jinja2", "waitress", "gateway.kiosk"}
NEVER_AT_START = {"prometheus_client", "pynmea2", "escpos", "gateway.update.agent"}


def _modules_at_ready(files: TerminalFiles, *, kiosk: bool) -> set[str]:
    data_path = files.write()
    if not kiosk:
        data_path.write_text(
            data_path.read_text().replace("[kiosk]\n", "[kiosk]\nenabled = false\n")
        )
    env = {"GPIOZERO_PIN_FACTORY": "mock", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, "run", "--config", str(data_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=files.root,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("MODULES ")]
    assert lines, f"no READY=1: exit {out.returncode}\n{out.stderr[-2000:]}"
    return set(lines[0].split()[1:])


def _migrated(files: TerminalFiles) -> None:
    """The state file as the terminal's first start leaves it."""
    Store(files.root / "state" / "gateway.sqlite3", FakeClock()).close()


@pytest.mark.parametrize("kiosk", [False, True])
def test_run_imports_what_the_configuration_uses(files: TerminalFiles, kiosk: bool) -> None:
    files.root.mkdir(parents=True)
    _migrated(files)
    modules = _modules_at_ready(files, kiosk=kiosk)
    assert "gateway.terminal" in modules and "paho.mqtt.client" in modules
    if kiosk:
        assert modules >= KIOSK
    else:
        assert not modules & KIOSK, sorted(modules & KIOSK)
        assert not modules & {"gateway.heap", "ctypes"}  # malloc_trim helps the kiosk only
        assert "click" not in modules  # (Flask imports it for its own command line)
    assert not modules & NEVER_AT_START, sorted(modules & NEVER_AT_START)
    assert "sqlite_utils" not in modules  # the schema is current: nothing to migrate


def test_the_first_start_migrates_with_sqlite_utils(files: TerminalFiles) -> None:
    modules = _modules_at_ready(files, kiosk=False)
    assert "sqlite_utils" in modules
    with sqlite3.connect(files.root / "state" / "gateway.sqlite3") as c:
        names = [r[0] for r in c.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert tuple(names) == schema.NAMES
