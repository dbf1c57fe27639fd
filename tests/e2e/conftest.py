"""Fixtures of the end-to-end drills: a provisioned county with its own broker, and a
registry of everything started (hubs, terminals, processes) that is stopped afterwards."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.county import County, provision


class Running:
    """What a test started, stopped in reverse order even when the test fails."""

    def __init__(self) -> None:
        self._stops: list[Callable[[], Any]] = []
        self.logs: dict[str, Callable[[], str]] = {}
        """Name -> reader of a process log, printed when the test fails."""

    def add(self, stop: Callable[[], Any]) -> None:
        self._stops.append(stop)

    def stop_all(self) -> None:
        while self._stops:
            with contextlib.suppress(Exception):
                self._stops.pop()()


@pytest.fixture
def make_county(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[list[str]], County]]:
    """provision() + the county's broker started; its log is printed when the test fails."""
    made: list[County] = []

    def make(units: list[str]) -> County:
        county = provision(tmp_path, units)
        county.broker.start()
        made.append(county)
        return county

    yield make
    for county in made:
        county.broker.stop()
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            print(f"\n----- mosquitto log -----\n{county.broker.read_log()[-20000:]}")


@pytest.fixture
def running(
    request: pytest.FixtureRequest, make_county: Callable[[list[str]], County]
) -> Iterator[Running]:
    """Torn down before the county's broker (it depends on make_county)."""
    r = Running()
    yield r
    r.stop_all()
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        for name, read in r.logs.items():
            print(f"\n----- {name} -----\n{read()[-20000:]}")
