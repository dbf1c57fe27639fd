"""The buzzer and light over time, on gpiozero's mock pins, stepped with chosen times."""

from __future__ import annotations

from gpiozero import LED, Buzzer
from gpiozero.pins.mock import MockFactory

from gateway.devices.alarm import PATTERNS, Alarm, choose_pattern, pattern_state


def _alarm(factory: MockFactory) -> tuple[Alarm, Buzzer, LED]:
    buzzer, light = Buzzer(17, pin_factory=factory), LED(27, pin_factory=factory)
    return Alarm(buzzer, light, monotonic=lambda: 1000.0), buzzer, light


def _trace(alarm: Alarm, buzzer: Buzzer, light: LED, times: list[float]) -> list[tuple[int, int]]:
    out = []
    for t in times:
        alarm.tick(1000.0 + t)
        out.append((int(buzzer.value), int(light.value)))
    return out


def test_urgent_pattern_on_the_pins(mock_pins: MockFactory) -> None:
    alarm, buzzer, light = _alarm(mock_pins)
    alarm.set_pattern("urgent")
    assert _trace(alarm, buzzer, light, [0.0, 0.49, 0.5, 0.99, 1.0, 1.6, 10.2]) == [
        (1, 1), (1, 1), (0, 0), (0, 0), (1, 1), (0, 0), (1, 1)
    ]  # fmt: skip
    # the mock pin recorded exactly these changes, nothing in between
    assert [s.state for s in buzzer.pin.states] == [False, True, False, True, False, True]


def test_critical_is_faster_than_normal(mock_pins: MockFactory) -> None:
    alarm, buzzer, light = _alarm(mock_pins)
    alarm.set_pattern("critical")
    assert _trace(alarm, buzzer, light, [0.0, 0.25, 0.45]) == [(1, 1), (0, 0), (1, 1)]
    alarm.set_pattern("normal")
    alarm.tick(1000.0)
    assert _trace(alarm, buzzer, light, [0.0, 0.9, 1.1, 2.9, 3.0]) == [
        (1, 1), (1, 1), (0, 0), (0, 0), (1, 1)
    ]  # fmt: skip


def test_drill_is_distinct_light_steady_two_chirps(mock_pins: MockFactory) -> None:
    alarm, buzzer, light = _alarm(mock_pins)
    alarm.set_pattern("drill")
    trace = _trace(alarm, buzzer, light, [0.0, 0.15, 0.25, 0.5, 1.9, 2.05])
    assert trace == [(1, 1), (0, 1), (1, 1), (0, 1), (0, 1), (1, 1)]
    assert PATTERNS["drill"] not in (PATTERNS["urgent"], PATTERNS["normal"], PATTERNS["critical"])


def test_silence_turns_everything_off(mock_pins: MockFactory) -> None:
    alarm, buzzer, light = _alarm(mock_pins)
    alarm.set_pattern("critical")
    assert buzzer.value == 1
    alarm.set_pattern(None)
    assert (buzzer.value, light.value) == (0, 0)
    assert _trace(alarm, buzzer, light, [5.0, 7.3]) == [(0, 0), (0, 0)]


def test_choose_pattern() -> None:
    assert choose_pattern([]) is None
    assert choose_pattern([("normal", False), ("critical", False)]) == "critical"
    assert choose_pattern([("critical", True), ("normal", False)]) == "normal"
    assert choose_pattern([("critical", True)]) == "drill"


def test_pattern_state_repeats() -> None:
    for name, steps in PATTERNS.items():
        period = sum(s[0] for s in steps)
        for t in (0.0, 0.05, period / 3):
            assert pattern_state(name, t) == pattern_state(name, t + 7 * period)
