"""One serving hub per database (hub/db/running.py): a second `Hub.start()` on the same
file is refused with the holder's pid, and the refused hub still closes cleanly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from demo.broker import Broker
from hub.errors import ConfigError
from hub.runtime import Hub
from tests.hub.harness import hub_config
from tests.support.pki import ThrowawayPKI

pytestmark = pytest.mark.broker


def test_a_second_hub_on_the_same_database_is_refused(
    tmp_path: Path, broker: Broker, test_pki: ThrowawayPKI
) -> None:
    config = hub_config(tmp_path / "PKI", broker, test_pki, ["power-co"])
    first = Hub(config)  # listen port 0: each hub gets a port of its own
    first.start()
    try:
        second = Hub(config)
        with pytest.raises(ConfigError, match=rf"pid {os.getpid()}\).*stop it first"):
            second.start()
        second.stop()
    finally:
        first.stop()
    again = Hub(config)  # the lock went with the hub that held it
    again.start()
    again.stop()
