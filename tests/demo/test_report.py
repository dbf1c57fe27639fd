"""The demo's assessment report: the command the demo prints runs on what `demo-state/`
keeps (the hub's database and hub.toml), and its totals are the demo's summary.

A real demo process (3 calls at 300x, with its network outage), then the real
`liandong-hub report` command line exactly as printed, as a newcomer would paste it. The run
starts at 00:05 Beijing (county time): the water company's self-taken call is recorded as
taken 40 minutes earlier, on the day before, and the report must still count its order (a
CI run that happened to start just after Beijing midnight counted one order fewer).
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.demo.test_demo import ROOT, _demo, _env, _row

# 00:05 Beijing: the self-taken call, recorded as taken 40 minutes earlier, is on the day before
RUN = ("--calls", "3", "--speed", "300", "--seed", "5", "--until-done", "--county-start", "00:05")


@pytest.mark.slow
@pytest.mark.timeout(200)
def test_the_printed_report_command_gives_the_summarys_totals(tmp_path: Path) -> None:
    state = tmp_path / "state"
    done = subprocess.run(
        _demo(*RUN, "--state", str(state)),
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=160,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, f"stdout:\n{out}\nstderr:\n{done.stderr}"
    assert (state / "pki" / "hub" / "hub.sqlite3").exists()
    assert (state / "pki" / "hub" / "hub.toml").exists()
    found = re.search(r"^\s+(liandong-hub report range .*)$", out, re.M)
    assert found, out
    argv = shlex.split(found.group(1))
    report = subprocess.run(
        argv, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60, check=False
    )
    assert report.returncode == 0, report.stdout + report.stderr
    doc = json.loads(Path(argv[argv.index("--out") + 1]).read_text(encoding="utf-8"))
    county = doc["county"]
    assert county["orders"] == _row(out, "派单 orders") == len(doc["orders"])
    assert county["late"] == _row(out, "超时 late")
    assert county["fed_back"] == _row(out, "已反馈 fed back")
    assert county["open"] == 0
    assert f"{county['orders']} orders counted, {county['late']} late" in report.stdout
    assert "--from" in argv and argv[argv.index("--from") + 1] < argv[argv.index("--to") + 1]
    assert county["self_recorded"] == 1, "the self-taken call's order, taken the day before"
