"""The hub's clock minus ours, estimated from the down messages as they arrive."""

from __future__ import annotations

from collections import deque
from datetime import datetime


class ClockOffset:
    """Of the last `keep` down messages, the largest (at - now) is the one least delayed in
    transit, so it is the best estimate of how far the hub's clock is ahead of ours."""

    def __init__(self, keep: int = 20) -> None:
        self._offsets: deque[float] = deque(maxlen=keep)

    def observe(self, sent_at: datetime, now: datetime) -> None:
        self._offsets.append((sent_at - now).total_seconds())

    def estimate(self) -> float | None:
        return round(max(self._offsets), 3) if self._offsets else None
