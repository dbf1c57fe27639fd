"""A terminal that cannot reach the broker says why, in its log and on the kiosk, instead
of only "ready"; and says when it is connected again. Real Mosquitto, stopped and started."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from demo.broker import Broker
from gateway.kiosk import create_app
from gateway.terminal import Gateway
from tests.gateway.conftest import TerminalFiles
from tests.support.wait import wait_for

pytestmark = pytest.mark.broker
LOGGER = "gateway.uplink.link"


def lines(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and text in r.getMessage()]


def test_terminal_says_why_it_is_not_connected(
    files: TerminalFiles,
    broker: Broker,
    make_gateway: Callable[..., Gateway],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    files.broker_port = broker.port
    broker.stop()
    gw = make_gateway(files.config())
    wait_for(lambda: lines(caplog, "cannot reach the broker"), what="the cause logged")
    assert f"127.0.0.1:{broker.port}: connection refused" in lines(caplog, "cannot reach")[0]

    kiosk = create_app(gw).test_client()
    page = kiosk.get("/").get_data(as_text=True)
    assert "未连接" in page and "中心服务器拒绝连接" in page
    assert "refused the connection" in kiosk.get("/?lang=en").get_data(as_text=True)
    assert kiosk.get("/status.json").get_json()["link"]["cause"] == "refused"

    broker.start()
    wait_for(gw.link.connected.is_set, timeout=30, what="terminal connected")
    assert lines(caplog, "connected to the broker")
    assert 'id="link-cause"' not in kiosk.get("/").get_data(as_text=True)
