"""The buzzer and the light: patterns by priority, repeating until someone acknowledges.

The pattern is a pure function of the time since the alarm started (`pattern_state`), and
`Alarm.tick(t)` applies it to the pins: the driving thread calls tick with the monotonic
clock, tests call it with chosen times and read the mock pins, so nothing sleeps.

Patterns (on/off seconds, repeating):
- critical 特急: buzzer and light 0.2 on / 0.2 off, fast and unmistakable;
- urgent 紧急: 0.5 on / 0.5 off;
- normal 一般: 1 on / 2 off;
- drill 演练: two short chirps then a long pause, light steady; distinct so that nobody
  mistakes an exercise for a real call, or the other way round;
- rollcall 点名: three short chirps with the light, then a pause with the light off: the
  centre is checking that the room is manned, not sending an order.
When several orders alarm at once the most urgent real one sets the pattern; a drill
pattern plays only when every alarming order is a drill.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

log = logging.getLogger(__name__)

Step = tuple[float, bool, bool]
"""(seconds, buzzer on, light on)."""

PATTERNS: dict[str, tuple[Step, ...]] = {
    "critical": ((0.2, True, True), (0.2, False, False)),
    "urgent": ((0.5, True, True), (0.5, False, False)),
    "normal": ((1.0, True, True), (2.0, False, False)),
    "drill": ((0.1, True, True), (0.1, False, True), (0.1, True, True), (1.7, False, True)),
    "rollcall": (
        (0.15, True, True),
        (0.15, False, True),
        (0.15, True, True),
        (0.15, False, True),
        (0.15, True, True),
        (2.25, False, False),
    ),
}
_RANK = {"critical": 0, "urgent": 1, "normal": 2}


def choose_pattern(alarming: Sequence[tuple[str, bool]]) -> str | None:
    """The pattern for a set of alarming orders given as (priority, drill); None if quiet."""
    real = [p for p, drill in alarming if not drill]
    if real:
        return min(real, key=lambda p: _RANK.get(p, 2))
    return "drill" if alarming else None


def pattern_state(pattern: str, elapsed: float) -> tuple[bool, bool]:
    """(buzzer, light) at `elapsed` seconds into a repeating pattern."""
    steps = PATTERNS[pattern]
    period = sum(s[0] for s in steps)
    t = max(elapsed, 0.0) % period
    for seconds, buzzer, light in steps:
        if t < seconds:
            return buzzer, light
        t -= seconds
    return steps[-1][1], steps[-1][2]


class OutputDevice(Protocol):
    """What gpiozero's Buzzer and LED offer; all the alarm needs."""

    def on(self) -> None: ...
    def off(self) -> None: ...


class Alarm:
    """Drives the buzzer and light. Thread-safe; `set_pattern` is called on every change."""

    def __init__(
        self,
        buzzer: OutputDevice,
        light: OutputDevice,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.buzzer = buzzer
        self.light = light
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._pattern: str | None = None
        self._started = 0.0
        self._applied: tuple[bool, bool] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._test: tuple[tuple[bool, bool], float] | None = None
        self.watch: Callable[[], None] | None = None
        """Called by the alarm thread after each tick: lets the alarm's owner notice a time
        passing (a roll-call expiring) without a thread of its own."""

    @property
    def pattern(self) -> str | None:
        return self._pattern

    @property
    def active(self) -> bool:
        return self._pattern is not None

    def set_pattern(self, pattern: str | None) -> None:
        """Start, change or stop the alarm. The same pattern again keeps its rhythm."""
        with self._lock:
            if pattern == self._pattern:
                return
            log.info("alarm pattern: %s -> %s", self._pattern, pattern)
            self._pattern = pattern
            self._started = self.monotonic()
        self.tick(self._started)

    def test(self, device: str, seconds: float = 1.0) -> bool:
        """Device test from the kiosk: the buzzer or the light alone for `seconds`.

        Refused (False) while a real alarm sounds, so a test can never mask or cut one
        short; an alarm that starts during a test simply takes over."""
        if device not in ("buzzer", "light"):
            raise ValueError(f"no such device to test: {device!r}")
        with self._lock:
            if self._pattern is not None:
                return False
            state = (device == "buzzer", device == "light")
            self._test = (state, self.monotonic() + seconds)
        self.tick()
        return True

    def tick(self, now: float | None = None) -> tuple[bool, bool]:
        """Apply the pattern's state at `now` (monotonic seconds) to the pins."""
        with self._lock:
            t = self.monotonic() if now is None else now
            if self._test is not None and (self._pattern is not None or t >= self._test[1]):
                self._test = None
            state = (
                (self._test[0] if self._test else (False, False))
                if self._pattern is None
                else pattern_state(self._pattern, t - self._started)
            )
            if state != self._applied:
                self._apply(state)
            return state

    def _apply(self, state: tuple[bool, bool]) -> None:
        try:
            (self.buzzer.on if state[0] else self.buzzer.off)()
            (self.light.on if state[1] else self.light.off)()
            self._applied = state
        except Exception:  # a pin error must not stop the alarm thread
            log.exception("cannot drive the alarm pins")

    def start(self, period: float = 0.05) -> None:
        def run() -> None:
            while not self._stop.wait(period):
                self.tick()
                if self.watch is not None:
                    try:
                        self.watch()
                    except Exception:  # the alarm must keep running whatever the watch did
                        log.exception("alarm watch failed")

        self._thread = threading.Thread(target=run, name="alarm", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(2)
        self.set_pattern(None)
