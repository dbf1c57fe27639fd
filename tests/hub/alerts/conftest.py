"""Escalation SMS over real parts: a SQLite file, a FakeClock, a modem on a pty pair."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from smspdudecoder.fields import SMSSubmit

from demo.modem import ModemSimulator
from hub.alerts.modem import Modem
from hub.alerts.settings import ModemSettings, NotifySettings
from hub.config import Settings
from hub.parts import open_parts
from hub.registry import Registry, load_registry
from tests.support.hubparts import TestService
from wire.clock import FakeClock


@pytest.fixture
def sim() -> Iterator[ModemSimulator]:
    with ModemSimulator() as s:
        yield s


def modem_settings(sim: ModemSimulator, **over: Any) -> ModemSettings:
    figures: dict[str, Any] = {"command_timeout_s": 2.0, "send_timeout_s": 2.0, **over}
    return ModemSettings(port=sim.path, **figures)


@pytest.fixture
def modem(sim: ModemSimulator) -> Iterator[Modem]:
    m = Modem(modem_settings(sim))
    yield m
    m.close()


def notify_settings(sim: ModemSimulator | None = None, **over: Any) -> NotifySettings:
    return NotifySettings(
        channel="modem", modem=modem_settings(sim) if sim else ModemSettings(), **over
    )


def open_service(path: Path, clock: FakeClock, notify: NotifySettings) -> TestService:
    return TestService(
        open_parts(
            path, registry=load_registry(None), clock=clock, settings=Settings(notify=notify)
        )
    )


@pytest.fixture
def registry() -> Registry:
    return load_registry(None)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def decoded(pdu_hex: str) -> dict[str, Any]:
    """A PDU the modem took, decoded by an independent decoder (smspdudecoder)."""
    return dict(SMSSubmit.decode(StringIO(pdu_hex)))


def messages(sim: ModemSimulator) -> list[tuple[str, str]]:
    """(number, whole text) of every message the modem took, long ones put together."""
    out: list[tuple[str, str]] = []
    partial: dict[tuple[str, int], dict[int, str]] = {}
    for pdu in sim.state.taken:
        d = decoded(pdu)
        number = d["recipient"]["number"]
        header = d["user_data"].get("header")
        if not header:
            out.append((number, d["user_data"]["data"]))
            continue
        concat = header["elements"][0]["data"]
        parts = partial.setdefault((number, concat["reference"]), {})
        parts[concat["part_number"]] = d["user_data"]["data"]
        if len(parts) == concat["parts_count"]:
            out.append((number, "".join(parts[i] for i in sorted(parts))))
    return out
