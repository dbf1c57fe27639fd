"""The 软件升级 page in a real headless Chromium against a whole running hub: an admin starts
a rollout with a canary unit, advances it, and sees it halted with the unit's reason once
that unit's signed health (over the real broker) says it gave the release up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import expect

from demo.broker import Broker
from hub.console import audit
from hub.runtime import Hub
from provisioning import pki
from tests.hub.console.browser import chromium, require_chromium
from tests.hub.console.conftest import PASSWORD, make_user
from tests.hub.console.test_browser import _login, _shot
from tests.hub.harness import COUNTY, hub_config
from tests.support.mqtt import MqttTestClient
from tests.support.pki import ThrowawayPKI
from tests.support.wait import wait_for
from tests.support.wheels import make_wheel
from wire import codec, topics
from wire import kinds as k
from wire.release import build_bundle
from wire.signing import Signer

pytestmark = [pytest.mark.broker, pytest.mark.slow]
UNIT = "power-co"


@pytest.fixture
def fleet_hub(tmp_path: Path, broker: Broker, test_pki: ThrowawayPKI) -> Iterator[Hub]:
    root = tmp_path / "PKI"
    config = hub_config(root, broker, test_pki, [UNIT])
    key = Signer(ec.generate_private_key(ec.SECP256R1()))
    pki.write_public(root / "release" / "release.pub", pki.public_pem(key._key.public_key()))
    h = Hub(config)
    # A short heartbeat lets the board's stream notice its closed tab, so stop() does not
    # wait out the 15-second heartbeat (10 s of waitress's shutdown timeouts).
    h.app.config["CONSOLE_SSE_HEARTBEAT_S"] = 0.5
    h.start()
    bundle = tmp_path / "r.ltar"
    wheels = make_wheel(tmp_path / "w", "0.2.0").parent
    build_bundle(wheels.glob("*.whl"), "0.2.0", key, bundle, created_at=datetime.now(UTC))
    h.fleet.releases.add(bundle, by="cli", now=datetime.now(UTC))
    yield h
    h.stop()


def test_admin_rolls_out_and_sees_the_failure(
    fleet_hub: Hub, broker: Broker, test_pki: ThrowawayPKI, tmp_path: Path
) -> None:
    require_chromium()
    make_user(fleet_hub.desk, "li", "admin")
    with chromium() as browser:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        assert _login(page, fleet_hub.url, "li", PASSWORD).status == 302
        page.click("text=软件升级")
        expect(page.locator("h1")).to_have_text("软件升级")
        page.select_option("#version", "0.2.0")
        page.select_option("#canary", [UNIT])
        page.click("#rollout-form #submit")
        expect(page.locator("#rollout")).to_have_attribute("data-state", "active")
        expect(page.locator("#rollout")).to_contain_text("先行单位")
        page.fill("#percent", "50")
        page.click("#advance-form #submit")
        expect(page.locator("#rollout")).to_contain_text("50% 的单位")
        _shot(page, tmp_path, "fleet-rollout")

        # the canary unit's health, signed with its own key, says it gave 0.2.0 up
        cert, key = test_pki.client(UNIT)
        unit = MqttTestClient("127.0.0.1", broker.port, test_pki.ca_path, cert, key, UNIT)
        unit.connect()
        failed = k.UpdateFailure(
            version="0.2.0", reason="crashed", at=datetime.now(UTC), detail="3 starts"
        )
        body = k.HealthBody(
            version="0.1.0", uptime_s=3, printer="ok", outbox_depth=0, update_failed=failed
        )
        _, raw = codec.encode(
            "health", UNIT, body, Signer.from_pem(key.read_bytes()), at=datetime.now(UTC)
        )
        unit.publish(topics.up(COUNTY, UNIT), raw)
        wait_for(
            lambda: fleet_hub.fleet.unit_state().get(UNIT, {}).get("update_failed"),
            10,
            "the failure stored",
        )
        unit.close()
        page.reload()
        expect(page.locator("#rollout")).to_have_attribute("data-state", "halted")
        expect(page.locator("#rollout-failures")).to_contain_text("反复启动失败")
        expect(page.locator("#advance-form")).to_have_count(0)
        _shot(page, tmp_path, "fleet-halted")
        context.close()
    actions = [r.action for r in audit.entries(fleet_hub.desk.db_path) if r.actor == "li"]
    assert "rollout_start" in actions and "rollout_advance" in actions
