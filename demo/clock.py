"""A clock that runs N times faster than real time, shared by the hub and every terminal.

The demo gives this one clock to the hub and to every gateway, so a 15-minute deadline
passes in 15 s at speed 60 and every component agrees on what time it is. Real-time parts
(TLS, reconnect back-off, the buzzer's pattern) keep using real seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from wire.clock import SHANGHAI


class ScaledClock:
    """`now()` starts at the real time and advances `speed` clock seconds per real second.

    `set_speed` changes the pace from the current instant on without a jump, so `--keep`
    can slow the county back to real time for someone reading the console.
    """

    def __init__(
        self,
        speed: float,
        *,
        start: datetime | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._base = start or datetime.now(UTC)
        if self._base.tzinfo is None:
            raise ValueError("ScaledClock needs an aware datetime")
        self._m0 = monotonic()
        self._speed = float(speed)

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        with self._lock:
            return self._base + timedelta(seconds=(self._monotonic() - self._m0) * self._speed)

    def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        with self._lock:
            m = self._monotonic()
            self._base += timedelta(seconds=(m - self._m0) * self._speed)
            self._m0 = m
            self._speed = float(speed)

    def real_seconds(self, clock_seconds: float) -> float:
        """How long `clock_seconds` of county time take in real time."""
        return clock_seconds / self._speed


def next_beijing(hour: int, minute: int, now: datetime) -> datetime:
    """The first instant at or after `now` that reads HH:MM in Beijing: `--county-start`.

    Never earlier than now: the demo's certificates are made on the real clock, and the hub
    refuses a certificate its (county) clock says is not yet valid.
    """
    local = now.astimezone(SHANGHAI)
    at = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if at < local:
        at += timedelta(days=1)
    return at.astimezone(UTC)
