"""LinkWatch: every cause said at once, the same cause at most once a minute, the
reconnection said with how long the side was cut off (a fake clock, real log records)."""

from __future__ import annotations

import logging
import socket

import pytest

from mqttlink.watch import LinkWatch, Problem, problem_of
from wire.clock import FakeClock

REFUSED = Problem("refused", "connection refused: is Mosquitto running on that port?")


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "test.watch"]


def test_same_cause_at_most_once_a_minute_new_cause_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="test.watch")
    clock = FakeClock()
    watch = LinkWatch("mq:8883", logging.getLogger("test.watch"), clock=clock, every_s=60)
    for _ in range(5):
        watch.failed(REFUSED)
        clock.advance(10)
    assert len(messages(caplog)) == 1
    clock.advance(15)  # 65 s after the first line
    watch.failed(REFUSED)
    assert len(messages(caplog)) == 2 and "6 failed attempt(s)" in messages(caplog)[-1]
    watch.failed(Problem("dns", "the broker's name does not resolve"))
    assert "does not resolve" in messages(caplog)[-1]
    state = watch.state()
    assert state.cut_off and state.attempts == 7 and state.problem and state.problem.code == "dns"
    clock.advance(30)
    watch.up()
    assert messages(caplog)[-1] == (
        "connected to the broker mq:8883 after 95 s cut off (7 failed attempt(s))"
    )
    assert not watch.state().cut_off


def test_a_loss_is_said_at_once_then_failures_from_scratch(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="test.watch")
    watch = LinkWatch("mq:8883", logging.getLogger("test.watch"), clock=FakeClock())
    assert not watch.state().cut_off  # starting: not yet a failure
    watch.up()
    watch.lost("Unspecified error")
    watch.failed(REFUSED)
    assert messages(caplog)[-2:] == [
        "lost the broker mq:8883: Unspecified error",
        messages(caplog)[-1],
    ]
    assert "connection refused" in messages(caplog)[-1]
    watch.lost("closed")  # never got up again: a failed attempt, rate-limited
    assert len(messages(caplog)) == 4  # connected, lost, refused, closed (a new cause)


def test_causes_in_words() -> None:
    with pytest.raises(socket.gaierror) as dns:
        socket.getaddrinfo("hub.gov.invalid", 8883)
    assert problem_of(dns.value).code == "dns"
    assert problem_of(ConnectionRefusedError(111, "Connection refused")).code == "refused"
    assert problem_of(TimeoutError()).code == "timeout"
    assert problem_of(None).code == "other"
