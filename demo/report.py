"""The assessment report of a demo run: the `liandong-hub report` command that reads it.

After the run, `demo-state/` keeps the hub's database and hub.toml (`pki/hub/`), so the
county's own report command can be run on them. Two things make it differ from a report on
a real hub: the demo's county time runs `--speed` times faster than the wall clock, so the
report must be made *as of* the county time the run ended (`--as-of`), or it would leave out
everything the hub recorded "in the future"; and the run may cross midnight, so the range
is from the Beijing day of the first order (`started`: the run's start, or the back-dated
time of the self-taken call when earlier) to the day it ended. The report's totals (orders, late,
fed back) are the summary's (tests/demo/test_report.py checks it).
"""

from __future__ import annotations

import shlex
from datetime import datetime, timedelta
from pathlib import Path

from wire.clock import shanghai


def command(hub_toml: Path, started: datetime, ended: datetime, out: Path) -> list[str]:
    """The report command for a run that went from `started` to `ended` (county time)."""
    as_of = shanghai(ended + timedelta(seconds=1)).isoformat(timespec="seconds")
    return [
        "liandong-hub",
        "report",
        "range",
        "--config",
        str(hub_toml),
        "--from",
        shanghai(started).date().isoformat(),
        "--to",
        shanghai(ended).date().isoformat(),
        "--as-of",
        as_of,
        "--format",
        "json",
        "--out",
        str(out),
    ]


def command_line(hub_toml: Path, started: datetime, ended: datetime, out: Path) -> str:
    """The same, as a line to paste into a shell."""
    return shlex.join(command(hub_toml, started, ended, out))
