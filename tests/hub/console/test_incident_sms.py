"""The incident page shows each escalation SMS and its fate (已发送 / 重试中 / 发送失败)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from demo.modem import ModemSimulator
from hub.alerts.notify import Escalation
from tests.hub.alerts.conftest import notify_settings, open_service
from tests.hub.conftest import incident_data
from tests.support.hubparts import TestService
from wire.clock import FakeClock


class Quiet:
    def notify(self, escalation: Escalation) -> None:
        """Not under test here."""


@pytest.fixture
def sim() -> Iterator[ModemSimulator]:
    with ModemSimulator() as s:
        yield s


@pytest.fixture
def service(tmp_path: Path, clock: FakeClock, sim: ModemSimulator) -> Iterator[TestService]:
    """The console's service, with [notify] through the pty modem (max two attempts)."""
    svc = open_service(tmp_path / "hub.sqlite3", clock, notify_settings(sim, max_attempts=2))
    yield svc
    svc.store.close()


def test_each_sms_and_its_fate_in_both_languages(
    as_role: Callable[[str], FlaskClient],
    service: TestService,
    clock: FakeClock,
    sim: ModemSimulator,
) -> None:
    view, _ = service.intake(incident_data(), source="cad-110")
    page = f"/incidents/{view.id}"
    client = as_role("auditor")
    assert "本事件尚无督办短信。" in client.get(page).get_data(as_text=True)

    sender = service.parts.sms_sender()
    assert sender is not None
    engine = service.parts.engine(notifier=Quiet())
    sim.state.cms_error, sim.state.cms_errors_left = 500, 1
    clock.advance(181)  # receive and ack missed: two SMS to the duty phone
    engine.run_due()
    sender.step()  # the first refused (retrying), the second sent
    html = client.get(page).get_data(as_text=True)
    assert "督办短信" in html and "单位值班电话" in html and "087****0026" in html
    assert "已发送" in html and "重试中" in html and "第 1 次" in html and "短信中心拒收" in html
    assert "已超时未签收（时限3分钟）" in html
    assert "08787710026" not in html  # the number is masked on screen

    sim.state.registered = "0"
    clock.advance(30)
    sender.step()  # the second and last attempt: no network
    sender.channel.close()
    html = client.get(page).get_data(as_text=True)
    assert "发送失败" in html and "短信猫无网络" in html and "重试中" not in html
    assert 'title="AT+CREG' not in html  # the raw reason is only a tooltip, and says why:
    assert "no network: the modem is not registered" in html

    client.get("/lang/en")
    html = client.get(page).get_data(as_text=True)
    assert "SMS escalations" in html and "failed to send" in html and "unit duty phone" in html
    assert "the modem has no network" in html and ">sent<" in html
