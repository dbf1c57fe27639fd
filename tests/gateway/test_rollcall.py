"""点名 on the terminal, on MockFactory pins with a FakeClock: the roll-call rings with its
own pattern, the acknowledge button answers it only when no order alarms (orders first),
the kiosk answers it too, and one that arrives after its expiry is shown as missed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import msgspec
import pytest

from gateway.devices.alarm import PATTERNS, pattern_state
from gateway.terminal import Gateway
from tests.gateway.conftest import UNIT, TerminalFiles, order_body
from wire import Signer, encode
from wire.clock import FakeClock
from wire.kinds import CommandBody

RC = "01JROLLCALL0000000000001"
OID = "01JORDER0000000000000001"


class Thumb:
    """Presses the real ack pin, a second apart (past the debouncer)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def thumb() -> Thumb:
    return Thumb()


@pytest.fixture
def gw(files: TerminalFiles, make_gateway: Callable[..., Gateway], thumb: Thumb) -> Gateway:
    return make_gateway(files.config(), monotonic=thumb)


def press(gw: Gateway, thumb: Thumb) -> None:
    thumb.now += 1.0
    pin = gw.pins.ack_button.pin
    pin.drive_low()
    pin.drive_high()


def rollcall(gw: Gateway, signer: Signer, rc: str = RC, *, sent_ago_s: float = 0) -> None:
    clock = gw.clock
    sent = clock.now() - timedelta(seconds=sent_ago_s)
    body = CommandBody(
        command="rollcall",
        rollcall_id=rc,
        answer_by=sent + timedelta(minutes=3),
        expires_at=sent + timedelta(minutes=10),
        text="点名",
    )
    gw.handle_down(encode("command", UNIT, body, signer, at=sent)[1])


def outbox(gw: Gateway, kind: str) -> list[dict[str, Any]]:
    with gw.store.read() as c:
        rows = c.execute("SELECT payload FROM outbox WHERE kind=? ORDER BY seq", (kind,))
        return [msgspec.json.decode(bytes(r[0])) for r in rows.fetchall()]


def test_the_rollcall_pattern_is_its_own() -> None:
    states = {p: [pattern_state(p, t / 20) for t in range(60)] for p in PATTERNS}
    assert all(states["rollcall"] != s for p, s in states.items() if p != "rollcall")


def test_a_rollcall_rings_and_the_button_answers_it_with_a_signed_report(
    gw: Gateway, hub_signer: Signer, thumb: Thumb
) -> None:
    clock = gw.clock
    assert isinstance(clock, FakeClock)
    rollcall(gw, hub_signer)
    assert gw.alarm.pattern == "rollcall" and gw.pins.buzzer.value == 1
    (shown,) = gw.status()["rollcalls"]
    assert (shown["outcome"], shown["seconds_left"]) == ("ringing", 180)
    clock.advance(25)
    press(gw, thumb)
    (answer,) = outbox(gw, "rollcall_answer")
    assert answer["body"] == {"rollcall_id": RC, "via": "button"}
    assert answer["at"].startswith(clock.now().strftime("%Y-%m-%dT%H:%M:%S"))
    assert gw.rollcalls.get(RC).answered_at is not None
    assert not gw.alarm.active and gw.pins.buzzer.value == 0
    press(gw, thumb)  # nothing rings: no second answer
    assert len(outbox(gw, "rollcall_answer")) == 1
    assert gw.status()["rollcalls"][0]["outcome"] == "answered"


def test_while_an_order_alarms_the_button_acknowledges_the_order_first(
    gw: Gateway, hub_signer: Signer, thumb: Thumb
) -> None:
    clock = gw.clock
    rollcall(gw, hub_signer)
    gw.handle_down(
        encode("order", UNIT, order_body(OID, now=clock.now()), hub_signer, at=clock.now())[1]
    )
    assert gw.alarm.pattern == "urgent"  # the order outranks the roll-call
    press(gw, thumb)
    assert [a["body"]["order_id"] for a in outbox(gw, "ack")] == [OID]
    assert not outbox(gw, "rollcall_answer")
    assert gw.alarm.pattern == "rollcall"  # still waiting for its own answer
    press(gw, thumb)
    assert [a["body"]["rollcall_id"] for a in outbox(gw, "rollcall_answer")] == [RC]
    assert not gw.alarm.active


def test_a_rollcall_arriving_after_its_expiry_is_not_answered_and_shown_missed(
    gw: Gateway, hub_signer: Signer, thumb: Thumb
) -> None:
    rollcall(gw, hub_signer, sent_ago_s=11 * 60)  # the link was down through it
    assert not gw.alarm.active
    press(gw, thumb)
    assert gw.answer_rollcall(RC, "kiosk") == []
    assert not outbox(gw, "rollcall_answer")
    assert gw.status()["rollcalls"][0]["outcome"] == "missed"


def test_an_unanswered_rollcall_stops_ringing_at_its_expiry(
    gw: Gateway, hub_signer: Signer, thumb: Thumb
) -> None:
    clock = gw.clock
    assert isinstance(clock, FakeClock)
    rollcall(gw, hub_signer)
    clock.advance(9 * 60)
    gw.alarming.watch()
    assert gw.alarm.pattern == "rollcall"
    clock.advance(61)
    gw.alarming.watch()  # the alarm thread calls this after each tick
    assert not gw.alarm.active
    press(gw, thumb)
    assert not outbox(gw, "rollcall_answer")
    assert gw.status()["rollcalls"][0]["outcome"] == "missed"


def test_a_redelivered_rollcall_is_one_rollcall(gw: Gateway, hub_signer: Signer) -> None:
    clock = gw.clock
    body = CommandBody(
        command="rollcall",
        rollcall_id=RC,
        answer_by=clock.now() + timedelta(minutes=3),
        expires_at=clock.now() + timedelta(minutes=10),
    )
    raw = encode("command", UNIT, body, hub_signer, at=clock.now())[1]
    gw.handle_down(raw)
    gw.answer_rollcall(RC, "kiosk")
    gw.handle_down(raw)
    assert len(gw.rollcalls.recent()) == 1 and not gw.alarm.active


def test_the_kiosk_shows_and_answers_a_rollcall(gw: Gateway, hub_signer: Signer) -> None:
    from gateway.kiosk import create_app

    rollcall(gw, hub_signer)
    app = create_app(gw, {"TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    page = client.get("/").get_data(as_text=True)
    assert "点名" in page and "应答点名" in page and "3:00" in page
    clock = gw.clock
    assert isinstance(clock, FakeClock)
    clock.advance(200)  # past answer-by, before the expiry: late, still answerable
    page = client.get("/").get_data(as_text=True)
    assert "已超时" in page and "应答点名" in page
    assert client.post(f"/rollcalls/{RC}/answer").status_code == 302
    assert outbox(gw, "rollcall_answer")[0]["body"]["via"] == "kiosk"
    page = client.get("/").get_data(as_text=True)
    assert "已应答" in page and f"/rollcalls/{RC}/answer" not in page
    assert client.post(f"/rollcalls/{RC}/answer").status_code == 409  # answered already
    assert client.post("/rollcalls/01JNOSUCHROLLCALL0000001/answer").status_code == 404
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "Roll-call" in english and "answered" in english


def test_a_ringing_rollcall_rings_again_after_a_restart(
    files: TerminalFiles, make_gateway: Callable[..., Gateway], hub_signer: Signer, thumb: Thumb
) -> None:
    config = files.config()
    gw = make_gateway(config, monotonic=thumb)
    rollcall(gw, hub_signer)
    clock = gw.clock
    gw.stop()  # the power goes; the roll-call is on disk with its seen id
    again = make_gateway(config, clock, monotonic=thumb)
    assert again.alarm.pattern == "rollcall"
    press(again, thumb)
    assert [a["body"]["rollcall_id"] for a in outbox(again, "rollcall_answer")] == [RC]
