"""点名 across an outage, with a real Mosquitto (mutual TLS), the real hub and two real
terminals in-process on one FakeClock; one terminal's line goes through a proxy we cut.

- A roll-call sent while a terminal is cut off: the hub escalates it at answer-by; the
  broker keeps the command for the terminal's session, and when the line comes back after
  the expiry the terminal stores it as missed: it never rings and is never answered.
- A roll-call the room answers while its line is down, within answer-by: the hub has
  already escalated it, and judges it answered on time once the signed answer arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from demo.netcut import NetCut
from hub.alerts.notify import Escalation
from hub.config import load_config
from hub.dispatch.rollcall.calls import MISSED
from hub.runtime import Hub
from tests.e2e.conftest import Running
from tests.e2e.county import County
from tests.e2e.terminals import gateway
from tests.support.wait import wait_for
from wire.clock import FakeClock

pytestmark = [pytest.mark.broker, pytest.mark.slow]
UNITS = ["power-co", "tuodian-gov"]


class Recorder:
    def __init__(self) -> None:
        self.seen: list[Escalation] = []

    def notify(self, escalation: Escalation) -> None:
        self.seen.append(escalation)


@pytest.fixture
def county(make_county: Callable[[list[str]], County]) -> County:
    return make_county(UNITS)


@pytest.fixture
def proxy(county: County) -> Iterator[NetCut]:
    p = NetCut(("127.0.0.1", county.broker.port)).start()
    yield p
    p.close()


def outcomes(hub: Hub) -> dict[str, str]:
    return {c.unit: c.outcome for c in hub.desk.rollcall_rounds(1)[0].calls}


def test_rollcalls_during_an_outage(county: County, proxy: NetCut, running: Running) -> None:
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    notes = Recorder()
    hub = Hub(load_config(county.hub_toml), clock=clock, notifier=notes)
    hub.start()
    running.add(hub.stop)
    near = gateway(county, "power-co", clock)
    far = gateway(county, "tuodian-gov", clock, mqtt_port=proxy.port)
    for gw in (near, far):
        gw.start()
        running.add(gw.stop)
        wait_for(gw.link.connected.is_set, what="the terminals to connect")

    # ---- a round with both online: both ring, both answer with the button ----------------
    hub.desk.rollcall_now(by="值班长", units=UNITS)
    for gw in (near, far):
        wait_for(lambda gw=gw: gw.alarm.pattern == "rollcall", what="the roll-call to ring")
    clock.advance(20)
    for gw in (near, far):
        gw.room.on_ack_button()
    wait_for(lambda: set(outcomes(hub).values()) == {"answered"}, 10, "both answers at the hub")

    # ---- the far room's line is cut before the roll is called ----------------------------
    proxy.cut()
    wait_for(lambda: not far.link.connected.is_set(), what="the terminal to see the outage")
    hub.desk.rollcall_now(by="值班长", units=UNITS)
    wait_for(lambda: near.alarm.pattern == "rollcall", what="the near room's roll-call")
    near.room.on_ack_button()
    clock.advance(181)  # past answer-by: the hub escalates the far room
    wait_for(lambda: outcomes(hub).get("tuodian-gov") == "missed", 10, "the miss fired")
    assert [(e.unit, e.deadline) for e in notes.seen] == [("tuodian-gov", MISSED)]
    assert outcomes(hub)["power-co"] == "answered"
    clock.advance(600)  # past the expiry too, then the line comes back
    proxy.restore()
    wait_for(far.link.connected.is_set, 15, "the far terminal to reconnect")
    wait_for(lambda: len(far.rollcalls.recent()) == 2, 15, "the queued roll-call delivered")
    late = far.rollcalls.recent()[0]
    assert late.missed and late.answered_at is None
    assert not far.alarm.active  # it never rang
    far.room.on_ack_button()  # a press now answers nothing
    assert far.status()["rollcalls"][0]["outcome"] == "missed"
    with far.store.read() as c:
        answers = c.execute("SELECT count(*) FROM outbox WHERE kind='rollcall_answer'")
        assert answers.fetchone()[0] == 0
    wait_for(lambda: far.outbox.depth() == 0, 10, "the far terminal's outbox empty")
    assert outcomes(hub)["tuodian-gov"] == "missed"

    # ---- answered while cut off, within answer-by: on time by its signed time -------------
    hub.desk.rollcall_now(by="值班长", units=["tuodian-gov"])
    wait_for(lambda: far.alarm.pattern == "rollcall", what="the third roll-call to ring")
    proxy.cut()
    wait_for(lambda: not far.link.connected.is_set(), what="the second outage")
    clock.advance(60)
    far.room.on_ack_button()  # answered at 1 min; the report waits in the outbox
    assert far.outbox.depth() >= 1
    clock.advance(150)  # past answer-by: the hub has heard nothing
    wait_for(lambda: outcomes(hub) == {"tuodian-gov": "missed"}, 10, "the second miss fired")
    assert len(notes.seen) == 2
    proxy.restore()
    wait_for(far.link.connected.is_set, 15, "the far terminal back")
    wait_for(lambda: outcomes(hub) == {"tuodian-gov": "answered"}, 15, "the answer, on time")
    (call,) = hub.desk.rollcall_rounds(1)[0].calls
    assert call.answer_s == 60.0  # judged by the time the room pressed, not when it arrived
