"""Fixtures shared by every test: a throwaway PKI and a real Mosquitto with mutual TLS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from demo.broker import Broker, free_port, write_dev_config
from tests.support.pki import ThrowawayPKI

# Two shared cores in CI: generation speed varies, so only the properties are checked.
settings.register_profile(
    "liandong", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("liandong")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Keep each phase's report on the item so fixtures can tell a test failed."""
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> ThrowawayPKI:
    return ThrowawayPKI.create(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def broker(
    request: pytest.FixtureRequest, tmp_path: Path, test_pki: ThrowawayPKI
) -> Iterator[Broker]:
    """A real Mosquitto on a free loopback port; its log is printed when the test fails."""
    port = free_port()
    conf = write_dev_config(
        tmp_path / "broker",
        port,
        cafile=test_pki.ca_path,
        certfile=test_pki.root / "broker.crt",
        keyfile=test_pki.root / "broker.key",
    )
    b = Broker(conf, port, tmp_path / "broker" / "mosquitto.log")
    b.start()
    yield b
    b.stop()
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        print(f"\n----- mosquitto log ({b.log_path}) -----\n{b.read_log()}")
