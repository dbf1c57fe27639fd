"""`liandong-gateway`'s entry point: the unit's `run` line starts without click, and every
other command line reads exactly as click's (gateway/launch.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gateway.launch import run_arguments
from tests.gateway.conftest import TerminalFiles

PROGRAM = str(Path(sys.executable).with_name("liandong-gateway"))


@pytest.mark.parametrize(
    ("argv", "options"),
    [
        (["run"], {"--config": "gateway.toml", "--log-level": "INFO"}),
        (["run", "--config", "/etc/liandong/gateway.toml"],
         {"--config": "/etc/liandong/gateway.toml", "--log-level": "INFO"}),
        (["run", "--log-level=DEBUG", "--config=g.toml"],
         {"--config": "g.toml", "--log-level": "DEBUG"}),
    ],
)  # fmt: skip
def test_the_units_run_line_takes_the_short_way(argv: list[str], options: dict[str, str]) -> None:
    assert run_arguments(argv) == options


@pytest.mark.parametrize(
    "argv",
    [
        [], ["--help"], ["--version"], ["check-config"], ["run", "--help"],
        ["run", "--config"], ["run", "--config", "--log-level", "INFO"],
        ["run", "--config", "a", "--config", "b"], ["run", "--bogus"], ["run", "extra"],
        ["run", "--config="],
    ],
)  # fmt: skip
def test_anything_else_is_clicks_to_parse(argv: list[str]) -> None:
    assert run_arguments(argv) is None


def _program(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PROGRAM, *args], capture_output=True, text=True, timeout=60, cwd=cwd, check=False
    )


def test_a_bad_configuration_is_one_line_either_way(files: TerminalFiles) -> None:
    """The short way prints what click would: `Error: ...`, exit 1, no traceback."""
    path = files.write()
    path.write_text(path.read_text().replace("[printer]", "[printer]\nbaud = 9600"))
    short = _program("run", "--config", str(path), cwd=files.root)
    assert short.returncode == 1, short.stderr
    assert (
        short.stderr.startswith("Error: ") and "unknown key(s) in [printer]: baud" in short.stderr
    )
    assert "Traceback" not in short.stderr and len(short.stderr.strip().splitlines()) == 1
    checked = _program("check-config", "--config", str(path), "--offline", cwd=files.root)
    assert checked.returncode == 1 and "unknown key(s) in [printer]: baud" in checked.stderr


def test_clicks_help_and_usage_errors_still_answer(tmp_path: Path) -> None:
    helped = _program("run", "--help", cwd=tmp_path)
    assert helped.returncode == 0 and "--log-level" in helped.stdout
    wrong = _program("run", "--bogus", cwd=tmp_path)
    assert wrong.returncode == 2 and "No such option '--bogus'" in wrong.stderr
