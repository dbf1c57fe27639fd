"""Waiting for a real network or process effect: poll briefly, never sleep a deadline away."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(check: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    """Poll `check` every 20 ms for up to `timeout` seconds; return its first true value.

    `check` runs at least once, and once more after the deadline, so a slow machine that
    overshoots the last sleep still sees a condition that became true in time.
    """
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
