"""A county made with the library, and a real Mosquitto started from its generated config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.broker import Broker, free_port, run_as_user
from provisioning.broker_config import BrokerOptions, write_broker_config
from provisioning.county import init_county
from provisioning.enroll import enroll_tracker, enroll_unit

COUNTY = "shuangbai"


@pytest.fixture
def county(tmp_path: Path) -> Path:
    """A PKI folder with units power-co and water-co and one tracker of power-co."""
    pki = tmp_path / "pki"
    init_county(pki, COUNTY)
    enroll_unit(pki, "power-co")
    enroll_unit(pki, "water-co")
    enroll_tracker(pki, "power-co", "van-1")
    return pki


@pytest.fixture
def county_broker(request: pytest.FixtureRequest, county: Path, tmp_path: Path) -> Iterator[Broker]:
    port = free_port()
    options = BrokerOptions(
        port=port, bind="127.0.0.1", plain_port=free_port(), run_as=run_as_user()
    )
    conf = write_broker_config(county, tmp_path / "broker", options)
    broker = Broker(conf, port, tmp_path / "broker" / "mosquitto.log")
    broker.start()
    yield broker
    broker.stop()
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        print(f"\n----- mosquitto log ({broker.log_path}) -----\n{broker.read_log()}")
