"""A hub cut off from the broker says so: in its log (each cause, at most once a minute,
and the reconnection) and with a red banner on every console page, in Chinese or English.
A real hub and a real Mosquitto that is stopped and started under it."""

from __future__ import annotations

import http.cookiejar
import logging
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.broker import Broker
from hub.runtime import Hub
from tests.hub.harness import hub_config
from tests.support.pki import ThrowawayPKI
from tests.support.wait import wait_for

pytestmark = pytest.mark.broker
LOGGER = "hub.terminals.link"


class Browser:
    """A cookie-keeping HTTP client: enough to switch the language and read a page."""

    def __init__(self, base: str) -> None:
        self.base = base
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def page(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=5) as r:
            return str(r.read().decode())


@pytest.fixture
def hub(tmp_path: Path, broker: Broker, test_pki: ThrowawayPKI) -> Iterator[Hub]:
    broker.stop()  # the hub starts while the broker is down
    h = Hub(hub_config(tmp_path / "PKI", broker, test_pki, ["power-co"]))
    h.start()
    yield h
    h.stop()


def lines(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and text in r.getMessage()]


def test_hub_says_it_is_cut_off_and_when_it_is_back(
    hub: Hub, broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    where = f"127.0.0.1:{broker.port}"
    wait_for(lambda: lines(caplog, "cannot reach the broker"), what="a log line saying why")
    (line,) = lines(caplog, "cannot reach the broker")
    assert f"cannot reach the broker {where}: connection refused" in line

    browser = Browser(hub.url)
    page = browser.page("/login")
    assert 'id="broker-down"' in page
    assert "与消息服务器断开" in page and "连接被拒绝" in page and where in page
    browser.page("/lang/en?next=/login")
    page = browser.page("/login")
    assert "Cut off from the message broker" in page and "connection refused" in page

    # paho retries every 1, 2, 4... s: within those seconds the cause is logged only once.
    wait_for(lambda: hub.link.watch.state().attempts >= 2, timeout=10, what="a second attempt")
    assert len(lines(caplog, "cannot reach the broker")) == 1

    broker.start()
    wait_for(hub.link.connected.is_set, timeout=20, what="hub reconnected")
    (back,) = lines(caplog, "connected to the broker")
    assert where in back and "cut off" in back
    assert 'id="broker-down"' not in browser.page("/login")

    broker.stop()
    wait_for(lambda: lines(caplog, "lost the broker"), what="the loss logged")
    wait_for(lambda: hub.link.watch.state().cut_off, what="cut off again")
    assert "Cut off from the message broker" in browser.page("/login")
