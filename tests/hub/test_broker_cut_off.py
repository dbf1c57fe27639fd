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
from hub.console import users
from hub.runtime import Hub
from tests.hub.conftest import incident_data
from tests.hub.console.browser import chromium, require_chromium
from tests.hub.console.conftest import PASSWORD
from tests.hub.harness import hub_config
from tests.support.pki import ThrowawayPKI
from tests.support.wait import wait_for
from wire.clock import SystemClock

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


def now() -> str:
    return SystemClock().now().isoformat()


def lines(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    """Matching records of the hub's link, from the fixture's start-up on."""
    records = caplog.get_records("setup") + caplog.records
    return [r.getMessage() for r in records if r.name == LOGGER and text in r.getMessage()]


def test_hub_says_it_is_cut_off_and_when_it_is_back(
    hub: Hub, broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    where = f"127.0.0.1:{broker.port}"
    wait_for(
        lambda: lines(caplog, "cannot reach the broker"), timeout=15, what="a log line saying why"
    )
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
    wait_for(lambda: lines(caplog, "lost the broker"), timeout=15, what="the loss logged")
    wait_for(lambda: hub.link.watch.state().cut_off, timeout=15, what="cut off again")
    assert "Cut off from the message broker" in browser.page("/login")


@pytest.mark.slow
def test_a_board_left_open_gets_the_banner_without_a_reload(
    tmp_path: Path, broker: Broker, test_pki: ThrowawayPKI
) -> None:
    """The board stays open all night: when the hub is cut off, its next live refresh
    (any change, or the minute's refresh) reloads it with the banner, and again without."""
    require_chromium()
    h = Hub(hub_config(tmp_path / "PKI", broker, test_pki, ["power-co"]))
    h.app.config["CONSOLE_SSE_HEARTBEAT_S"] = 0.5
    db = h.config.db_path
    once = users.create_user(db, "duty", "operator", by="test", now=SystemClock().now())
    users.change_password(db, "duty", once, PASSWORD)
    h.start()
    try:
        wait_for(h.link.connected.is_set, timeout=15, what="hub connected")
        with chromium() as browser:
            page = browser.new_page()
            page.goto(h.url + "/login")
            page.fill("input[name=username]", "duty")
            page.fill("input[name=password]", PASSWORD)
            page.click("#login-form [type=submit]")
            page.wait_for_selector("#board")
            assert page.locator("#broker-down").count() == 0
            broker.stop()
            wait_for(lambda: h.link.watch.state().cut_off, timeout=10, what="cut off")
            # any change makes the board fetch its fragment, whose header says "down"
            h.desk.intake(incident_data(source_id="B1", reported_at=now()), source="cad-110")
            page.wait_for_selector("#broker-down", timeout=10_000)
            broker.start()
            wait_for(h.link.connected.is_set, timeout=20, what="hub reconnected")
            h.desk.intake(incident_data(source_id="B2", reported_at=now()), source="cad-110")
            page.wait_for_selector("#broker-down", state="detached", timeout=10_000)
    finally:
        h.stop()
